package lmzip

import (
	"bytes"
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavenet"
	"github.com/autoreg/autoreg/wavfile"
)

// realStatic returns the static description of a small LSTM of d-channel
// 16-bit sound with a discretized logistic head over the 65,536 levels,
// its weights drawn by integer code (the same on every platform), through
// a model file as the CLI gets it.
func realStatic(t testing.TB, d int) *Static {
	t.Helper()
	h, err := dist.ParseHead("dlogistic:3")
	if err != nil {
		t.Fatal(err)
	}
	const scale = 4000
	h.Grid = dist.Grid{Lo: -32768.0 / scale, Step: 1.0 / scale, N: 65536}
	sp := realio.Spec{Head: h, Lags: []int{2}, Highway: true}
	for range d {
		sp.Mean, sp.Scale = append(sp.Mean, 0), append(sp.Scale, scale)
	}
	m, err := rnn.NewReal(rnn.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 16}, sp, 1)
	if err != nil {
		t.Fatal(err)
	}
	integerWeights(m.Arena().Params, 3)
	for i := range m.Arena().Params { // small weights: a smooth, plausible model
		m.Arena().Params[i] /= 16
	}
	var buf bytes.Buffer
	cols := []string{"ch1", "ch2"}[:d]
	if _, err := modelfile.Encode(&buf, &modelfile.File{Meta: modelfile.Meta{Family: "lstm-real", Columns: cols}, Real: m}); err != nil {
		t.Fatal(err)
	}
	mf, err := modelfile.Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return StaticFromFile(mf)
}

// TestRealStaticGolden codes a 16-bit stereo WAV file with a real-valued
// model on its exact state (PathCDF) and compares with a golden file
// written on linux/amd64; the cross-architecture script reproduces it
// under -tags noasm, on arm64 and on ARMv7. The compressed size is the
// model's NLL of the samples (its float state) to within the header's
// bytes and 0.01%: the integer frequencies cost next to nothing (this
// random model puts some samples below the 2⁻³⁰ floor of a bin, which the
// coder then codes in fewer bits than the NLL says).
func TestRealStaticGolden(t *testing.T) {
	s := realStatic(t, 2)
	f := wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 22050, Bits: 16}
	in := integerWAV(t, f, 3000)
	comp := compress(t, in, Options{Static: s, BlockSize: 1 << 12})
	checkGolden(t, "static-real-wav16", in, comp, ReaderOptions{Static: s})
	info, err := ReadInfo(bytes.NewReader(comp), "")
	if err != nil || !info.Static || info.Path != PathCDF || !strings.Contains(info.Config, "media wav") {
		t.Fatalf("header %+v, %v", info, err)
	}

	wf, err := wavfile.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	ints, _ := wf.Ints(nil)
	st := s.Real.NewRealState()
	var nll float64
	for k := 0; k < len(ints); k += 2 {
		p := st.Predict()
		for i := range 2 {
			nll -= p.LogProb(i, float64(ints[k+i]))
		}
		st.Append(float64(ints[k]), float64(ints[k+1]))
	}
	bits := nll / math.Ln2
	got := float64(8 * len(comp))
	t.Logf("NLL %.0f bits (%.3f bits/sample), compressed %.0f bits: +%.0f", bits, bits/float64(len(ints)), got, got-bits)
	if math.Abs(got-bits) > bits*1e-4+8*120 {
		t.Errorf("compressed to %.0f bits; the model's NLL is %.0f bits", got, bits)
	}
}

// TestRealStaticRefuses: inputs and models the real-valued coder cannot
// take are refused with a reason, and the reader refuses the wrong kind
// of model.
func TestRealStaticRefuses(t *testing.T) {
	s := realStatic(t, 1)
	var out bytes.Buffer
	for name, in := range map[string][]byte{
		"text":   []byte("not a WAV file at all"),
		"stereo": integerWAV(t, wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 8000, Bits: 16}, 100),
		"mulaw":  integerWAV(t, wavfile.Format{Encoding: wavfile.MuLaw, Channels: 1, SampleRate: 8000, Bits: 8}, 100),
	} {
		if _, err := Compress(t.Context(), &out, bytes.NewReader(in), Options{Static: s}); err == nil {
			t.Errorf("%s: compressed with a real-valued model", name)
		}
	}
	if _, err := NewWriter(t.Context(), &out, Options{Static: s, NoMedia: true}); err == nil {
		t.Error("a real-valued model was given plain bytes to code")
	}
	in := integerWAV(t, wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 8000, Bits: 8}, 500)
	comp := roundTrip(t, in, Options{Static: s}, ReaderOptions{Static: s})
	tok := neuralStatic(t, "lstm", []byte("abc"))
	tok.ID = s.ID
	if _, err := decompress(comp, ReaderOptions{Static: tok}); err == nil {
		t.Error("a token model decoded a real-valued model's stream")
	}
}

// TestWaveNetStaticGolden codes a G.711 μ-law WAV file with a small
// WaveNet over its bytes (the g711u tokenizer) on the WaveNet's exact state
// (numeric path 2), weights drawn by integer code, and compares with a
// golden file written on linux/amd64: the cross-architecture script
// reproduces it under -tags noasm, on arm64 and on ARMv7.
func TestWaveNetStaticGolden(t *testing.T) {
	tok, err := tokenize.NewG711U(tokenize.Audio{Rate: 8000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := wavenet.New(wavenet.Config{Layers: 4, Stacks: 2, Residual: 16, Gate: 16, Skip: 32}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	integerWeights(m.Arena().Params, 4)
	for i := range m.Arena().Params {
		m.Arena().Params[i] /= 4
	}
	in := integerWAV(t, wavfile.Format{Encoding: wavfile.MuLaw, Channels: 1, SampleRate: 8000, Bits: 8}, 3000)
	// The output bias favours the file's common bytes (integer code, so
	// the same everywhere): a model that compresses, so the block is coded.
	var count [256]int
	for _, b := range in {
		count[b]++
	}
	ob, _ := m.Arena().View("out2b")
	for v, n := range count {
		ob.Data(m.Arena())[v] = float32(bits.Len(uint(n))) / 2
	}
	var buf bytes.Buffer
	if _, err := modelfile.Encode(&buf, &modelfile.File{Meta: modelfile.Meta{Family: "wavenet", Mode: "stream"}, Tokenizer: tok, Model: m}); err != nil {
		t.Fatal(err)
	}
	mf, err := modelfile.Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	s := StaticFromFile(mf)
	if p := s.numericPath(); p != PathExactLogProbs {
		t.Fatalf("numeric path %d", p)
	}
	comp := compress(t, in, Options{Static: s, BlockSize: 1 << 12})
	checkGolden(t, "static-wavenet", in, comp, ReaderOptions{Static: s})
	c := newCountingReader(bytes.NewReader(comp))
	if _, err := readHeader(c, "golden"); err != nil || comp[c.off] != kindCoded {
		t.Fatalf("the block is not coded (%v)", err)
	}
	t.Logf("%d bytes -> %d", len(in), len(comp))
}
