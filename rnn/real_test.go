package rnn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

func testSpec(head string, d int, lags ...int) realio.Spec {
	h, err := dist.ParseHead(head)
	if err != nil {
		panic(err)
	}
	if h.Kind == dist.KindDiscretizedLogistic {
		h.Grid = dist.Grid{Lo: -4, Step: 0.05, N: 161}
	}
	s := realio.Spec{Head: h, Lags: lags}
	for i := range d {
		s.Mean = append(s.Mean, 100)
		s.Scale = append(s.Scale, 5+float64(i)*boolF(h.Kind != dist.KindDiscretizedLogistic))
	}
	return s
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var realConfigs = []struct {
	cfg  Config
	head string
	d    int
	lags []int
}{
	{Config{Cell: LSTM, Layers: 2, Hidden: 8}, "mog:3", 1, []int{3, 7}},
	{Config{Cell: GRU, Layers: 1, Hidden: 6}, "gaussian", 2, nil},
	{Config{Cell: LSTM, Layers: 1, Hidden: 5}, "student-t", 1, []int{2}},
	{Config{Cell: GRU, Layers: 2, Hidden: 6}, "dlogistic:2", 2, []int{4}},
}

// TestRealGrad checks every parameter's gradient by central differences,
// with a carried state, dropout off, lags reaching before the series and a
// missing value (whose step and the steps that read it are not scored).
func TestRealGrad(t *testing.T) {
	for _, rc := range realConfigs {
		r, err := NewReal(rc.cfg, testSpec(rc.head, rc.d, rc.lags...), 3)
		if err != nil {
			t.Fatal(err)
		}
		a := r.Arena()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range a.Params {
			a.Params[i] += float32(0.2 * rng.NormFloat64())
		}
		B, T, d := 3, 6, rc.d
		xs := neuraltest.Seasonal(rng, 40, d)
		xs[17*d] = math.NaN()
		x, y := make([]float64, B*(r.Past()+T)*d), make([]float64, B*T*d)
		neuraltest.RealWindows(x, y, xs, d, r.Past(), T, []int{2, 14, 30})
		start := append([]float32(nil), r.Carry(B)...)
		for i := range start {
			start[i] = float32(0.3 * rng.NormFloat64())
		}
		loss := func() float64 {
			copy(r.Carry(B), start)
			s, n := r.Forward(x, y, B, T, nil)
			return s / float64(n)
		}
		a.ZeroGrad()
		copy(r.Carry(B), start)
		_, n := r.Forward(x, y, B, T, nil)
		if n == 0 || n == B*T*d {
			t.Fatalf("%d of %d values scored: want the missing value and the lags before the start unscored", n, B*T*d)
		}
		r.Backward(1 / float32(n))
		neuraltest.CheckArenaGrads(t, a, loss, rng, 8, fmt.Sprintf("%s %s ", rc.cfg.Cell, rc.head))
	}
}

// TestRealInitLossAndOverfit: at initialization the head predicts about a
// standard normal of the standardized values (NLL near ½ ln 2πe ≈ 1.42 on
// data of unit variance), and training overfits one batch.
func TestRealInitLossAndOverfit(t *testing.T) {
	for _, cell := range []string{LSTM, GRU} {
		r, err := NewReal(Config{Cell: cell, Layers: 2, Hidden: 32}, testSpec("gaussian", 1, 7), 3)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		B, T := 4, 12
		xs := make([]float64, 200)
		for i := range xs {
			xs[i] = 100 + 5*rng.NormFloat64()
		}
		x, y := make([]float64, B*(r.Past()+T)), make([]float64, B*T)
		neuraltest.RealWindows(x, y, xs, 1, r.Past(), T, []int{20, 60, 100, 150})
		s, n := r.Forward(x, y, B, T, nil)
		if init := s / float64(n); math.Abs(init-1.42) > 0.15 {
			t.Errorf("%s: initial loss %.4f, want about 1.42", cell, init)
		}
		a := r.Arena()
		mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
		best := math.Inf(1)
		for step := 1; step <= 400; step++ {
			clear(r.Carry(B))
			a.ZeroGrad()
			s, n := r.Forward(x, y, B, T, nil)
			best = min(best, s/float64(n))
			r.Backward(1 / float32(n))
			neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
		}
		// The data are i.i.d.: 1.42 is the best loss without memorizing.
		if best > 0 {
			t.Errorf("%s: best loss %.4f in 400 steps on one batch, want below 0", cell, best)
		}
	}
}

// trainedReal returns a real-valued model trained a few steps on a
// seasonal series, and two stretches of that series (one with missing
// values) for the conformance suite.
func trainedReal(t testing.TB, cfg Config, spec realio.Spec) (*RealModel, [][]float64) {
	r, err := NewReal(cfg, spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	d := spec.Dim()
	xs := neuraltest.Seasonal(rng, 600, d)
	neuraltest.FitReal(r, xs, 4, 16, 40, 1e-2, rng, func() { clear(r.Carry(4)) })
	holes := append([]float64(nil), xs[100*d:160*d]...)
	for t := 5; t < 60; t += 11 {
		holes[t*d] = math.NaN()
	}
	return r, [][]float64{xs[:50*d], holes}
}

// teacher is the suite's Options.Teacher for r: one Forward over the
// history from a zero carried state, the log-densities of its rows. After
// a missing value the two paths part by design (training reads a missing
// input as the mean, a state as its predictive mean, and the recurrence
// carries the difference): those steps are NaN, not compared.
func teacher(r *RealModel) func(xs, dst []float64) {
	return func(xs, dst []float64) {
		d, T := r.Dim(), len(dst)
		x, y := make([]float64, (r.Past()+T)*d), make([]float64, T*d)
		neuraltest.RealWindows(x, y, xs, d, r.Past(), T, []int{0})
		clear(r.Carry(1))
		r.Forward(x, y, 1, T, nil)
		r.spec.LogDensities(dst, r.tr.raw, r.tr.tgt, T)
		for k, v := range xs[:T*d] {
			if math.IsNaN(v) {
				for t := k / d; t < T; t++ {
					dst[t] = math.NaN()
				}
				break
			}
		}
	}
}

// TestRealConformance runs the real-valued seam's suite on every head. The
// training path runs the same cell arithmetic as the states but with the
// batched GEMMs' summation order, hence TeacherTol.
func TestRealConformance(t *testing.T) {
	for _, rc := range realConfigs {
		t.Run(fmt.Sprintf("%s %s", rc.cfg.Cell, rc.head), func(t *testing.T) {
			r, hist := trainedReal(t, rc.cfg, testSpec(rc.head, rc.d, rc.lags...))
			modeltest.TestRealModel(t, r, modeltest.RealOptions{
				Histories:  hist,
				Teacher:    teacher(r),
				TeacherTol: 2e-6,
				SaveLoad:   modeltest.RealPayloadRoundTrip(ReadReal),
			})
		})
	}
}

// TestRealPayload: the real-valued payload is version 2, the token reader
// refuses it and the real reader refuses a token payload, and truncations
// fail cleanly.
func TestRealPayload(t *testing.T) {
	r, err := NewReal(Config{Cell: GRU, Layers: 1, Hidden: 4}, testSpec("mog:2", 1, 7), 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if data[8] != 2 {
		t.Errorf("payload version %d, want 2", data[8])
	}
	if _, err := Read(bytes.NewReader(data), int64(len(data))); err == nil {
		t.Error("the token reader read a real-valued payload")
	}
	m := newModel(t, Config{Cell: GRU, Layers: 1, Hidden: 4}, 5)
	var tb bytes.Buffer
	m.WriteTo(&tb)
	if _, err := ReadReal(bytes.NewReader(tb.Bytes()), int64(tb.Len())); err == nil {
		t.Error("the real-valued reader read a token payload")
	}
	for _, n := range []int{10, 80, len(data) - 4} {
		if _, err := ReadReal(bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Errorf("a payload cut to %d bytes was read", n)
		}
	}
	if _, err := NewReal(Config{Cell: LSTM, Layers: 1, Hidden: 4, Embed: 3}, testSpec("gaussian", 1), 1); err == nil {
		t.Error("a real-valued model with an embedding width was built")
	}
}

// FuzzReadReal: no input makes the reader panic or allocate past its caps.
func FuzzReadReal(f *testing.F) {
	r, _ := NewReal(Config{Cell: LSTM, Layers: 1, Hidden: 3}, testSpec("student-t", 1, 2), 1)
	var buf bytes.Buffer
	r.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadReal(bytes.NewReader(data), int64(len(data)))
	})
}
