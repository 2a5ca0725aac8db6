package gpt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
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
	{Config{Layers: 2, Dim: 8, Heads: 2, Context: 16}, "mog:3", 1, []int{3, 7}, true},
	{Config{Layers: 1, Dim: 8, Heads: 1, Context: 12}, "gaussian", 2, nil, false},
	{Config{Layers: 1, Dim: 12, Heads: 3, Context: 16}, "student-t", 1, []int{2}, false},
	{Config{Layers: 2, Dim: 8, Heads: 2, Context: 7}, "dlogistic:2", 2, []int{4}, true},
}

// spec is neuraltest.Spec with the highway on or off.
func spec(head string, d int, hw bool, lags ...int) realio.Spec {
	s := neuraltest.Spec(head, d, lags...)
	s.Highway = hw
	return s
}

// TestRealGrad checks every parameter's gradient by central differences,
// with lags reaching before the series and a missing value (whose step and
// the steps that read it are not scored).
func TestRealGrad(t *testing.T) {
	for _, rc := range realConfigs {
		r, err := NewReal(rc.cfg, spec(rc.head, rc.d, rc.hw, rc.lags...), 3)
		if err != nil {
			t.Fatal(err)
		}
		neuraltest.CheckRealGrads(t, r, nil, fmt.Sprintf("gpt %s ", rc.head))
	}
}

// TestRealInitLossAndOverfit: the initial loss of a standard normal, and
// one batch memorized.
func TestRealInitLossAndOverfit(t *testing.T) {
	r, err := NewReal(Config{Layers: 2, Dim: 32, Heads: 2, Context: 16}, neuraltest.Spec("gaussian", 1, 7), 3)
	if err != nil {
		t.Fatal(err)
	}
	neuraltest.CheckRealInitAndOverfit(t, r, nil, "gpt")
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
	neuraltest.FitReal(r, xs, 4, cfg.Context, 40, 1e-2, rng, nil)
	return r, neuraltest.RealHistories(xs, spec.Dim())
}

// TestRealConformance runs the real-valued seam's suite on every head,
// with histories longer than the window. A long Append encodes the window
// it ends with in one batched pass and the training path is batched: both
// differ from one step at a time by the products' summation order
// (AppendTol and TeacherTol 2e-6, at least 8 times the largest difference
// seen). The training path scores a history as one window from position 0,
// so the teacher compares its first Context steps only.
func TestRealConformance(t *testing.T) {
	for _, rc := range realConfigs {
		t.Run(rc.head, func(t *testing.T) {
			r, hist := trainedReal(t, rc.cfg, spec(rc.head, rc.d, rc.hw, rc.lags...))
			modeltest.TestRealModel(t, r, modeltest.RealOptions{
				Histories: hist,
				AppendTol: 2e-6,
				Teacher: neuraltest.RealTeacher(r, nil, func(dst []float64) {
					r.Spec.LogDensities(dst, r.raw, r.tgt, len(dst))
				}),
				TeacherLen: rc.cfg.Context,
				TeacherTol: 2e-6,
				SaveLoad:   modeltest.RealPayloadRoundTrip(ReadReal),
			})
		})
	}
}

// TestRealPayload: the real-valued payload is version 2 and each reader
// refuses the other kind and truncations.
func TestRealPayload(t *testing.T) {
	r, err := NewReal(Config{Layers: 1, Dim: 4, Heads: 1, Context: 4}, neuraltest.Spec("mog:2", 1, 7), 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Layers: 1, Dim: 4, Heads: 1, Context: 4}, autoreg.Vocab{Base: 5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	neuraltest.CheckRealPayload(t, r, m,
		func(r io.Reader, n int64) error { _, err := ReadReal(r, n); return err },
		func(r io.Reader, n int64) error { _, err := Read(r, n); return err })
}

// FuzzReadReal: no input makes the reader panic or allocate past its caps.
func FuzzReadReal(f *testing.F) {
	r, _ := NewReal(Config{Layers: 1, Dim: 4, Heads: 2, Context: 4}, neuraltest.Spec("student-t", 1, 2), 1)
	var buf bytes.Buffer
	r.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadReal(bytes.NewReader(data), int64(len(data)))
	})
}
