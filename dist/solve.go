package dist

import "math"

// quantileEnds handles the p outside (0, 1): the support's ends and NaN.
func quantileEnds(p float64) (float64, bool) {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN(), true
	case p == 0:
		return math.Inf(-1), true
	case p == 1:
		return math.Inf(1), true
	}
	return 0, false
}

// cdfPDF is a continuous distribution whose quantile is found by
// [solveCDF].
type cdfPDF interface {
	CDF(i int, v float64) float64
	pdf(i int, v float64) float64
}

// solveCDF returns the v in [lo, hi] with CDF(i, v) = p, given CDF(lo) ≤ p
// ≤ CDF(hi) and both ends finite. It takes Newton steps on the density
// and falls back to bisection whenever a step would leave the bracket or
// fails to halve it (the safeguard of Numerical Recipes' rtsafe), so it
// converges for any continuous CDF and quadratically near a simple root.
func solveCDF(d cdfPDF, i int, p, lo, hi float64) float64 {
	x := 0.5*lo + 0.5*hi
	prevStep := hi - lo
	for range 400 {
		f := d.CDF(i, x) - p
		if f == 0 {
			return x
		}
		if f < 0 {
			lo = x
		} else {
			hi = x
		}
		if hi-lo <= 4e-16*math.Max(math.Abs(lo), math.Abs(hi)) || hi-lo < 1e-300 {
			break
		}
		next := 0.5*lo + 0.5*hi
		if dens := d.pdf(i, x); dens > 0 {
			if n := x - f/dens; n > lo && n < hi && math.Abs(n-x) < 0.5*prevStep {
				next = n
			}
		}
		prevStep = math.Abs(next - x)
		if next == x {
			break
		}
		x = next
	}
	return x
}
