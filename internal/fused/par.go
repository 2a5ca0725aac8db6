package fused

import (
	"sync"

	"github.com/autoreg/autoreg/internal/kernels"
)

// Elementwise work over large activations is split into fixed chunks over
// the worker pool. Each element's result depends only on its own inputs, so
// the split never changes a bit; it only keeps both cores busy in passes
// that would otherwise run on one goroutine between two parallel GEMMs.

// ElemGrain is the chunk of elementwise work per worker hand-off (about
// 64 KiB per operand: large enough to amortize the hand-off, small enough
// to balance two cores).
const ElemGrain = 1 << 14

// ForChunks calls fn on consecutive ranges of [0, n), in parallel when n is
// large.
func ForChunks(n int, fn func(lo, hi int)) {
	if n <= ElemGrain {
		fn(0, n)
		return
	}
	kernels.Parallel(n, ElemGrain, fn)
}

// ForRows calls fn on consecutive ranges of the N rows (width floats each)
// of a row-wise pass, in parallel when there are many: about ElemGrain
// floats per worker hand-off.
func ForRows(N, width int, fn func(lo, hi int)) {
	grain := max(1, ElemGrain/max(width, 1))
	if N <= grain {
		fn(0, N)
		return
	}
	kernels.Parallel(N, grain, fn)
}

// Zero sets x to zeros, in parallel for large x.
func Zero(x []float32) {
	ForChunks(len(x), func(lo, hi int) { clear(x[lo:hi]) })
}

// FillRows sets every row of out (N rows of OC, ld apart) to row (OC).
func FillRows(out, row []float32, N, OC, ld int) {
	grain := max(1, ElemGrain/max(OC, 1))
	if N <= grain {
		for r := range N {
			copy(out[r*ld:r*ld+OC], row[:OC])
		}
		return
	}
	// A pooled job with a long-lived method value: no allocation per call
	// (inference re-encodes windows through here).
	j := fillPool.Get().(*fillJob)
	j.out, j.row, j.OC, j.ld = out, row, OC, ld
	kernels.Parallel(N, grain, j.fn)
	j.out, j.row = nil, nil
	fillPool.Put(j)
}

type fillJob struct {
	out, row []float32
	OC, ld   int
	fn       func(lo, hi int)
}

func (j *fillJob) run(lo, hi int) {
	for r := lo; r < hi; r++ {
		copy(j.out[r*j.ld:r*j.ld+j.OC], j.row[:j.OC])
	}
}

var fillPool = sync.Pool{New: func() any {
	j := new(fillJob)
	j.fn = j.run
	return j
}}
