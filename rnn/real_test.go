package rnn

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

var realConfigs = []struct {
	cfg  Config
	head string
	d    int
	lags []int
	hw   bool
}{
	{Config{Cell: LSTM, Layers: 2, Hidden: 8}, "mog:3", 1, []int{3, 7}, true},
	{Config{Cell: GRU, Layers: 1, Hidden: 6}, "gaussian", 2, nil, false},
	{Config{Cell: LSTM, Layers: 1, Hidden: 5}, "student-t", 1, []int{2}, false},
	{Config{Cell: GRU, Layers: 2, Hidden: 6}, "dlogistic:2", 2, []int{4}, true},
}

// randomCarry returns a before function that sets r's carried state to
// values drawn once: the gradient treats it as a constant.
func randomCarry(r *RealModel) func(B int) {
	var start []float32
	return func(B int) {
		if start == nil {
			rng := rand.New(rand.NewPCG(4, 4))
			start = make([]float32, len(r.Carry(B)))
			for i := range start {
				start[i] = float32(0.3 * rng.NormFloat64())
			}
		}
		copy(r.Carry(B), start)
	}
}

// spec is neuraltest.Spec with the highway on or off.
func spec(head string, d int, hw bool, lags ...int) realio.Spec {
	s := neuraltest.Spec(head, d, lags...)
	s.Highway = hw
	return s
}

// TestRealGrad checks every parameter's gradient by central differences,
// with a carried state, lags reaching before the series and a missing
// value (whose step and the steps that read it are not scored).
func TestRealGrad(t *testing.T) {
	for _, rc := range realConfigs {
		r, err := NewReal(rc.cfg, spec(rc.head, rc.d, rc.hw, rc.lags...), 3)
		if err != nil {
			t.Fatal(err)
		}
		neuraltest.CheckRealGrads(t, r, randomCarry(r), fmt.Sprintf("%s %s ", rc.cfg.Cell, rc.head))
	}
}

// TestRealInitLossAndOverfit: the initial loss of a standard normal, and
// one batch memorized.
func TestRealInitLossAndOverfit(t *testing.T) {
	for _, cell := range []string{LSTM, GRU} {
		r, err := NewReal(Config{Cell: cell, Layers: 2, Hidden: 32}, neuraltest.Spec("gaussian", 1, 7), 3)
		if err != nil {
			t.Fatal(err)
		}
		neuraltest.CheckRealInitAndOverfit(t, r, func(B int) { clear(r.Carry(B)) }, cell)
	}
}

// trainedReal returns a real-valued model trained a few steps on a
// seasonal series, and the conformance suite's histories from that series.
func trainedReal(t testing.TB, cfg Config, spec realio.Spec) (*RealModel, [][]float64) {
	r, err := NewReal(cfg, spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	xs := neuraltest.Seasonal(rng, 600, spec.Dim())
	neuraltest.FitReal(r, xs, 4, 16, 40, 1e-2, rng, func() { clear(r.Carry(4)) })
	return r, neuraltest.RealHistories(xs, spec.Dim())
}

// TestRealConformance runs the real-valued seam's suite on every head. The
// training path runs the same cell arithmetic as the states but with the
// batched GEMMs' summation order: TeacherTol 2e-6, 15 times the largest
// difference seen (1.4e-7).
func TestRealConformance(t *testing.T) {
	for _, rc := range realConfigs {
		t.Run(fmt.Sprintf("%s %s", rc.cfg.Cell, rc.head), func(t *testing.T) {
			r, hist := trainedReal(t, rc.cfg, spec(rc.head, rc.d, rc.hw, rc.lags...))
			modeltest.TestRealModel(t, r, modeltest.RealOptions{
				Histories: hist,
				Teacher: neuraltest.RealTeacher(r, func() { clear(r.Carry(1)) }, func(dst []float64) {
					r.Spec.LogDensities(dst, r.tr.raw, r.tr.tgt, len(dst))
				}),
				TeacherTol: 2e-6,
				SaveLoad:   modeltest.RealPayloadRoundTrip(ReadReal),
			})
		})
	}
}

// TestRealPayload: the real-valued payload is version 2 and each reader
// refuses the other kind and truncations.
func TestRealPayload(t *testing.T) {
	r, err := NewReal(Config{Cell: GRU, Layers: 1, Hidden: 4}, neuraltest.Spec("mog:2", 1, 7), 1)
	if err != nil {
		t.Fatal(err)
	}
	neuraltest.CheckRealPayload(t, r, newModel(t, Config{Cell: GRU, Layers: 1, Hidden: 4}, 5),
		func(r io.Reader, n int64) error { _, err := ReadReal(r, n); return err },
		func(r io.Reader, n int64) error { _, err := Read(r, n); return err })
	if _, err := NewReal(Config{Cell: LSTM, Layers: 1, Hidden: 4, Embed: 3}, neuraltest.Spec("gaussian", 1), 1); err == nil {
		t.Error("a real-valued model with an embedding width was built")
	}
}

// FuzzReadReal: no input makes the reader panic or allocate past its caps.
func FuzzReadReal(f *testing.F) {
	r, _ := NewReal(Config{Cell: LSTM, Layers: 1, Hidden: 3}, neuraltest.Spec("student-t", 1, 2), 1)
	var buf bytes.Buffer
	r.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadReal(bytes.NewReader(data), int64(len(data)))
	})
}
