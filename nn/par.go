package nn

import "github.com/autoreg/autoreg/internal/kernels"

// Elementwise work over large activations is split into fixed chunks over
// the worker pool. Each element's result depends only on its own inputs, so
// the split never changes a bit; it only keeps both cores busy in passes
// that would otherwise run on one goroutine between two parallel GEMMs.

// elemGrain is the chunk of elementwise work per worker hand-off (about
// 64 KiB per operand: large enough to amortize the hand-off, small enough
// to balance two cores).
const elemGrain = 1 << 14

// forChunks calls fn on consecutive ranges of [0, n), in parallel when n is
// large.
func forChunks(n int, fn func(lo, hi int)) {
	if n <= elemGrain {
		fn(0, n)
		return
	}
	kernels.Parallel(n, elemGrain, fn)
}

// forRows calls fn on consecutive ranges of the N rows (width floats each)
// of a row-wise pass, in parallel when there are many: about elemGrain
// floats per worker hand-off.
func forRows(N, width int, fn func(lo, hi int)) {
	grain := max(1, elemGrain/max(width, 1))
	if N <= grain {
		fn(0, N)
		return
	}
	kernels.Parallel(N, grain, fn)
}

// Zero sets x to zeros, in parallel for large x.
func Zero(x []float32) {
	forChunks(len(x), func(lo, hi int) { clear(x[lo:hi]) })
}
