package dist

import (
	"math"
	"math/rand/v2"
)

// GaussianMixture is D independent mixtures of K Gaussians: in dimension i,
// component k has log weight LogW[i·K+k] (the weights of a dimension sum to
// 1), mean Mu[i·K+k] and standard deviation Sigma[i·K+k].
//
//	p(x) = Σ_k w_k N(x; μ_k, σ_k²)
type GaussianMixture struct {
	K               int
	LogW, Mu, Sigma []float64
}

// NewGaussianMixture returns a mixture of dimension dim with k components,
// equal weights, means 0 and standard deviations 1.
func NewGaussianMixture(dim, k int) *GaussianMixture {
	m := &GaussianMixture{K: k, LogW: make([]float64, dim*k), Mu: make([]float64, dim*k), Sigma: make([]float64, dim*k)}
	for j := range m.LogW {
		m.LogW[j] = -math.Log(float64(k))
		m.Sigma[j] = 1
	}
	return m
}

// Dim is the number of dimensions.
func (m *GaussianMixture) Dim() int { return len(m.LogW) / m.K }

func (m *GaussianMixture) comps(i int) (logW, mu, sigma []float64) {
	a, b := i*m.K, (i+1)*m.K
	return m.LogW[a:b], m.Mu[a:b], m.Sigma[a:b]
}

// LogProb is ln Σ_k w_k N(v; μ_k, σ_k²), by log-sum-exp.
func (m *GaussianMixture) LogProb(i int, v float64) float64 {
	logW, mu, sigma := m.comps(i)
	var acc logSumAcc
	for k := range logW {
		acc.add(logW[k] + gaussLogPDF(v, mu[k], sigma[k]))
	}
	return acc.value()
}

// CDF is Σ_k w_k Φ((v − μ_k)/σ_k).
func (m *GaussianMixture) CDF(i int, v float64) float64 {
	logW, mu, sigma := m.comps(i)
	return mixCDF(logW, mu, sigma, v, stdNormalCDF)
}

// Quantile solves CDF(i, v) = p between the smallest and the largest
// component quantile (the mixture's quantile lies between them) by a
// safeguarded Newton iteration.
func (m *GaussianMixture) Quantile(i int, p float64) float64 {
	if q, ok := quantileEnds(p); ok {
		return q
	}
	logW, mu, sigma := m.comps(i)
	zq := stdNormalQuantile(p)
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range logW {
		if math.IsInf(logW[k], -1) {
			continue
		}
		q := mu[k] + sigma[k]*zq
		lo, hi = math.Min(lo, q), math.Max(hi, q)
	}
	if lo == hi {
		return lo
	}
	return solveCDF(m, i, p, lo, hi)
}

// Mean is Σ_k w_k μ_k.
func (m *GaussianMixture) Mean(i int) float64 {
	logW, mu, _ := m.comps(i)
	var s float64
	for k := range logW {
		s += math.Exp(logW[k]) * mu[k]
	}
	return s
}

// Sample draws a component by weight, then from its Gaussian.
func (m *GaussianMixture) Sample(i int, r *rand.Rand) float64 {
	logW, mu, sigma := m.comps(i)
	k := pickComponent(logW, r)
	return mu[k] + sigma[k]*r.NormFloat64()
}

func (m *GaussianMixture) pdf(i int, v float64) float64 { return math.Exp(m.LogProb(i, v)) }
