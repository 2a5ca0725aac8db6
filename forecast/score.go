package forecast

import (
	"math"
	"slices"

	"github.com/autoreg/autoreg/dist"
)

// CRPS methods, as Result reports them.
const (
	CRPSClosedForm = "closed form"
	CRPSNumerical  = "numerical"
	CRPSBinSum     = "exact sum over bins"
)

// CRPS returns the continuous ranked probability score of the value y under
// dimension i of d,
//
//	CRPS(F, y) = ∫ (F(x) − 1{x ≥ y})² dx = E|X − y| − ½ E|X − X'|,
//
// (Gneiting and Raftery 2007) in the data's units, and the method used:
// the closed form for a Gaussian and for a Gaussian mixture (Grimit et al.
// 2006), the exact sum over the bins for a gridded distribution, Scale
// times the CRPS of the standardized value for a dist.Affine, and
// otherwise numerical integration of the CDF (two 128-node Gauss–Legendre
// rules on y's two sides, after mapping each half-line onto [0, 1)).
func CRPS(d dist.Dist, i int, y float64) (float64, string) {
	switch t := d.(type) {
	case *dist.Gaussian:
		return crpsMixture([]float64{0}, t.Mu[i:i+1], t.Sigma[i:i+1], y), CRPSClosedForm
	case *dist.GaussianMixture:
		a, b := i*t.K, (i+1)*t.K
		return crpsMixture(t.LogW[a:b], t.Mu[a:b], t.Sigma[a:b], y), CRPSClosedForm
	case dist.Gridded:
		return crpsBins(t, i, y), CRPSBinSum
	case *dist.Affine:
		// CRPS is in the data's units: it scales with them.
		c, method := CRPS(t.D, i, (y-t.Loc[i])/t.Scale[i])
		return t.Scale[i] * c, method
	}
	return crpsNumerical(d, i, y), CRPSNumerical
}

// crpsMixture is the closed form of Grimit, Gneiting, Berrocal and Johnson
// (2006) for Σ w_k N(μ_k, σ_k²):
//
//	CRPS = Σ_k w_k A(y − μ_k, σ_k²) − ½ Σ_{k,l} w_k w_l A(μ_k − μ_l, σ_k² + σ_l²),
//	A(m, s²) = 2s φ(m/s) + m (2Φ(m/s) − 1).
func crpsMixture(logW, mu, sigma []float64, y float64) float64 {
	var first, second float64
	for k := range logW {
		wk := math.Exp(logW[k])
		first += wk * crpsA(y-mu[k], sigma[k]*sigma[k])
		for l := range logW {
			second += wk * math.Exp(logW[l]) * crpsA(mu[k]-mu[l], sigma[k]*sigma[k]+sigma[l]*sigma[l])
		}
	}
	return first - 0.5*second
}

func crpsA(m, s2 float64) float64 {
	s := math.Sqrt(s2)
	z := m / s
	phi := math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi)
	cdf := 0.5 * math.Erfc(-z/math.Sqrt2)
	return 2*s*phi + m*(2*cdf-1)
}

// crpsBins sums (F − 1{x ≥ y})² over the bins of a gridded distribution:
// F is constant between consecutive centres, at the mass up to the left
// one, so with y snapped to its bin m the integral is Σ_j (F_j − 1{j ≥
// m})²·Step over the centres j. Only the bins where F is neither 0 nor 1
// to within 1e-18, and those between them and y, contribute.
func crpsBins(d dist.Gridded, i int, y float64) float64 {
	g := d.Grid()
	m := g.Bin(y)
	lo := min(m, g.Bin(d.Quantile(i, 1e-18)))
	hi := max(m, g.Bin(d.Quantile(i, 1-1e-18)))
	var s float64
	for j := lo; j < hi+1 && j < g.N-1; j++ {
		f := d.CDF(i, g.Centre(j))
		if j >= m {
			f--
		}
		s += f * f
	}
	return s * g.Step
}

// crpsNumerical integrates ∫_{−∞}^{y} F² dx + ∫_{y}^{∞} (1 − F)² dx, each
// half-line mapped onto [0, 1) by x = y ∓ c·t/(1 − t), c the interquartile
// range, and integrated by Gauss–Legendre on 8 panels of 16 nodes.
func crpsNumerical(d dist.Dist, i int, y float64) float64 {
	c := d.Quantile(i, 0.75) - d.Quantile(i, 0.25)
	if !(c > 0) {
		c = 1
	}
	var s float64
	for p := range glPanels {
		for k, node := range glNodes {
			t := (float64(p) + 0.5 + 0.5*node) / glPanels
			w := glWeights[k] * 0.5 / glPanels
			u := c * t / (1 - t)
			jac := c / ((1 - t) * (1 - t))
			below := d.CDF(i, y-u)
			above := 1 - d.CDF(i, y+u)
			s += w * jac * (below*below + above*above)
		}
	}
	return s
}

const glPanels = 8

// glNodes and glWeights are the 16-point Gauss–Legendre rule on [−1, 1]
// (nodes symmetric; the positive half listed, mirrored in init).
var glNodes, glWeights = func() ([]float64, []float64) {
	half := []float64{
		0.0950125098376374401853193, 0.2816035507792589132304605, 0.4580167776572273863424194, 0.6178762444026437484466718,
		0.7554044083550030338951012, 0.8656312023878317438804679, 0.9445750230732325760779884, 0.9894009349916499325961542,
	}
	hw := []float64{
		0.1894506104550684962853967, 0.1826034150449235888667637, 0.1691565193950025381893121, 0.1495959888165767320815017,
		0.1246289712555338720524763, 0.0951585116824927848099251, 0.0622535239386478928628438, 0.0271524594117540948517806,
	}
	var n, w []float64
	for k := range half {
		n = append(n, -half[k], half[k])
		w = append(w, hw[k], hw[k])
	}
	return n, w
}()

// FairCRPS is the fair (unbiased) estimator of the CRPS from an ensemble of
// m ≥ 2 samples (Ferro 2014), sorted in place:
//
//	(1/m) Σ_i |x_i − y| − 1/(2m(m−1)) Σ_{i,j} |x_i − x_j|,
//
// whose expectation is the CRPS of the distribution the samples come from
// (the plain ensemble estimator, with 1/(2m²), favours small ensembles).
// The pairwise sum is Σ_j x_(j)(2j − m + 1)·2 over the sorted samples.
func FairCRPS(samples []float64, y float64) float64 {
	slices.Sort(samples)
	m := float64(len(samples))
	var abs, pair float64
	for j, x := range samples {
		abs += math.Abs(x - y)
		pair += x * (2*float64(j) - m + 1)
	}
	return abs/m - pair/(m*(m-1))
}

// SampleQuantile is the p-quantile of sorted samples, linearly interpolated
// between order statistics (Hyndman and Fan's type 7, numpy's default).
func SampleQuantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
