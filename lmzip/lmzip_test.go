package lmzip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// sampleText is deterministic English-like text.
func sampleText(n int, seed uint64) []byte {
	words := strings.Fields("the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they you were her she all their there had one we my so if no what")
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		// Integer-only sampling (skewed toward the first words), so the
		// text is identical on every platform: golden files depend on it.
		w := words[min(r.IntN(len(words)), r.IntN(len(words)), r.IntN(len(words)))]
		if r.IntN(12) == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		switch r.IntN(15) {
		case 0:
			b.WriteString(".\n")
		case 1:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 9))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func compress(t testing.TB, data []byte, opts Options) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Compress(context.Background(), &out, bytes.NewReader(data), opts); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func decompress(comp []byte, ropts ReaderOptions) ([]byte, error) {
	var out bytes.Buffer
	_, err := Decompress(context.Background(), &out, bytes.NewReader(comp), ropts)
	return out.Bytes(), err
}

func roundTrip(t *testing.T, data []byte, opts Options, ropts ReaderOptions) []byte {
	t.Helper()
	comp := compress(t, data, opts)
	got, err := decompress(comp, ropts)
	if err != nil {
		t.Fatalf("decompress: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("round trip differs: %d bytes in, %d out", len(data), len(got))
	}
	return comp
}

func TestRoundTripAdaptive(t *testing.T) {
	inputs := map[string][]byte{
		"empty":  {},
		"one":    {'x'},
		"zero":   {0},
		"text":   sampleText(50000, 1),
		"random": randomBytes(20000, 2),
		"mixed":  append(sampleText(9000, 3), randomBytes(9000, 4)...),
		"zeros":  make([]byte, 30000),
	}
	for _, arch := range AdaptiveArchs() {
		for name, data := range inputs {
			for _, bs := range []int{0, 4096} {
				if arch != "ngram" && (bs == 0 || name == "zeros" || name == "zero") {
					continue // mix sets up 200 MB, lstm and gpt code ≈ 30 kB/s: keep the suite fast
				}
				if (arch == "lstm" || arch == "gpt" || arch == "fast") && (name == "text" || name == "random") {
					continue // "mixed" has both; the golden files cover more text
				}
				t.Run(fmt.Sprintf("%s/%s/%d", arch, name, bs), func(t *testing.T) {
					comp := roundTrip(t, data, Options{Adaptive: arch, BlockSize: bs}, ReaderOptions{})
					t.Logf("%d -> %d bytes", len(data), len(comp))
				})
			}
		}
	}
}

// tinyCM is a small adaptive configuration for tests that build many models.
const tinyCM = "cm o=1,3 w=0 m=0 h=10 l=255 r=6 x=1 a=1"

// tinyCM2 is a small configuration of the content-aware engine.
const tinyCM2 = "cm2 h=10 b=16 m=5,12 l=255 r=6,2 a=3"

// tinyLight is engine 2's light profile with small tables.
const tinyLight = "cm2 h=10 b=16 m=6 l=1023 r=6,2 a=1 p=1"

// tinyFast is engine 2's fast profile (the default level's) with small
// tables.
const tinyFast = "cm2 h=10 b=16 m=5 l=1023 r=16,2 a=1 p=2"

func TestHeaderSize(t *testing.T) {
	comp := compress(t, nil, Options{Adaptive: "ngram"})
	t.Logf("empty input: %d bytes", len(comp))
	if len(comp) > 64 {
		t.Errorf("empty input compresses to %d bytes", len(comp))
	}
}

func TestRandomOverhead(t *testing.T) {
	data := randomBytes(1<<20, 5)
	if testing.Short() {
		data = data[:1<<18]
	}
	// The stored fallback, not the model, bounds the overhead: a light
	// configuration keeps the test fast.
	comp := roundTrip(t, data, Options{Adaptive: tinyCM}, ReaderOptions{})
	hdr := len(compress(t, nil, Options{Adaptive: tinyCM}))
	over := float64(len(comp)-hdr-len(data)) / float64(len(data))
	t.Logf("random %d bytes -> %d (header+end %d), overhead %.4f%%", len(data), len(comp), hdr, 100*over)
	if over > 0.005 {
		t.Errorf("overhead %.3f%% > 0.5%%", 100*over)
	}
}

func TestCorruptAndTruncated(t *testing.T) {
	data := sampleText(2000, 6)
	for _, opts := range []Options{{Adaptive: tinyCM}, {Adaptive: tinyCM, BlockSize: 4096}} {
		comp := compress(t, data, opts)
		for i := 0; i < len(comp); i++ {
			if _, err := decompress(comp[:i], ReaderOptions{}); err == nil {
				t.Fatalf("truncated at %d of %d: no error", i, len(comp))
			}
		}
		for i := 0; i < len(comp); i++ {
			bad := bytes.Clone(comp)
			bad[i] ^= 1 << (i % 8)
			got, err := decompress(bad, ReaderOptions{})
			if err == nil && !bytes.Equal(got, data) {
				t.Fatalf("flip at %d: wrong output without error", i)
			}
			if err == nil {
				continue // the flip left the coded value inside the final interval: same output
			}
			if !errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "version") {
				t.Fatalf("flip at %d: error not ErrCorrupt: %v", i, err)
			}
		}
		if _, err := decompress(append(bytes.Clone(comp), 0), ReaderOptions{}); err == nil {
			t.Fatal("trailing data accepted")
		}
	}
}

func TestParseAdaptiveConfig(t *testing.T) {
	for _, arch := range AdaptiveArchs() {
		c, err := AdaptivePreset(arch)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseAdaptiveConfig(c.String())
		if err != nil || back.String() != c.String() {
			t.Fatalf("%s: %q -> %q, %v", arch, c.String(), back.String(), err)
		}
	}
	for _, bad := range []string{
		"", "cm", "cm o=1 w=0 m=0 h=16 l=127 r=3 x=1",
		"cm o=1,1 w=0 m=0 h=16 l=127 r=3 x=1 a=0",
		"cm o=9 w=0 m=0 h=16 l=127 r=3 x=1 a=0",
		"cm o=1 w=2 m=0 h=16 l=127 r=3 x=1 a=0",
		"cm o=1 w=0 m=1 h=16 l=127 r=3 x=1 a=0",
		"cm o=1 w=0 m=0 h=23 l=127 r=3 x=1 a=0",
		"cm o=1 w=0 m=0 h=16 l=0 r=3 x=1 a=0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=2 a=0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=3",
		"cm o=1,2,3,4,5,6,7,8 w=1 m=0 h=22 l=127 r=3 x=1 a=0", // 2.5 GiB
		"cm w=0 o=1 m=0 h=16 l=127 r=3 x=1 a=0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=0,10,50",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=33,10,50",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=544,10,50",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,0,50",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,10,0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,10",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 k=64,10,5",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,2,1,16",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=48,2,1,16,10",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,3,1,16,10",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,2,5,16,10",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,2,1,15,10",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,2,1,16,0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 g=64,2,1,16,10 n=64,10,50", // wrong order
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,10,50 v=3",            // unknown revision
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,10,50 v=0",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 v=2", // revision without networks
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 v=2 n=64,10,50",
		"cm2", "cm2 h=16 b=20 m=6 l=255 r=6,2",
		"cm2 h=9 b=20 m=6 l=255 r=6,2 a=1",
		"cm2 h=25 b=20 m=6 l=255 r=6,2 a=1",
		"cm2 h=16 b=15 m=6 l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m=1 l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m=33 l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m=4,8,16,32 l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m= l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m=6 l=255 r=6 a=1",
		"cm2 h=16 b=20 m=6 l=255 r=6,0 a=1",
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=4",
		"cm2 b=20 h=16 m=6 l=255 r=6,2 a=1",
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=1 v=2",
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=1 p=0", // the full profile is spelled without p=
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=1 p=3",
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=1 p=1,1",
		"cm2 h=16 b=20 m=6 l=255 r=6,2 a=1 v=2 p=1",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 p=1",
		"cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 b=20",
	} {
		if _, err := ParseAdaptiveConfig(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{tinyCM2, tinyCM2 + " n=32,4,50 v=2", "cm2 h=24 b=28 m=4,8,32 l=1023 r=64,64 a=0", tinyLight, tinyLight + " n=32,4,50 v=2", tinyFast} {
		if c, err := ParseAdaptiveConfig(good); err != nil || c.String() != good || c.Engine != 2 {
			t.Errorf("%q: %v, %q, engine %d", good, err, c.String(), c.Engine)
		}
	}
	both := "cm o=1 w=0 m=0 h=16 l=127 r=3 x=1 a=0 n=64,10,50 g=64,2,1,16,10"
	if c, err := ParseAdaptiveConfig(both); err != nil || c.String() != both || c.Revision != 1 {
		t.Errorf("%q: %v, %q, revision %d", both, err, c.String(), c.Revision)
	}
	if c, err := ParseAdaptiveConfig(both + " v=2"); err != nil || c.String() != both+" v=2" || c.Revision != 2 {
		t.Errorf("%q: %v, %q, revision %d", both+" v=2", err, c.String(), c.Revision)
	}
	// The writer codes the current revision: a configuration without v=
	// gets it, one asking for revision 1 is refused.
	var buf bytes.Buffer
	zw, err := NewWriter(context.Background(), &buf, Options{Adaptive: both})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil { // the header goes out with the first block or at Close
		t.Fatal(err)
	}
	if info, err := ReadInfo(&buf, "header"); err != nil || info.Config != both+" v=2" {
		t.Errorf("header configuration %q, %v", info.Config, err)
	}
	if _, err := NewWriter(context.Background(), io.Discard, Options{Adaptive: both + " v=1"}); err == nil || !strings.Contains(err.Error(), "decoded, not written") {
		t.Errorf("revision 1 written: %v", err)
	}
	if _, err := NewWriter(context.Background(), io.Discard, Options{Adaptive: "nncp"}); err == nil || !strings.Contains(err.Error(), "fast, ngram, balanced, mix, lstm, gpt") {
		t.Errorf("unknown arch: %v", err)
	}
}

// TestCanceled: a done context stops the writer and the reader before
// their next block, with the context's error.
func TestCanceled(t *testing.T) {
	data := bytes.Repeat([]byte("a line of text to code\n"), 1000)
	comp := compress(t, data, Options{Adaptive: tinyCM, BlockSize: 4096})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compress(ctx, io.Discard, bytes.NewReader(data), Options{Adaptive: tinyCM, BlockSize: 4096}); !errors.Is(err, context.Canceled) {
		t.Errorf("Compress: %v, want context.Canceled", err)
	}
	if _, err := Decompress(ctx, io.Discard, bytes.NewReader(comp), ReaderOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Decompress: %v, want context.Canceled", err)
	}
}
