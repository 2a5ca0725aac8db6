// Package realtest is the conformance suite of the real-valued seam
// (autoreg.RealModel, autoreg.RealState): one set of checks every
// real-valued family passes, so that evaluation, forecasting and sampling
// can rely on the contract alone.
package realtest

import (
	"math"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/testutil"
)

// Options tunes the suite for a family.
type Options struct {
	// Tol is the relative tolerance between a history appended in one call
	// and the same history appended step by step (0: bit-identical, the
	// right demand for a family without batched passes).
	Tol float64
}

// Conformance checks m's states against the seam's contract with the
// history xs (whole steps, no missing values, at least four steps):
//
//   - Len counts the steps appended since Reset;
//   - a history appended in one call predicts what it predicts appended
//     step by step, and what a Reset state predicts after the same steps;
//   - CopyTo makes an independent copy;
//   - a missing value (NaN) conditions as the predictive mean would;
//   - the predictive distribution is a distribution: CDF(Quantile(p)) = p,
//     the density is finite at the mean and integrates to 1 (continuous
//     families) or the bin masses sum to 1 (gridded ones);
//   - Append of one step and Predict allocate nothing.
func Conformance(t *testing.T, m autoreg.RealModel, xs []float64, opt Options) {
	t.Helper()
	d := m.Dim()
	if d < 1 || len(xs)%d != 0 || len(xs)/d < 4 {
		t.Fatalf("realtest: need at least 4 whole steps of %d values, got %d values", d, len(xs))
	}
	steps := len(xs) / d
	half := (steps / 2) * d

	whole := m.NewRealState()
	if whole.Len() != 0 {
		t.Errorf("a new state has Len %d", whole.Len())
	}
	checkDist(t, "the empty history", whole.Predict())
	whole.Append(xs...)
	if whole.Len() != steps {
		t.Errorf("Len %d after %d steps", whole.Len(), steps)
	}
	one := m.NewRealState()
	for s := range steps {
		one.Append(xs[s*d : (s+1)*d]...)
	}
	same(t, "one call vs step by step", whole.Predict(), one.Predict(), opt.Tol)
	checkDist(t, "after the history", whole.Predict())

	// Reset, then the first half: as a fresh state.
	fresh := m.NewRealState()
	fresh.Append(xs[:half]...)
	one.Reset()
	if one.Len() != 0 {
		t.Errorf("Len %d after Reset", one.Len())
	}
	one.Append(xs[:half]...)
	same(t, "after Reset", one.Predict(), fresh.Predict(), opt.Tol)

	// CopyTo: the copy moves on, the original stays.
	cp := m.NewRealState()
	cp.Append(xs[half : half+d]...) // something to overwrite
	one.CopyTo(cp)
	if cp.Len() != one.Len() {
		t.Errorf("CopyTo: Len %d, source %d", cp.Len(), one.Len())
	}
	cp.Append(xs[half:]...)
	same(t, "a copy continued", cp.Predict(), whole.Predict(), opt.Tol)
	same(t, "the original after its copy moved on", one.Predict(), fresh.Predict(), 0)

	// A missing value conditions as the predictive mean.
	miss := m.NewRealState()
	miss.Append(xs[:half]...)
	mean := make([]float64, d)
	dist.Mean(mean, miss.Predict())
	step := append([]float64(nil), xs[half:half+d]...)
	step[0] = math.NaN()
	miss.Append(step...)
	step[0] = mean[0]
	fresh.Append(step...)
	same(t, "a missing value vs the predictive mean", miss.Predict(), fresh.Predict(), opt.Tol)
	if miss.Len() != fresh.Len() {
		t.Errorf("a missing value: Len %d, want %d", miss.Len(), fresh.Len())
	}

	// No allocation per step.
	st := m.NewRealState()
	st.Append(xs...)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		st.Append(xs[i*d : (i+1)*d]...)
		st.Predict().LogProb(0, xs[0])
		i = (i + 1) % steps
	})
	if allocs != 0 {
		t.Errorf("Append + Predict allocate %v times per step", allocs)
	}
}

// same compares two predictive distributions at their quantiles and means.
func same(t *testing.T, what string, a, b dist.Dist, tol float64) {
	t.Helper()
	if a.Dim() != b.Dim() {
		t.Fatalf("%s: dimensions %d and %d", what, a.Dim(), b.Dim())
	}
	for i := range a.Dim() {
		for _, p := range []float64{0.05, 0.5, 0.95} {
			x := a.Quantile(i, p)
			near(t, what+": log-density", a.LogProb(i, x), b.LogProb(i, x), tol)
			near(t, what+": CDF", a.CDF(i, x), b.CDF(i, x), tol)
		}
		near(t, what+": mean", a.Mean(i), b.Mean(i), tol)
	}
}

func near(t *testing.T, what string, x, y, tol float64) {
	t.Helper()
	if x == y || math.Abs(x-y) <= tol*math.Max(math.Abs(x), math.Abs(y)) {
		return
	}
	t.Errorf("%s: %.17g vs %.17g", what, x, y)
}

// checkDist checks that a predictive distribution is one.
func checkDist(t *testing.T, what string, dd dist.Dist) {
	t.Helper()
	for i := range dd.Dim() {
		mean := dd.Mean(i)
		if lp := dd.LogProb(i, mean); math.IsNaN(lp) || math.IsInf(lp, 0) {
			t.Errorf("%s: log-density %v at the mean %v", what, lp, mean)
		}
		prev := math.Inf(-1)
		for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 0.99} {
			q := dd.Quantile(i, p)
			c := dd.CDF(i, q)
			if q < prev {
				t.Errorf("%s: quantiles decrease at p = %g", what, p)
			}
			prev = q
			if _, grid := dd.(dist.Gridded); !grid && math.Abs(c-p) > 1e-9 {
				t.Errorf("%s: CDF(Quantile(%g)) = %g", what, p, c)
			}
		}
		if g, ok := dd.(dist.Gridded); ok {
			var s float64
			for k := range g.Grid().N {
				s += math.Exp(g.LogProbBin(i, k))
			}
			if math.Abs(s-1) > 1e-9 {
				t.Errorf("%s: bin masses sum to %g", what, s)
			}
			continue
		}
		// ∫ p over [Q(1e-7), Q(1−1e-7)] by Simpson's rule ≈ 1 − 2e-7.
		lo, hi := dd.Quantile(i, 1e-7), dd.Quantile(i, 1-1e-7)
		mass := testutil.Simpson(func(x float64) float64 { return math.Exp(dd.LogProb(i, x)) }, lo, hi, 20000)
		if math.Abs(mass-1) > 1e-5 {
			t.Errorf("%s: the density integrates to %g", what, mass)
		}
	}
}
