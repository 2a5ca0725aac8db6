package exact

import (
	"fmt"

	"github.com/autoreg/autoreg/internal/kernels"
)

// need panics (programmer misuse) unless every length in lens is n.
func need(fn, what string, n int, lens ...int) {
	for _, l := range lens {
		if l != n {
			panic(fmt.Sprintf("exact: %s: %s: length %d, want %d", fn, what, l, n))
		}
	}
}

// linearBlock is how many weights (floats) Linear reads per block of output
// columns: 64 KB, so a block stays in cache while every input row goes
// through it.
const linearBlock = 1 << 14

// Linear computes out (n,OC) = x (n,C)·wᵀ + b, w (OC,C) row-major, b (OC)
// or nil (no bias):
//
//	out[i,j] = ExactDot(w[j,:], x[i,:]) + b[j]
//
// (the bias one rounding). The weights are read in blocks of rows for all
// n rows; the blocking only reorders whole dot products, so a batch gives
// the bits of its rows one at a time.
func Linear(out, x, w, b []float32, n, C, OC int) {
	need("Linear", "x", n*C, len(x))
	need("Linear", "w", OC*C, len(w))
	need("Linear", "out", n*OC, len(out))
	if b != nil {
		need("Linear", "b", OC, len(b))
	}
	if n == 1 {
		kernels.ExactMatVec(out, w, x)
	} else {
		blk := max(1, linearBlock/max(C, 1))
		for lo := 0; lo < OC; lo += blk {
			hi := min(OC, lo+blk)
			for i := range n {
				kernels.ExactMatVec(out[i*OC+lo:i*OC+hi], w[lo*C:hi*C], x[i*C:(i+1)*C])
			}
		}
	}
	if b != nil {
		for i := range n {
			Add(out[i*OC:(i+1)*OC], b)
		}
	}
}

// LinearBackwardInput adds the gradient of Linear's input: dx (n,C) +=
// dy (n,OC)·w, row i by ExactMatTVecAdd(dx[i,:], w, dy[i,:]) (for j in
// increasing order, dx[i,:] += float32(dy[i,j]·w[j,:])).
func LinearBackwardInput(dx, dy, w []float32, n, C, OC int) {
	need("LinearBackwardInput", "dx", n*C, len(dx))
	need("LinearBackwardInput", "dy", n*OC, len(dy))
	need("LinearBackwardInput", "w", OC*C, len(w))
	for i := range n {
		kernels.ExactMatTVecAdd(dx[i*C:(i+1)*C], w, dy[i*OC:(i+1)*OC])
	}
}

// LinearBackwardParams sets dw (OC,C) to the weight gradient of n rows,
// Σᵢ dy[i,:]ᵀ·x[i,:] (element (j, k) starts at +0 and adds
// float32(dy[i,j]·x[i,k]) for i in increasing order: ExactOuterSum), and
// adds the bias gradient Σᵢ dy[i,:] to db (nil: no bias), row by row in
// increasing i. dw is overwritten: a weight shared with another use adds
// that use's gradient after this call.
func LinearBackwardParams(dw, db, dy, x []float32, n, C, OC int) {
	need("LinearBackwardParams", "dw", OC*C, len(dw))
	need("LinearBackwardParams", "dy", n*OC, len(dy))
	need("LinearBackwardParams", "x", n*C, len(x))
	kernels.ExactOuterSum(dw, dy, x, n)
	if db != nil {
		need("LinearBackwardParams", "db", OC, len(db))
		for i := range n {
			Add(db, dy[i*OC:(i+1)*OC])
		}
	}
}

// Add sets dst[k] = dst[k] + src[k], one rounding each: a bias, a residual
// connection, or a gradient that flows to two places. Its backward pass
// hands dst's gradient to both operands unchanged. (It runs as
// ExactAxpy(1, src, dst): 1·src[k] is exact, so the bits are the same.)
func Add(dst, src []float32) {
	need("Add", "src", len(dst), len(src))
	kernels.ExactAxpy(1, src, dst)
}
