package kernels

import "fmt"

func checkLen(fn string, want int, names string, lens ...int) {
	for _, l := range lens {
		if l != want {
			// (a copy, so that lens does not escape: checks stay allocation-free)
			panic(fmt.Sprintf("kernels: %s: slice lengths differ (%s: %d, %v)", fn, names, want, append([]int(nil), lens...)))
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

// SumSquares returns Σᵢ x[i]² accumulated in float64 (a gradient's
// squared norm). Each square is exact in float64; the sum runs in several
// interleaved partial sums combined in a fixed order, so it is
// deterministic for a given path and within len(x)·2⁻⁵³·Σx² of the exact
// value.
func SumSquares(x []float32) float64 {
	var s float64
	var blk int
	switch {
	case useAVX512:
		s, blk = sumSq64AVX512(x), 32 // whole blocks of 32 only
	case useAVX2:
		s, blk = sumSq64AVX2(x), 16 // whole blocks of 16 only
	default:
		return sumSq64Generic(x)
	}
	return s + sumSq64Generic(x[len(x)/blk*blk:])
}

// Axpy, Scale and Add split slices longer than elemGrain among the workers
// (elementwise: no result changes).

// Axpy computes y += alpha*x. x and y must have the same length.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", len(x), "x, y", len(y))
	if len(x) > elemGrain {
		Parallel(len(x), elemGrain, func(lo, hi int) { axpy(alpha, x[lo:hi], y[lo:hi]) })
		return
	}
	axpy(alpha, x, y)
}

func axpy(alpha float32, x, y []float32) {
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
	if len(x) > elemGrain {
		Parallel(len(x), elemGrain, func(lo, hi int) { scale(alpha, x[lo:hi]) })
		return
	}
	scale(alpha, x)
}

func scale(alpha float32, x []float32) {
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
	if len(dst) > elemGrain {
		Parallel(len(dst), elemGrain, func(lo, hi int) { add(dst[lo:hi], x[lo:hi], y[lo:hi]) })
		return
	}
	add(dst, x, y)
}

// Mul computes dst = x ⊙ y elementwise (one rounding each). All three must
// have the same length; dst may alias x or y.
func Mul(dst, x, y []float32) {
	checkLen("Mul", len(dst), "dst, x, y", len(x), len(y))
	if len(dst) > elemGrain {
		Parallel(len(dst), elemGrain, func(lo, hi int) { mul(dst[lo:hi], x[lo:hi], y[lo:hi]) })
		return
	}
	mul(dst, x, y)
}

func mul(dst, x, y []float32) {
	switch {
	case useAVX512:
		mulAVX512(dst, x, y)
	case useAVX2:
		mulAVX2(dst, x, y)
	default:
		mulGeneric(dst, x, y)
	}
}

func add(dst, x, y []float32) {
	switch {
	case useAVX512:
		addAVX512(dst, x, y)
	case useAVX2:
		addAVX2(dst, x, y)
	default:
		addGeneric(dst, x, y)
	}
}
