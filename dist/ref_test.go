package dist

import (
	"math"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// Plain references: textbook formulas in float64, evaluated the naive way
// (densities before logarithms, differences of CDFs). They are right
// wherever they do not under- or overflow, which is where the fast forms are
// compared with them.

func refGaussPDF(x, mu, sigma float64) float64 {
	return 1 / (sigma * math.Sqrt(2*math.Pi)) * math.Exp(-(x-mu)*(x-mu)/(2*sigma*sigma))
}

func refStudentPDF(x, mu, sigma, nu float64) float64 {
	z := (x - mu) / sigma
	return math.Gamma((nu+1)/2) / (math.Gamma(nu/2) * math.Sqrt(nu*math.Pi) * sigma) * math.Pow(1+z*z/nu, -(nu+1)/2)
}

func refLogistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// refBinMass is P(bin j) of a discretized logistic mixture as a difference
// of CDFs at the bin's edges.
func refBinMass(g Grid, j int, w, mu, s []float64) float64 {
	var p float64
	c := g.Centre(j)
	for k := range w {
		upper, lower := 1.0, 0.0
		if j < g.N-1 {
			upper = refLogistic((c + g.Step/2 - mu[k]) / s[k])
		}
		if j > 0 {
			lower = refLogistic((c - g.Step/2 - mu[k]) / s[k])
		}
		p += w[k] * (upper - lower)
	}
	return p
}

func closeRel(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))) {
		t.Errorf("%s = %.17g, want %.17g (tolerance %g)", what, got, want, tol)
	}
}

func TestGaussianAgainstReference(t *testing.T) {
	g := NewGaussian(1)
	for _, mu := range []float64{0, -3.5, 1e4} {
		for _, sigma := range []float64{1e-3, 0.7, 1, 250} {
			g.Mu[0], g.Sigma[0] = mu, sigma
			for _, z := range []float64{-6, -1.3, 0, 0.4, 2, 7.5} {
				x := mu + z*sigma
				closeRel(t, "Gaussian log-density", g.LogProb(0, x), math.Log(refGaussPDF(x, mu, sigma)), 1e-12)
				cdf := testutil.Simpson(func(v float64) float64 { return refGaussPDF(v, mu, sigma) }, mu-12*sigma, x, 4000)
				closeRel(t, "Gaussian CDF", g.CDF(0, x), cdf, 1e-9)
			}
		}
	}
	// Tables: Φ(1.96), Φ⁻¹(0.975), Φ⁻¹(0.05).
	g.Mu[0], g.Sigma[0] = 0, 1
	closeRel(t, "Φ(1.96)", g.CDF(0, 1.96), 0.9750021048517795, 1e-15)
	closeRel(t, "Φ⁻¹(0.975)", g.Quantile(0, 0.975), 1.959963984540054, 1e-14)
	closeRel(t, "Φ⁻¹(0.05)", g.Quantile(0, 0.05), -1.6448536269514722, 1e-14)
}

func TestNormalQuantileWholeRange(t *testing.T) {
	// High-precision values (mpmath at 40 digits; scipy agrees on the second).
	closeRel(t, "Φ⁻¹(1e-300)", stdNormalQuantile(1e-300), -37.047096299361199237, 1e-15)
	closeRel(t, "Φ⁻¹(1e-100)", stdNormalQuantile(1e-100), -21.273453560965322, 1e-15)
	for _, p := range []float64{1e-300, 1e-100, 1e-20, 1e-8, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-12} {
		q := stdNormalQuantile(p)
		if math.IsInf(q, 0) || math.IsNaN(q) {
			t.Fatalf("Φ⁻¹(%g) = %v", p, q)
		}
		// The CDF at the quantile returns p in relative terms on the
		// lower tail (to within the slope q² ≤ 1400 times the rounding of
		// q); on the upper tail compare 1 − p.
		if p <= 0.5 {
			closeRel(t, "Φ(Φ⁻¹(p))/p", stdNormalCDF(q)/p, 1, 1e-12)
		} else {
			closeRel(t, "1−Φ(Φ⁻¹(p))", stdNormalCDF(-q), 1-p, 1e-12)
		}
		if p > 0.02 && p < 0.98 {
			closeRel(t, "Φ⁻¹ vs √2 erfinv", q, math.Sqrt2*math.Erfinv(2*p-1), 1e-13)
		}
	}
}

func TestStudentTAgainstReference(t *testing.T) {
	d := NewStudentT(1)
	for _, nu := range []float64{1, 2.5, 4, 30} {
		for _, sigma := range []float64{0.01, 1, 40} {
			d.Mu[0], d.Sigma[0], d.Nu[0] = 2, sigma, nu
			for _, z := range []float64{-40, -3, -0.5, 0, 1.1, 6} {
				x := 2 + z*sigma
				closeRel(t, "t log-density", d.LogProb(0, x), math.Log(refStudentPDF(x, 2, sigma, nu)), 1e-12)
			}
		}
	}
	// Closed forms of the CDF: ν = 1 is Cauchy, ν = 2 is z/(2√(2+z²)) + ½.
	for _, z := range []float64{-1e6, -30, -2, -0.1, 0, 0.3, 5, 1e5} {
		d.Mu[0], d.Sigma[0], d.Nu[0] = 0, 1, 1
		closeRel(t, "Cauchy CDF", d.CDF(0, z), 0.5+math.Atan(z)/math.Pi, 1e-13)
		d.Nu[0] = 2
		closeRel(t, "t₂ CDF", d.CDF(0, z), 0.5+z/(2*math.Sqrt(2+z*z)), 1e-13)
	}
	// t_{0.975}(10) by mpmath at 40 digits (scipy 1.10's ppf is 2e-11 off
	// it), and the Gaussian limit.
	d.Mu[0], d.Sigma[0], d.Nu[0] = 0, 1, 10
	closeRel(t, "t quantile 0.975, ν 10", d.Quantile(0, 0.975), 2.2281388519862747484, 1e-14)
	d.Nu[0] = 1e18
	closeRel(t, "t with huge ν vs Φ", d.CDF(0, 1.96), 0.9750021048517795, 1e-15)
	// The CDF is the integral of the density.
	d.Mu[0], d.Sigma[0], d.Nu[0] = 1, 2, 3.7
	for _, x := range []float64{-5, 0.2, 4} {
		cdf := 1 - testutil.Simpson(func(u float64) float64 {
			// x..∞ via u = 1/(v − x + 1): a finite interval.
			if u == 0 {
				return 0
			}
			v := x + 1/u - 1
			return refStudentPDF(v, 1, 2, 3.7) / (u * u)
		}, 0, 1, 20000)
		closeRel(t, "t CDF vs integral", d.CDF(0, x), cdf, 1e-8)
	}
}

func TestIncompleteBetaClosedForms(t *testing.T) {
	for _, x := range []float64{1e-10, 0.1, 0.5, 0.93, 1 - 1e-9} {
		closeRel(t, "I_x(1,1)", incBeta(1, 1, x, 1-x), x, 1e-14)
		closeRel(t, "I_x(1,3.5)", incBeta(1, 3.5, x, 1-x), 1-math.Pow(1-x, 3.5), 1e-13)
		closeRel(t, "I_x(2.5,1)", incBeta(2.5, 1, x, 1-x), math.Pow(x, 2.5), 1e-13)
	}
}

func TestDigamma(t *testing.T) {
	closeRel(t, "ψ(1)", digamma(1), -0.57721566490153286, 1e-15)
	closeRel(t, "ψ(½)", digamma(0.5), -0.57721566490153286-2*math.Ln2, 1e-15)
	for _, x := range []float64{0.3, 1.7, 9.5, 12, 1e3, 1e8} {
		h := 1e-5 * x
		fd := (lgamma(x+h) - lgamma(x-h)) / (2 * h)
		closeRel(t, "ψ vs d/dx ln Γ", digamma(x), fd, 1e-7)
		closeRel(t, "ψ(x+1) − ψ(x) = 1/x", digamma(x+1)-digamma(x), 1/x, 1e-11)
	}
}

func TestMixtureAgainstReference(t *testing.T) {
	m := NewGaussianMixture(2, 3)
	copy(m.LogW, []float64{math.Log(0.2), math.Log(0.5), math.Log(0.3), math.Log(0.9), math.Log(0.05), math.Log(0.05)})
	copy(m.Mu, []float64{-2, 0, 3, 10, 11, 30})
	copy(m.Sigma, []float64{0.5, 1, 2, 1, 0.1, 5})
	for i := range 2 {
		for _, x := range []float64{-5, -1, 0, 0.5, 4, 10.5, 29} {
			var p float64
			for k := range 3 {
				j := i*3 + k
				p += math.Exp(m.LogW[j]) * refGaussPDF(x, m.Mu[j], m.Sigma[j])
			}
			closeRel(t, "mixture log-density", m.LogProb(i, x), math.Log(p), 1e-12)
		}
		for _, p := range []float64{1e-9, 0.01, 0.25, 0.5, 0.9, 0.999} {
			q := m.Quantile(i, p)
			closeRel(t, "mixture CDF(quantile)", m.CDF(i, q), p, 1e-12)
		}
	}
	// One component is a Gaussian.
	one := NewGaussianMixture(1, 1)
	one.Mu[0], one.Sigma[0] = 3, 0.25
	g := &Gaussian{Mu: []float64{3}, Sigma: []float64{0.25}}
	for _, x := range []float64{-1, 3, 3.2} {
		closeRel(t, "K=1 log-density", one.LogProb(0, x), g.LogProb(0, x), 1e-15)
		closeRel(t, "K=1 CDF", one.CDF(0, x), g.CDF(0, x), 1e-15)
	}
	closeRel(t, "K=1 quantile", one.Quantile(0, 0.3), g.Quantile(0, 0.3), 1e-15)
	closeRel(t, "mixture mean", m.Mean(1), 0.9*10+0.05*11+0.05*30, 1e-14)
}

func TestDiscretizedLogisticAgainstReference(t *testing.T) {
	g := Grid{Lo: -10, Step: 0.5, N: 41}
	d := NewDiscretizedLogistic(1, 2, g)
	copy(d.LogW, []float64{math.Log(0.3), math.Log(0.7)})
	copy(d.Mu, []float64{-9.7, 2.2})
	copy(d.S, []float64{0.4, 3})
	w := []float64{0.3, 0.7}
	var sum, mean float64
	for j := range g.N {
		ref := refBinMass(g, j, w, d.Mu, d.S)
		closeRel(t, "bin log-probability", d.LogProbBin(0, j), math.Log(ref), 1e-12)
		p := math.Exp(d.LogProbBin(0, j))
		sum += p
		mean += p * g.Centre(j)
		closeRel(t, "CDF at a centre", d.CDF(0, g.Centre(j)), func() float64 {
			var c float64
			for i := 0; i <= j; i++ {
				c += refBinMass(g, i, w, d.Mu, d.S)
			}
			return c
		}(), 1e-12)
	}
	closeRel(t, "bin masses sum", sum, 1, 1e-14)
	closeRel(t, "mean", d.Mean(0), mean, 1e-12)
	// LogProb snaps values to bins, with open ends.
	closeRel(t, "value below the grid", d.LogProb(0, -1e9), d.LogProbBin(0, 0), 0)
	closeRel(t, "value above the grid", d.LogProb(0, 1e9), d.LogProbBin(0, g.N-1), 0)
	closeRel(t, "value inside a bin", d.LogProb(0, 2.2), d.LogProbBin(0, g.Bin(2.0)), 0)
	for _, p := range []float64{1e-6, 0.1, 0.3, 0.5, 0.95} {
		q := d.Quantile(0, p)
		if d.CDF(0, q) < p || (q > g.Lo && d.CDF(0, q-g.Step) >= p) {
			t.Errorf("quantile(%g) = %g is not the first bin reaching p", p, q)
		}
	}
}

func TestDiscretizedLogisticExtremes(t *testing.T) {
	g := Grid{Lo: -32768, Step: 1, N: 65536}
	d := NewDiscretizedLogistic(1, 1, g)
	// A scale far below the bin width: the bin holding μ has all the mass
	// and its neighbours a finite, very negative log-probability.
	d.Mu[0], d.S[0] = 100.2, 1e-4
	closeRel(t, "point mass", d.LogProbBin(0, g.Bin(100.2)), 0, 1e-15)
	far := d.LogProbBin(0, g.Bin(102))
	// Its mass is about e^{−(101.5−100.2)/s}: ln ≈ −1.3e4.
	closeRel(t, "neighbour of a point mass", far, -(101.5-100.2)/1e-4, 1e-9)
	// Far in the tail the naive difference of CDFs is 0; the stable form
	// gives ln(e^−b − e^−a) ≈ −b + ln(1 − e^−Δ).
	d.Mu[0], d.S[0] = 0, 2
	j := g.Bin(5000)
	b := (5000 - 0.5) / 2
	closeRel(t, "far tail bin", d.LogProbBin(0, j), -b+math.Log(-math.Expm1(-0.5)), 1e-12)
	if refBinMass(g, j, []float64{1}, d.Mu, d.S) != 0 {
		t.Log("the naive reference no longer underflows here; the test point is too close")
	}
	// Masses over the whole 16-bit grid sum to 1, and the end bins are
	// open.
	d.Mu[0], d.S[0] = -32760, 30
	var sum float64
	for k := range g.N {
		sum += math.Exp(d.LogProbBin(0, k))
	}
	closeRel(t, "16-bit masses sum", sum, 1, 1e-12)
	closeRel(t, "open lower bin", math.Exp(d.LogProbBin(0, 0)), refLogistic((-32767.5+32760)/30), 1e-12)
	// The mean of a distribution piled on the lower end bin.
	var mean float64
	for k := range g.N {
		mean += math.Exp(d.LogProbBin(0, k)) * g.Centre(k)
	}
	closeRel(t, "mean near the end", d.Mean(0), mean, 1e-9)
}
