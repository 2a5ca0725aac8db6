package lmzip

import (
	"bytes"
	"crypto/sha256"
	"math"
	"strings"
	"testing"
)

const toyAlpha = "abcdefghijklmnopqrstuvwxyz ,.\n"

func toyStatic(mode int, words ...string) *Static {
	tok := newCharTok(toyAlpha, words...)
	train := bytes.ToLower(sampleText(40000, 11))
	m := newBigram(tok, train, mode)
	return &Static{ID: sha256.Sum256([]byte{byte(mode), byte(len(words))}), Model: m, Tokenizer: tok}
}

func TestStaticRoundTrip(t *testing.T) {
	inputs := map[string][]byte{
		"empty":   {},
		"one":     {'a'},
		"unknown": {0xFF},
		"text":    bytes.ToLower(sampleText(20000, 12)),
		"cased":   sampleText(20000, 13), // capitals are escaped
		"random":  randomBytes(5000, 14),
	}
	for mode, want := range []byte{PathPlatform, PathExactLogProbs, PathCDF} {
		for _, words := range [][]string{nil, {"the ", "and", "th", "he"}} {
			s := toyStatic(mode, words...)
			if got := s.numericPath(); got != want {
				t.Fatalf("mode %d: numeric path %d, want %d", mode, got, want)
			}
			for name, data := range inputs {
				for _, bs := range []int{0, 4096} {
					comp := roundTrip(t, data, Options{Static: s, BlockSize: bs}, ReaderOptions{Static: s})
					t.Logf("path %d words %d %s/%d: %d -> %d", want, len(words), name, bs, len(data), len(comp))
				}
			}
		}
	}
}

// TestStaticCrossEntropy checks that the compressed size is the model's own
// cross-entropy on the file plus at most 0.1% plus the container's fixed
// costs.
func TestStaticCrossEntropy(t *testing.T) {
	s := toyStatic(0, "the ", "and", "th", "he")
	data := bytes.ToLower(sampleText(200000, 15))
	// The token sequence the coder sees, scored with LogProb.
	c := newStaticCodec(s, 0, s.numericPath())
	toks := c.tokenize(data)
	st := s.Model.NewState()
	st.Append(s.Model.Vocab().BOS())
	bitsCE := 0.0
	for _, tk := range toks {
		if tk < 0 {
			t.Fatal("unexpected escape")
		}
		bitsCE -= st.LogProb(tk) / math.Ln2
		st.Append(tk)
	}
	comp := compress(t, data, Options{Static: s})
	fixed := len(compress(t, nil, Options{Static: s})) + 16 // header, end marker, one block's framing
	got := float64(len(comp)-fixed) * 8
	over := (got - bitsCE) / bitsCE
	t.Logf("cross-entropy %.0f bits, compressed %d bytes (%.0f bits after %d fixed bytes): %+.4f%%", bitsCE, len(comp), got, fixed, 100*over)
	if over > 0.001 {
		t.Errorf("compressed size exceeds cross-entropy by %.3f%%", 100*over)
	}
}

func TestStaticWrongModel(t *testing.T) {
	s := toyStatic(2)
	data := []byte("some text to compress.\n")
	comp := compress(t, data, Options{Static: s})
	if _, err := decompress(comp, ReaderOptions{}); err == nil || !strings.Contains(err.Error(), "give that model") {
		t.Fatalf("no model: %v", err)
	}
	other := toyStatic(2, "xx")
	if _, err := decompress(comp, ReaderOptions{Static: other}); err == nil || !strings.Contains(err.Error(), "given model is") {
		t.Fatalf("wrong model: %v", err)
	}
	// Same ID but a different model (a liar): the checksum catches it.
	liar := *other
	liar.ID = s.ID
	liar.Model = newBigram(newCharTok(toyAlpha), []byte("zzzz zz z"), 2)
	liar.Tokenizer = newCharTok(toyAlpha)
	if _, err := decompress(comp, ReaderOptions{Static: &liar}); err == nil {
		t.Fatal("different model with the same ID decoded without error")
	}
	// An adaptive stream given a model is fine (the model is ignored).
	ad := compress(t, data, Options{Adaptive: tinyCM})
	if got, err := decompress(ad, ReaderOptions{Static: s}); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("adaptive with a model: %v", err)
	}
}

func TestStaticPlatformTag(t *testing.T) {
	s := toyStatic(0)
	comp := compress(t, []byte("abc"), Options{Static: s})
	info, err := ReadInfo(bytes.NewReader(comp), "x")
	if err != nil || !info.Static || info.Path != PathPlatform || info.Platform != platformTag() {
		t.Fatalf("info %+v err %v", info, err)
	}
	// Rewrite the tag as another platform's (and fix the header CRC).
	h := header{mode: modeStatic, blockLog: defaultBlockLog, modelID: s.ID, path: PathPlatform, platform: "otherarch"}
	hb := h.marshal()
	old := (&header{mode: modeStatic, blockLog: defaultBlockLog, modelID: s.ID, path: PathPlatform, platform: platformTag()}).marshal()
	moved := append(hb, comp[len(old):]...)
	if _, err := decompress(moved, ReaderOptions{Static: s}); err == nil || !strings.Contains(err.Error(), "otherarch") {
		t.Fatalf("platform mismatch: %v", err)
	}
	s2 := *s
	s2.AllowPlatformMismatch = true
	if got, err := decompress(moved, ReaderOptions{Static: &s2}); err != nil || string(got) != "abc" {
		t.Fatalf("allowed mismatch: %v", err)
	}
}

// TestStaticPlatformNeural checks that files coded with a neural model's
// fast state on PathPlatform (as before the exact states) still decode on
// their platform, with the fast state, while the same model now writes
// PathExactLogProbs files; and that another platform's tag is refused.
func TestStaticPlatformNeural(t *testing.T) {
	g := goldenInput()
	in := g[:3000]
	for _, family := range []string{"gpt", "lstm"} {
		s := neuralStatic(t, family, g[:3000])
		old := *s
		old.platformFloats = true
		comp := compress(t, in, Options{Static: &old})
		info, err := ReadInfo(bytes.NewReader(comp), "x")
		if err != nil || info.Path != PathPlatform || info.Platform != platformTag() {
			t.Fatalf("%s: info %+v err %v", family, info, err)
		}
		if got, err := decompress(comp, ReaderOptions{Static: s}); err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%s: a path-3 file does not decode: %v", family, err)
		}
		exact := compress(t, in, Options{Static: s})
		if info, _ := ReadInfo(bytes.NewReader(exact), "x"); info.Path != PathExactLogProbs || info.Platform != "" {
			t.Fatalf("%s: new files: info %+v", family, info)
		}
		t.Logf("%s: %d bytes: path 3 %d, path 2 %d", family, len(in), len(comp), len(exact))
		// Rewrite the tag as another platform's (and fix the header CRC).
		h := header{mode: modeStatic, blockLog: defaultBlockLog, flags: comp[7], modelID: s.ID, path: PathPlatform, platform: platformTag()}
		n := len(h.marshal())
		h.platform = "otherarch"
		moved := append(h.marshal(), comp[n:]...)
		if _, err := decompress(moved, ReaderOptions{Static: s}); err == nil || !strings.Contains(err.Error(), "otherarch") {
			t.Fatalf("%s: platform mismatch: %v", family, err)
		}
	}
}

func TestQuantizeLogProbs(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, lp := range [][]float32{
		{0},
		{-inf, -inf},
		{nan, 0, -1},
		{inf, 0},
		{-1000, -0.5, -100, -2},
		{-0.1, -3, -1e-30, -47.99, -48.01},
	} {
		cdf := make([]uint32, len(lp)+1)
		QuantizeLogProbs(cdf, lp, make([]uint64, len(lp)))
		for i := range lp {
			if cdf[i+1] <= cdf[i] {
				t.Fatalf("%v: symbol %d impossible: %v", lp, i, cdf)
			}
		}
	}
	// Probabilities are reproduced closely.
	lp := []float32{float32(math.Log(0.5)), float32(math.Log(0.25)), float32(math.Log(0.125)), float32(math.Log(0.125))}
	cdf := make([]uint32, 5)
	QuantizeLogProbs(cdf, lp, make([]uint64, 4))
	for i, v := range lp {
		p := float64(cdf[i+1]-cdf[i]) / float64(cdf[4])
		if math.Abs(p-math.Exp(float64(v))) > 1e-5*p {
			t.Errorf("symbol %d: p %.9f want %.9f", i, p, math.Exp(float64(v)))
		}
	}
}

// TestStaticLines: in lines mode every newline is </s> and each line starts
// after <s> with an empty history; the size is the lines-mode cross-entropy
// (every line's tokens and its </s>) plus the container.
func TestStaticLines(t *testing.T) {
	s := toyStatic(0, "the ", "and")
	s.Lines = true
	data := bytes.ToLower(sampleText(30000, 21))
	data = append(data, "\n\nlast line without newline"...)
	comp := roundTrip(t, data, Options{Static: s, BlockSize: 4096}, ReaderOptions{Static: s})
	// The same stream read with a Static that does not say Lines: the
	// header decides.
	s2 := *s
	s2.Lines = false
	if got, err := decompress(comp, ReaderOptions{Static: &s2}); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("header's lines flag not followed: %v", err)
	}
	// Cross-entropy in lines mode.
	st := s.Model.NewState()
	v := s.Model.Vocab()
	bitsCE := 0.0
	for i, line := range bytes.Split(data, []byte("\n")) {
		st.Reset()
		st.Append(v.BOS())
		for _, tk := range newStaticCodec(s, 0, s.numericPath()).tokenize(line) {
			if tk < 0 {
				t.Fatal("unexpected escape")
			}
			bitsCE -= st.LogProb(tk) / math.Ln2
			st.Append(tk)
		}
		if i < bytes.Count(data, []byte("\n")) {
			bitsCE -= st.LogProb(v.EOS()) / math.Ln2
		}
	}
	comp = compress(t, data, Options{Static: s})
	fixed := len(compress(t, nil, Options{Static: s})) + 16
	got := float64(len(comp)-fixed) * 8
	t.Logf("lines: cross-entropy %.0f bits, coded %.0f bits", bitsCE, got)
	if math.Abs(got-bitsCE) > 0.001*bitsCE {
		t.Errorf("coded %.0f bits, cross-entropy %.0f", got, bitsCE)
	}
}
