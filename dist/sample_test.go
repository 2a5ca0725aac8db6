package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func testDists() []Dist {
	m := NewGaussianMixture(1, 3)
	copy(m.LogW, []float64{math.Log(0.2), math.Log(0.5), math.Log(0.3)})
	copy(m.Mu, []float64{-2, 0, 3})
	copy(m.Sigma, []float64{0.5, 1, 2})
	st := NewStudentT(1)
	st.Mu[0], st.Sigma[0], st.Nu[0] = 1, 2, 3.5
	dl := NewDiscretizedLogistic(1, 2, Grid{Lo: 0, Step: 1, N: 256})
	copy(dl.LogW, []float64{math.Log(0.4), math.Log(0.6)})
	copy(dl.Mu, []float64{3, 120.3})
	copy(dl.S, []float64{5, 20})
	return []Dist{&Gaussian{Mu: []float64{-1}, Sigma: []float64{3}}, st, m, dl}
}

// TestSamplesFollowCDF compares the empirical CDF of seeded samples with
// the CDF at a few quantiles (a Kolmogorov–Smirnov style check) and the
// sample mean with Mean.
func TestSamplesFollowCDF(t *testing.T) {
	const n = 40000
	for _, d := range testDists() {
		r := rand.New(rand.NewPCG(11, 12))
		xs := make([]float64, n)
		var sum float64
		for i := range xs {
			xs[i] = d.Sample(0, r)
			sum += xs[i]
		}
		slices.Sort(xs)
		for _, p := range []float64{0.05, 0.2, 0.5, 0.8, 0.95} {
			q := d.Quantile(0, p)
			emp := float64(sortedCount(xs, q)) / n
			if math.Abs(emp-d.CDF(0, q)) > 0.012 {
				t.Errorf("%T: empirical CDF at the %g quantile %g is %g, CDF %g", d, p, q, emp, d.CDF(0, q))
			}
		}
		// Standard error of the mean: use the sample's own spread.
		mean := sum / n
		var ss float64
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		se := math.Sqrt(ss/n) / math.Sqrt(n)
		if math.Abs(mean-d.Mean(0)) > 5*se {
			t.Errorf("%T: sample mean %g, Mean %g (se %g)", d, mean, d.Mean(0), se)
		}
	}
}

// sortedCount is the number of xs ≤ v.
func sortedCount(xs []float64, v float64) int {
	i, _ := slices.BinarySearchFunc(xs, v, func(a, b float64) int {
		if a <= b {
			return -1
		}
		return 1
	})
	return i
}

func TestSamplingIsSeeded(t *testing.T) {
	for _, d := range testDists() {
		a := rand.New(rand.NewPCG(1, 1))
		b := rand.New(rand.NewPCG(1, 1))
		for range 100 {
			if x, y := d.Sample(0, a), d.Sample(0, b); x != y {
				t.Fatalf("%T: the same seed gave %g and %g", d, x, y)
			}
		}
	}
}

func TestGammaSampler(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, shape := range []float64{0.3, 1, 2.5, 40} {
		const n = 50000
		var s, ss float64
		for range n {
			x := gammaSample(shape, r)
			s += x
			ss += x * x
		}
		mean := s / n
		v := ss/n - mean*mean
		if math.Abs(mean-shape) > 5*math.Sqrt(shape/n) || math.Abs(v-shape)/shape > 0.05 {
			t.Errorf("Gamma(%g): mean %g variance %g", shape, mean, v)
		}
	}
}

func TestQuantileInvertsCDF(t *testing.T) {
	for _, d := range testDists()[:3] {
		for _, p := range []float64{1e-12, 1e-4, 0.03, 0.5, 0.77, 0.9999} {
			q := d.Quantile(0, p)
			closeRel(t, fmt.Sprintf("%T CDF(Quantile(%g))", d, p), d.CDF(0, q), p, 1e-9)
		}
		if !math.IsInf(d.Quantile(0, 0), -1) || !math.IsInf(d.Quantile(0, 1), 1) || !math.IsNaN(d.Quantile(0, 2)) {
			t.Errorf("%T: quantile ends", d)
		}
	}
}
