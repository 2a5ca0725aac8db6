package dist

import (
	"math"
	"math/rand/v2"
)

// Special functions the distributions share, written for the whole float64
// range: no overflow where the true value is representable.

const (
	ln2Pi     = 1.8378770664093454835606594728112 // ln(2π)
	halfLn2Pi = 0.5 * ln2Pi
	sqrt2     = math.Sqrt2
	invSqrt2  = 1 / math.Sqrt2
)

// softplus is ln(1 + e^x).
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// sigmoid is 1/(1 + e^−x).
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logSigmoid is ln σ(x) = −softplus(−x).
func logSigmoid(x float64) float64 { return -softplus(-x) }

// log1mExpNeg is ln(1 − e^−d) for d > 0 (Mächler 2012's log1mexp).
func log1mExpNeg(d float64) float64 {
	if d < math.Ln2 {
		return math.Log(-math.Expm1(-d))
	}
	return math.Log1p(-math.Exp(-d))
}

// stdNormalCDF is Φ(z), accurate in relative terms in the lower tail.
func stdNormalCDF(z float64) float64 { return 0.5 * math.Erfc(-z*invSqrt2) }

// stdNormalLogPDF is ln φ(z).
func stdNormalLogPDF(z float64) float64 { return -0.5*z*z - halfLn2Pi }

// stdNormalQuantile is Φ⁻¹(p). It starts from Abramowitz and Stegun's
// rational approximation 26.2.23 (error < 4.5e-4) on the smaller tail and
// refines it with Halley steps on Φ computed by erfc, which keeps full
// relative precision down to the smallest subnormal p.
func stdNormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p > 0.5:
		return -stdNormalQuantile(1 - p)
	case p == 0.5:
		return 0
	}
	// Lower tail: q < 0.
	t := math.Sqrt(-2 * math.Log(p))
	q := -(t - (2.515517+t*(0.802853+t*0.010328))/(1+t*(1.432788+t*(0.189269+t*0.001308))))
	for range 3 {
		// Halley on f(q) = Φ(q) − p: u = f/φ(q), computed as
		// (Φ(q)/p − 1)·exp(ln p − ln φ(q)) so that neither factor
		// under- or overflows in the far tail.
		rel := stdNormalCDF(q)/p - 1
		u := rel * math.Exp(math.Log(p)-stdNormalLogPDF(q))
		q -= u / (1 + 0.5*q*u)
	}
	return q
}

// digamma is ψ(x) = d/dx ln Γ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) −
// 1/x up to x ≥ 10, then the asymptotic series in the Bernoulli numbers
// (the first omitted term is below 1e-16 there).
func digamma(x float64) float64 {
	if !(x > 0) {
		return math.NaN()
	}
	var acc float64
	for x < 10 {
		acc -= 1 / x
		x++
	}
	if math.IsInf(x, 1) {
		return x
	}
	r := 1 / (x * x)
	series := r * (1.0/12 - r*(1.0/120-r*(1.0/252-r*(1.0/240-r*(1.0/132-r*(691.0/32760-r/12))))))
	return acc + math.Log(x) - 0.5/x - series
}

// incBeta is the regularized incomplete beta function I_x(a, b), given x and
// y = 1 − x (passed separately so callers that know 1 − x exactly do not
// lose it to rounding). It evaluates the continued fraction of DLMF 8.17.22
// by the modified Lentz method on whichever of I_x(a, b) and
// 1 − I_y(b, a) converges fast.
func incBeta(a, b, x, y float64) float64 {
	switch {
	case x <= 0:
		return 0
	case y <= 0:
		return 1
	}
	if x > (a+1)/(a+b+2) {
		return 1 - incBeta(b, a, y, x)
	}
	lbeta := lgamma(a) + lgamma(b) - lgamma(a+b)
	front := math.Exp(a*math.Log(x)+b*math.Log(y)-lbeta) / a
	return front * betaCF(a, b, x)
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// betaCF evaluates the continued fraction 1/(1+ d1/(1+ d2/(1+ …))) with
// d_{2m+1} = −(a+m)(a+b+m)x/((a+2m)(a+2m+1)) and d_{2m} =
// m(b−m)x/((a+2m−1)(a+2m)), by the modified Lentz method: term j has
// numerator a_j (a_1 = 1, a_j = d_{j−1}) and denominator 1.
func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	f, c, d := tiny, tiny, 0.0
	for j := 1; j < 100000; j++ {
		var an float64
		switch {
		case j == 1:
			an = 1
		case j%2 == 0: // d_{2m+1}, m = (j−2)/2
			m := float64((j - 2) / 2)
			an = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
		default: // d_{2m}, m = (j−1)/2
			m := float64((j - 1) / 2)
			an = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
		}
		d = 1 + an*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := c * d
		f *= delta
		if j > 1 && math.Abs(delta-1) < 1e-15 {
			break
		}
	}
	return f
}

// gammaSample draws from Gamma(shape, 1) by Marsaglia and Tsang (2000),
// "A simple method for generating gamma variables"; shapes below 1 use
// Gamma(shape+1)·U^(1/shape).
func gammaSample(shape float64, r *rand.Rand) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaSample(shape+1, r) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// uniformOpen draws from the open interval (0, 1).
func uniformOpen(r *rand.Rand) float64 {
	for {
		if u := r.Float64(); u > 0 {
			return u
		}
	}
}

// pickComponent draws a component index from normalized log weights.
func pickComponent(logW []float64, r *rand.Rand) int {
	u := r.Float64()
	var acc float64
	for k, lw := range logW {
		acc += math.Exp(lw)
		if u < acc {
			return k
		}
	}
	// Rounding left u ≥ the total: the last component with weight.
	for k := len(logW) - 1; k > 0; k-- {
		if logW[k] > math.Inf(-1) {
			return k
		}
	}
	return 0
}

// logSumExp is ln Σ e^{x_k}.
func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		if x > m {
			m = x
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range xs {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// logSumAcc accumulates ln Σ e^{v} over a stream of terms in one pass,
// rescaling its sum whenever a larger term arrives.
type logSumAcc struct {
	max, sum float64
	started  bool
}

func (a *logSumAcc) add(v float64) {
	switch {
	case !a.started:
		a.max, a.sum, a.started = v, 1, true
	case math.IsInf(v, -1):
	case v > a.max:
		a.sum = a.sum*math.Exp(a.max-v) + 1
		a.max = v
	default:
		a.sum += math.Exp(v - a.max)
	}
}

func (a *logSumAcc) value() float64 {
	if !a.started || math.IsInf(a.max, -1) {
		return math.Inf(-1)
	}
	return a.max + math.Log(a.sum)
}

// mixCDF is a mixture's CDF Σ_k w_k F((x − μ_k)/s_k) from its components'
// standard CDF F, capped at 1 against rounding.
func mixCDF(logW, mu, s []float64, x float64, f func(float64) float64) float64 {
	var c float64
	for k := range logW {
		c += math.Exp(logW[k]) * f((x-mu[k])/s[k])
	}
	return math.Min(c, 1)
}
