package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAffine checks the affine map against its definition on every
// family: densities shift by ln Scale (a bin's mass does not change), CDFs
// and quantiles map, means and seeded draws map.
func TestAffine(t *testing.T) {
	loc, scale := 9451.19, 1021.5
	for _, d := range testDists() {
		a := NewAffine(d, []float64{loc}, []float64{scale})
		_, gridded := d.(Gridded)
		name := fmt.Sprintf("%T", d)
		for _, p := range []float64{0.01, 0.3, 0.5, 0.9} {
			z := d.Quantile(0, p)
			v := loc + scale*z
			closeRel(t, name+" quantile", a.Quantile(0, p), v, 1e-15)
			closeRel(t, name+" CDF", a.CDF(0, v), d.CDF(0, z), 1e-12)
			want := d.LogProb(0, z)
			if !gridded {
				want -= math.Log(scale)
			}
			closeRel(t, name+" log-density", a.LogProb(0, v), want, 1e-12)
		}
		closeRel(t, name+" mean", a.Mean(0), loc+scale*d.Mean(0), 1e-15)
		r1, r2 := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
		for range 10 {
			closeRel(t, name+" sample", a.Sample(0, r1), loc+scale*d.Sample(0, r2), 1e-15)
		}
		if g, ok := a.(Gridded); ok {
			dg := d.(Gridded)
			if got, want := g.Grid(), (Grid{Lo: loc + scale*dg.Grid().Lo, Step: scale * dg.Grid().Step, N: dg.Grid().N}); got != want {
				t.Errorf("grid %+v, want %+v", got, want)
			}
			for _, k := range []int{0, 7, 200} {
				if g.LogProbBin(0, k) != dg.LogProbBin(0, k) {
					t.Errorf("bin %d: mass changed", k)
				}
				if g.LogProb(0, g.Grid().Centre(k)) != dg.LogProbBin(0, k) {
					t.Errorf("bin %d: LogProb at its centre is not its mass", k)
				}
			}
		} else if gridded {
			t.Errorf("%s: the affine map of a gridded distribution is not Gridded", name)
		}
	}
}

// TestAffineDensityIntegrates: the mapped density of a mixture integrates
// to one over the mapped support.
func TestAffineDensityIntegrates(t *testing.T) {
	m := testDists()[2]
	a := NewAffine(m, []float64{-40}, []float64{0.01})
	lo, hi := a.Quantile(0, 1e-9), a.Quantile(0, 1-1e-9)
	const n = 20000
	h := (hi - lo) / n
	var s float64
	for k := 0; k <= n; k++ {
		w := 2.0
		switch {
		case k == 0 || k == n:
			w = 1
		case k%2 == 1:
			w = 4
		}
		s += w * math.Exp(a.LogProb(0, lo+float64(k)*h))
	}
	if mass := s * h / 3; math.Abs(mass-1) > 1e-6 {
		t.Errorf("the mapped density integrates to %g", mass)
	}
}

func TestAffineMisuse(t *testing.T) {
	dl := NewDiscretizedLogistic(2, 1, Grid{Lo: 0, Step: 1, N: 8})
	for name, f := range map[string]func(){
		"zero scale":              func() { NewAffine(NewGaussian(1), []float64{0}, []float64{0}) },
		"short location":          func() { NewAffine(NewGaussian(2), []float64{0}, []float64{1, 1}) },
		"a grid of two scales":    func() { NewAffine(dl, []float64{0, 0}, []float64{1, 2}) },
		"an infinite location":    func() { NewAffine(NewGaussian(1), []float64{math.Inf(1)}, []float64{1}) },
		"a NaN scale":             func() { NewAffine(NewGaussian(1), []float64{0}, []float64{math.NaN()}) },
		"a grid of two locations": func() { NewAffine(dl, []float64{0, 1}, []float64{1, 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
