package lmzip

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenInput mixes text, binary and bytes outside the toy vocabulary; it is
// built with integer-only code, so it is the same on every platform.
func goldenInput() []byte {
	var b []byte
	b = append(b, bytes.ToLower(sampleText(20000, 42))...)
	b = append(b, randomBytes(3000, 43)...)
	b = append(b, sampleText(8000, 44)...)
	b = append(b, make([]byte, 2000)...)
	return b
}

// TestGolden pins the compressed bytes of every mode and numeric path. The
// files were written on linux/amd64; the same test run under -tags noasm
// and under GOARCH=arm64 (qemu-aarch64) proves the coding path bit-exact
// across builds and architectures: a drifting probability changes the
// bytes (and would make decompression of a file from another machine fail).
func TestGolden(t *testing.T) {
	in := goldenInput()
	lines := toyStatic(1, "the ", "and")
	lines.Lines = true
	oldLit := func(s *Static) *Static { s.originalLiterals = true; return s }
	cases := []struct {
		name string
		opts Options
	}{
		{"adaptive-ngram", Options{Adaptive: "ngram", BlockSize: 1 << 14}},
		{"adaptive-mix", Options{Adaptive: "mix", BlockSize: 1 << 14}},
		{"adaptive-lstm", Options{Adaptive: "lstm", BlockSize: 1 << 14}},
		{"adaptive-gpt", Options{Adaptive: "gpt", BlockSize: 1 << 14}},
		{"static-cdf", Options{Static: toyStatic(2, "the ", "and"), BlockSize: 1 << 14}},
		{"static-exact", Options{Static: toyStatic(1, "the ", "and"), BlockSize: 1 << 14}},
		{"static-lines", Options{Static: lines, BlockSize: 1 << 14}},
		// The literal channel's original coding (streams without
		// flagTokenFirst, written before it existed): still decoded, and
		// still produced byte for byte by the writer's test-only switch.
		{"static-cdf-oldlit", Options{Static: oldLit(toyStatic(2, "the ", "and")), BlockSize: 1 << 14}},
		{"static-exact-oldlit", Options{Static: oldLit(toyStatic(1, "the ", "and")), BlockSize: 1 << 14}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.name+".golden")
			comp := compress(t, in, tc.opts)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, comp, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			// Decode the stored file first: this is the cross-platform check.
			got, err := decompress(want, ReaderOptions{Static: tc.opts.Static})
			if err != nil {
				t.Fatalf("decompressing %s: %v", path, err)
			}
			if !bytes.Equal(got, in) {
				t.Fatalf("%s decodes to different bytes", path)
			}
			if s := tc.opts.Static; s != nil && (want[7]&flagTokenFirst == 0) != s.originalLiterals {
				t.Fatalf("%s: flags %#x", path, want[7])
			}
			if !bytes.Equal(comp, want) {
				t.Fatalf("compressed bytes differ from %s (%d vs %d bytes): the coding path drifted", path, len(comp), len(want))
			}
		})
	}
}

// TestTablesGolden pins the numeric tables (exp, squash, stretch) by hash.
func TestTablesGolden(t *testing.T) {
	initTables()
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, expWhole)
	binary.Write(h, binary.LittleEndian, expMid)
	binary.Write(h, binary.LittleEndian, expLow)
	binary.Write(h, binary.LittleEndian, squashTab)
	binary.Write(h, binary.LittleEndian, stretchTab)
	got := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join("testdata", "tables.golden")
	if *update {
		os.WriteFile(path, []byte(got+"\n"), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("numeric tables hash %s, golden %s", got, want)
	}
}
