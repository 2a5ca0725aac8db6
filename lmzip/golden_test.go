package lmzip

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
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
		{"adaptive-balanced", Options{Adaptive: "balanced", BlockSize: 1 << 14}},
		{"adaptive-fast", Options{Adaptive: "fast", BlockSize: 1 << 14}},
		// The mix preset of engine 1, written before engine 2 existed.
		{"adaptive-mix-cm1", Options{Adaptive: "cm o=1,2,3,4,5,6,8 w=1 m=7 h=18 l=127 r=4 x=3 a=2", BlockSize: 1 << 14}},
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
			want := checkGolden(t, tc.name, in, compress(t, in, tc.opts), ReaderOptions{Static: tc.opts.Static})
			if s := tc.opts.Static; s != nil && (want[7]&flagTokenFirst == 0) != s.originalLiterals {
				t.Fatalf("%s: flags %#x", tc.name, want[7])
			}
		})
	}
}

// checkGolden compares comp, the compression of in, with the golden file
// name (rewritten first under -update): the stored file must decode to in
// (the cross-platform check, on whatever machine runs the test) and comp
// must equal it byte for byte. It returns the stored bytes.
func checkGolden(t *testing.T, name string, in, comp []byte, ropts ReaderOptions) []byte {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
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
	got, err := decompress(want, ropts)
	if err != nil {
		t.Fatalf("decompressing %s: %v", path, err)
	}
	if !bytes.Equal(got, in) {
		t.Fatalf("%s decodes to different bytes", path)
	}
	if !bytes.Equal(comp, want) {
		t.Fatalf("compressed bytes differ from %s (%d vs %d bytes): the coding path drifted", path, len(comp), len(want))
	}
	return want
}

// integerWeights overwrites every parameter with k/2048 for k uniform in
// [−1024, 1024], drawn by integer code (PCG): the same weights on every
// platform, where the families' own initializers use float functions.
func integerWeights(params []float32, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6e657572616c))
	for i := range params {
		params[i] = float32(int(r.Uint64()%2049)-1024) / 2048
	}
}

// neuralStatic returns the static description of a tiny model of family
// ("gpt", "lstm" or "gru") with integer weights over the characters of
// text, through a model file, as the CLI gets it (StaticFromFile).
func neuralStatic(t *testing.T, family string, text []byte) *Static {
	t.Helper()
	cb := tokenize.NewCharBuilder()
	cb.Add(text)
	cb.Flush()
	tok, err := cb.Build()
	if err != nil {
		t.Fatal(err)
	}
	f := &modelfile.File{Meta: modelfile.Meta{Family: family, Mode: "stream"}, Tokenizer: tok}
	if family == "gpt" {
		m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 2, Context: 32}, tok.Vocab(), 1)
		if err != nil {
			t.Fatal(err)
		}
		integerWeights(m.Arena().Params, 1)
		f.Model = m
	} else {
		// The recurrent models in lines mode, as the PTB word models.
		m, err := rnn.New(rnn.Config{Cell: family, Layers: 2, Hidden: 32}, tok.Vocab(), 1)
		if err != nil {
			t.Fatal(err)
		}
		integerWeights(m.Arena().Params, 2)
		f.Model = m
		f.Meta.Mode = "lines"
	}
	var buf bytes.Buffer
	if _, err := modelfile.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	mf, err := modelfile.Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return StaticFromFile(mf)
}

// TestNeuralGolden codes a part of goldenInput (text, bytes outside the
// vocabulary, zeros) with tiny GPT, LSTM and GRU models on their exact
// states (numeric path 2), and compares with golden files written on
// linux/amd64, as TestGolden does: under -tags noasm, arm64 and ARMv7
// (scripts/test-lmzip-crossarch.sh) it checks that the neural families'
// exact log-probabilities are the same bits everywhere. The GPT's window
// of 32 overflows every 16 tokens, so the re-encoding of the kept half is
// covered; the recurrent models run in lines mode.
func TestNeuralGolden(t *testing.T) {
	g := goldenInput()
	in := append(append(bytes.Clone(g[:5000]), g[20000:20300]...), g[31000:31200]...)
	for _, family := range []string{"gpt", "lstm", "gru"} {
		t.Run(family, func(t *testing.T) {
			s := neuralStatic(t, family, g[:3000])
			if p := s.numericPath(); p != PathExactLogProbs {
				t.Fatalf("numeric path %d", p)
			}
			comp := compress(t, in, Options{Static: s, BlockSize: 1 << 12})
			checkGolden(t, "static-"+family, in, comp, ReaderOptions{Static: s})
			t.Logf("%d bytes -> %d", len(in), len(comp))
		})
	}
}

// TestAdaptiveNeuralGolden pins the adaptive LSTM and transformer the same
// way on a shorter input (text, random bytes, zeros: 6.5 kB) with small
// configurations, so that the cross-architecture runs under qemu stay
// short; their floats go through internal/exact, whose own outputs its
// TestGolden pins. Both revisions of the networks: the current one
// (adaptive-*.golden, v=2 in the header) and revision 1 (written before
// revisions were recorded; adaptive-*-rev1.golden), which the reader still
// decodes and the writer's test-only switch still produces byte for byte.
func TestAdaptiveNeuralGolden(t *testing.T) {
	g := goldenInput()
	in := append(append(bytes.Clone(g[:5000]), g[20000:21000]...), g[31500:32000]...)
	// Small context models and networks (32 wide: one vector of the exact
	// kernels) keep the emulated runs short; the presets run the same code.
	for arch, cfg := range map[string]string{
		"lstm": "cm o=1,2,3 w=0 m=0 h=12 l=127 r=3 x=1 a=0 n=32,10,50",
		"gpt":  "cm o=1,2,3 w=0 m=0 h=12 l=127 r=3 x=1 a=0 g=32,1,1,16,10",
	} {
		for _, rev := range []int{1, netRevision} {
			name := "adaptive-" + arch
			if rev == 1 {
				name += "-rev1"
			}
			t.Run(name, func(t *testing.T) {
				opts := Options{Adaptive: cfg, BlockSize: 1 << 12, legacyNets: rev == 1}
				want := checkGolden(t, name, in, compress(t, in, opts), ReaderOptions{})
				info, err := ReadInfo(bytes.NewReader(want), name)
				if err != nil {
					t.Fatal(err)
				}
				if c, _ := ParseAdaptiveConfig(info.Config); c.Revision != rev {
					t.Fatalf("header %q: revision %d, want %d", info.Config, c.Revision, rev)
				}
			})
		}
	}
}
