package lmzip_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/lmzip"
)

// TestSharedFiles round-trips the smaller files of the shared data folder
// (text, and gzip data that must fall back to stored blocks) with the fast
// adaptive model. scripts/bench-compress.sh covers every file and mode.
func TestSharedFiles(t *testing.T) {
	dir := testutil.Shared(t)
	for _, rel := range []string{
		"data/README.md",
		"data/kenlm/shakes.stream.o3.arpa.gz",
		"data/ptb/ptb.valid.txt",
	} {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		var comp bytes.Buffer
		if _, err := lmzip.Compress(context.Background(), &comp, bytes.NewReader(data), lmzip.Options{Adaptive: "ngram"}); err != nil {
			t.Fatal(err)
		}
		var back bytes.Buffer
		if _, err := lmzip.Decompress(context.Background(), &back, &comp, lmzip.ReaderOptions{}); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if !bytes.Equal(back.Bytes(), data) {
			t.Fatalf("%s: round trip differs", rel)
		}
		t.Logf("%s: round trip of %d bytes", rel, len(data))
	}
}

// patternReader yields n bytes of varied text-like data without holding
// them: the input of the streaming tests.
type patternReader struct {
	n, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		x := uint64(p.off + int64(i))
		// words of a small alphabet with a slowly drifting pattern
		h := (x/7 ^ x/1031) * 0x9E3779B97F4A7C15 >> 59
		if x%7 == 6 {
			b[i] = ' '
		} else {
			b[i] = byte('a' + h%26)
		}
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestStreamBoundedMemory streams 3 MiB (12 blocks) through compressor and
// decompressor connected by a pipe and checks the heap stays bounded (the
// ≥ 100 MB version is in scripts/bench-compress.sh).
func TestStreamBoundedMemory(t *testing.T) {
	n := int64(3 << 20)
	if testing.Short() {
		n = 2 << 20
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := lmzip.Compress(context.Background(), pw, &patternReader{n: n}, lmzip.Options{Adaptive: "cm o=1,3 w=0 m=0 h=12 l=255 r=6 x=1 a=0", BlockSize: 1 << 18})
		pw.CloseWithError(err)
	}()
	z, err := lmzip.NewReader(context.Background(), pr, lmzip.ReaderOptions{Name: "pipe"})
	if err != nil {
		t.Fatal(err)
	}
	want := &patternReader{n: n}
	got := make([]byte, 64<<10)
	exp := make([]byte, 64<<10)
	var total int64
	var peak uint64
	for {
		k, err := z.Read(got)
		if k > 0 {
			io.ReadFull(want, exp[:k])
			if !bytes.Equal(got[:k], exp[:k]) {
				t.Fatalf("stream differs near offset %d", total)
			}
			total += int64(k)
			if total%(4<<20) < int64(k) {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != n {
		t.Fatalf("got %d bytes, want %d", total, n)
	}
	t.Logf("streamed %d MiB, peak heap in use %d MiB", n>>20, peak>>20)
	if peak > 64<<20 {
		t.Errorf("heap grew to %d MiB", peak>>20)
	}
}
