package kernels

import (
	"fmt"
	"slices"
)

func checkLen(fn string, want int, names string, lens ...int) {
	for _, l := range lens {
		if l != want {
			// A copy, so lens does not escape: the caller's variadic
			// slice stays on its stack and the check allocates nothing.
			panic(fmt.Sprintf("kernels: %s: slice lengths differ (%s: %v)", fn, names, slices.Clone(lens)))
		}
	}
}

// Dot returns Σᵢ x[i]*y[i]. x and y must have the same length. The sum is
// accumulated in float32 in a fixed order (several interleaved partial sums,
// combined pairwise), so it is deterministic for a given path; it is within
// √n·2⁻²³·Σ|xᵢyᵢ| of the exact value.
func Dot(x, y []float32) float32 {
	checkLen("Dot", len(x), "x, y", len(y))
	switch {
	case useAVX512:
		return dotAVX512(x, y)
	case useAVX2:
		return dotAVX2(x, y)
	}
	return dotGeneric(x, y)
}

// Axpy computes y += alpha*x. x and y must have the same length.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", len(x), "x, y", len(y))
	switch {
	case useAVX512:
		axpyAVX512(alpha, x, y)
	case useAVX2:
		axpyAVX2(alpha, x, y)
	default:
		axpyGeneric(alpha, x, y)
	}
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	switch {
	case useAVX512:
		scaleAVX512(alpha, x)
	case useAVX2:
		scaleAVX2(alpha, x)
	default:
		scaleGeneric(alpha, x)
	}
}

// Add computes dst = x + y elementwise. All three must have the same length;
// dst may alias x or y.
func Add(dst, x, y []float32) {
	checkLen("Add", len(dst), "dst, x, y", len(x), len(y))
	switch {
	case useAVX512:
		addAVX512(dst, x, y)
	case useAVX2:
		addAVX2(dst, x, y)
	default:
		addGeneric(dst, x, y)
	}
}
