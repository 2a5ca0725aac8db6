package testutil

import (
	"math"
	"math/rand/v2"
)

// SpreadFloats returns n float32 values spread over several magnitudes
// (normal draws scaled by 2⁻⁶ … 2⁵), with some exact zeros and negative
// zeros, so that sums of them round in many ways: the inputs of the
// bit-exact kernels' tests and golden hashes.
func SpreadFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch r.IntN(16) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = float32(math.Copysign(0, -1))
		default:
			s[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(12)-6)))
		}
	}
	return s
}

// CentralDiff returns the central finite difference of f with respect to
// x[i], (f(x[i]+h) − f(x[i]−h)) over the step actually taken (the two
// float32 values' distance), leaving x[i] as it was: the numeric side of
// the gradient checks every Backward has.
func CentralDiff(x []float32, i int, h float32, f func() float64) float64 {
	old := x[i]
	x[i] = old + h
	fp := f()
	x[i] = old - h
	fm := f()
	x[i] = old
	return (fp - fm) / float64((old+h)-(old-h))
}
