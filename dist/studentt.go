package dist

import (
	"math"
	"math/rand/v2"
)

// StudentT is D independent Student's t distributions with location Mu[i],
// scale Sigma[i] and Nu[i] > 0 degrees of freedom:
//
//	ln p(x) = ln Γ((ν+1)/2) − ln Γ(ν/2) − ½ ln(νπ) − ln σ − (ν+1)/2 · ln(1 + z²/ν),
//	z = (x − μ)/σ
//
// Its mean is μ for ν > 1 and its variance σ²ν/(ν−2) for ν > 2.
type StudentT struct {
	Mu, Sigma, Nu []float64
}

// NewStudentT returns a StudentT of dimension dim with μ 0, σ 1 and ν 4.
func NewStudentT(dim int) *StudentT {
	t := &StudentT{Mu: make([]float64, dim), Sigma: make([]float64, dim), Nu: make([]float64, dim)}
	for i := range t.Sigma {
		t.Sigma[i], t.Nu[i] = 1, 4
	}
	return t
}

// nuGaussian is the ν above which the t is evaluated as its Gaussian limit:
// the two differ by O(1/ν) relative, below float64 resolution.
const nuGaussian = 1e17

// Dim is the number of dimensions.
func (t *StudentT) Dim() int { return len(t.Mu) }

// LogProb is the log-density of v in dimension i.
func (t *StudentT) LogProb(i int, v float64) float64 {
	return studentLogPDF(v, t.Mu[i], t.Sigma[i], t.Nu[i])
}

func studentLogPDF(v, mu, sigma, nu float64) float64 {
	z := (v - mu) / sigma
	if nu > nuGaussian {
		return -0.5*z*z - math.Log(sigma) - halfLn2Pi
	}
	return studentLogNorm(nu) - math.Log(sigma) - 0.5*(nu+1)*log1pSqOver(z, nu)
}

// studentLogNorm is ln Γ((ν+1)/2) − ln Γ(ν/2) − ½ ln(νπ).
func studentLogNorm(nu float64) float64 {
	return lgamma(0.5*(nu+1)) - lgamma(0.5*nu) - 0.5*math.Log(nu*math.Pi)
}

// log1pSqOver is ln(1 + z²/ν) without overflowing z² for huge |z|.
func log1pSqOver(z, nu float64) float64 {
	az := math.Abs(z)
	if az > 1e150 {
		return 2*math.Log(az) - math.Log(nu)
	}
	return math.Log1p(z * z / nu)
}

// CDF is P(x_i ≤ v) = 1 − ½ I_{ν/(ν+z²)}(ν/2, ½) for z ≥ 0 (its mirror
// image below).
func (t *StudentT) CDF(i int, v float64) float64 {
	z := (v - t.Mu[i]) / t.Sigma[i]
	nu := t.Nu[i]
	if nu > nuGaussian {
		return stdNormalCDF(z)
	}
	tail := studentTail(math.Abs(z), nu)
	if z < 0 {
		return tail
	}
	return 1 - tail
}

// studentTail is P(T > z) for z ≥ 0 of a standard t with ν degrees of
// freedom.
func studentTail(z, nu float64) float64 {
	if math.IsInf(z, 1) {
		return 0
	}
	// x = ν/(ν+z²) and 1 − x = z²/(ν+z²), both computed directly.
	var x, y float64
	if z > 1e150 {
		x, y = nu/z/z, 1
	} else {
		den := nu + z*z
		x, y = nu/den, z*z/den
	}
	return 0.5 * incBeta(0.5*nu, 0.5, x, y)
}

// Quantile solves CDF(i, v) = p by a safeguarded Newton iteration.
func (t *StudentT) Quantile(i int, p float64) float64 {
	if q, ok := quantileEnds(p); ok {
		return q
	}
	if t.Nu[i] > nuGaussian {
		return t.Mu[i] + t.Sigma[i]*stdNormalQuantile(p)
	}
	// The t is symmetric: solve on the lower tail of the standard t,
	// where the bracket grows until it holds the answer.
	if p == 0.5 {
		return t.Mu[i]
	}
	std := StudentT{Mu: []float64{0}, Sigma: []float64{1}, Nu: t.Nu[i : i+1]}
	lower := math.Min(p, 1-p)
	hi := 0.0
	lo := math.Min(-1, stdNormalQuantile(lower))
	for std.CDF(0, lo) > lower && !math.IsInf(lo, -1) {
		hi = lo
		lo *= 4
	}
	q := solveCDF(&std, 0, lower, lo, hi)
	if p > 0.5 {
		q = -q
	}
	return t.Mu[i] + t.Sigma[i]*q
}

// Mean is μ (NaN for ν ≤ 1, where the mean does not exist).
func (t *StudentT) Mean(i int) float64 {
	if t.Nu[i] <= 1 {
		return math.NaN()
	}
	return t.Mu[i]
}

// Sample draws μ + σ·Z/√(V/ν) with Z standard normal and V ~ χ²(ν) =
// 2·Gamma(ν/2).
func (t *StudentT) Sample(i int, r *rand.Rand) float64 {
	nu := t.Nu[i]
	z := r.NormFloat64()
	if nu > nuGaussian {
		return t.Mu[i] + t.Sigma[i]*z
	}
	v := 2 * gammaSample(0.5*nu, r)
	return t.Mu[i] + t.Sigma[i]*z/math.Sqrt(v/nu)
}

func (t *StudentT) pdf(i int, v float64) float64 { return math.Exp(t.LogProb(i, v)) }
