package dist

import (
	"math"
	"math/rand/v2"
)

// Gaussian is D independent normal distributions: x_i ~ N(Mu[i], Sigma[i]²).
//
//	ln p(x) = −½ z² − ln σ − ½ ln 2π,   z = (x − μ)/σ
type Gaussian struct {
	Mu, Sigma []float64
}

// NewGaussian returns a standard normal Gaussian of dimension dim.
func NewGaussian(dim int) *Gaussian {
	g := &Gaussian{Mu: make([]float64, dim), Sigma: make([]float64, dim)}
	for i := range g.Sigma {
		g.Sigma[i] = 1
	}
	return g
}

// Dim is the number of dimensions.
func (g *Gaussian) Dim() int { return len(g.Mu) }

// LogProb is the log-density of v in dimension i.
func (g *Gaussian) LogProb(i int, v float64) float64 {
	return gaussLogPDF(v, g.Mu[i], g.Sigma[i])
}

func gaussLogPDF(v, mu, sigma float64) float64 {
	z := (v - mu) / sigma
	return -0.5*z*z - math.Log(sigma) - halfLn2Pi
}

// CDF is Φ((v − μ)/σ).
func (g *Gaussian) CDF(i int, v float64) float64 {
	return stdNormalCDF((v - g.Mu[i]) / g.Sigma[i])
}

// Quantile is μ + σ Φ⁻¹(p).
func (g *Gaussian) Quantile(i int, p float64) float64 {
	return g.Mu[i] + g.Sigma[i]*stdNormalQuantile(p)
}

// Mean is μ.
func (g *Gaussian) Mean(i int) float64 { return g.Mu[i] }

// Sample draws from N(μ, σ²).
func (g *Gaussian) Sample(i int, r *rand.Rand) float64 {
	return g.Mu[i] + g.Sigma[i]*r.NormFloat64()
}

// pdf is the density of dimension i, for root finding.
func (g *Gaussian) pdf(i int, v float64) float64 { return math.Exp(g.LogProb(i, v)) }
