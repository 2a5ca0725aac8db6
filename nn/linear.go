package nn

import (
	"sync"

	"github.com/autoreg/autoreg/internal/kernels"
)

// LinearForward computes out = inp·weightᵀ + bias (the layout of
// PyTorch's nn.Linear, so a tied output layer can use an embedding table
// as its weight).
//
//	out    (N,OC)
//	inp    (N,C)
//	weight (OC,C)
//	bias   (OC) or nil
func LinearForward(out, inp, weight, bias []float32, N, C, OC int) {
	LinearForwardStrided(out, inp, weight, bias, N, C, OC, C, OC)
}

// LinearForwardStrided is LinearForward with the rows of inp ldIn ≥ C
// floats apart and those of out ldOut ≥ OC apart (padded layouts, see
// PaddedStride; the padding is neither read nor written).
func LinearForwardStrided(out, inp, weight, bias []float32, N, C, OC, ldIn, ldOut int) {
	if bias == nil {
		kernels.Sgemm(false, true, N, OC, C, 1, inp, ldIn, weight, C, 0, out, ldOut)
		return
	}
	fillRows(out, bias, N, OC, ldOut)
	kernels.Sgemm(false, true, N, OC, C, 1, inp, ldIn, weight, C, 1, out, ldOut)
}

// PaddedStride returns the row stride to allocate for an activation of
// rows of n floats that linear layers read: n, or n+16 when n floats are a
// multiple of 4 KiB. Rows a multiple of 4 KiB apart map to the same cache
// sets, so the strips of them that a product reads (to pack its operands,
// or in place) or writes evict each other. For a GPT MLP's 2048×1024
// hidden activation, padding made the output projection's forward 11%
// faster and the first layer's forward 2%, and left the weight gradient
// unchanged (BenchmarkLinearPadded, medians of 5); the GPT benchmark's
// training step gained 1–2% (interleaved A/B).
func PaddedStride(n int) int {
	if n > 0 && n%1024 == 0 {
		return n + 16
	}
	return n
}

// LinearBackward accumulates the gradients of LinearForward:
//
//	dinp    (N,C)  += dout·weight     (skipped when dinp is nil)
//	dweight (OC,C) += doutᵀ·inp
//	dbias   (OC)   += Σ_rows dout     (skipped when dbias is nil)
func LinearBackward(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC int) {
	linearBackward(dinp, dweight, dbias, dout, inp, weight, N, C, OC, 1, C, OC)
}

// LinearBackwardSet is LinearBackward except that it overwrites dinp
// instead of accumulating into it (dweight and dbias still accumulate):
// for a gradient buffer that would otherwise have to be zeroed first.
func LinearBackwardSet(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC int) {
	linearBackward(dinp, dweight, dbias, dout, inp, weight, N, C, OC, 0, C, OC)
}

// LinearBackwardSetStrided is LinearBackwardSet for a
// LinearForwardStrided: the rows of inp and dinp are ldIn ≥ C floats
// apart, those of dout ldOut ≥ OC.
func LinearBackwardSetStrided(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC, ldIn, ldOut int) {
	linearBackward(dinp, dweight, dbias, dout, inp, weight, N, C, OC, 0, ldIn, ldOut)
}

func linearBackward(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC int, beta float32, ldIn, ldOut int) {
	if dinp != nil {
		kernels.Sgemm(false, false, N, C, OC, 1, dout, ldOut, weight, C, beta, dinp, ldIn)
	}
	kernels.Sgemm(true, false, OC, C, N, 1, dout, ldOut, inp, ldIn, 1, dweight, C)
	if dbias != nil {
		columnSumsAfter(dbias, dout, N, OC, ldOut, nil)
	}
}

// ColumnSums accumulates dst[j] += Σ_r src[r,j] for src (N,OC). Rows are
// cut into fixed blocks of colBlock rows; workers sum blocks into partial
// rows (contiguous reads), and the partials are added to dst in block
// order, so the result does not depend on GOMAXPROCS.
func ColumnSums(dst, src []float32, N, OC int) {
	columnSumsAfter(dst, src, N, OC, OC, nil)
}

// columnSumsAfter is ColumnSums for src rows ld ≥ OC floats apart where,
// when row is not nil, row(lo, hi) first computes src's rows [lo, hi): a
// pass that produces src sums it while its rows are in cache (same order
// of additions, same bits as producing all of src first).
func columnSumsAfter(dst, src []float32, N, OC, ld int, row func(lo, hi int)) {
	blocks := (N + colBlock - 1) / colBlock
	if blocks <= 1 || N*OC < 1<<16 {
		if row != nil {
			row(0, N)
		}
		columnSums(dst, src, N, OC, ld)
		return
	}
	buf := colPool.Get().(*[]float32)
	part := *buf
	if cap(part) < blocks*OC {
		part = make([]float32, blocks*OC)
	}
	part = part[:blocks*OC]
	clear(part)
	defer func() { *buf = part; colPool.Put(buf) }()
	kernels.Parallel(blocks, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			p := part[b*OC : (b+1)*OC]
			r1 := min((b+1)*colBlock, N)
			for r0 := b * colBlock; r0 < r1; r0 += colSub {
				r2 := min(r0+colSub, r1)
				if row != nil {
					row(r0, r2)
				}
				for r := r0; r < r2; r++ {
					kernels.Axpy(1, src[r*ld:r*ld+OC], p)
				}
			}
		}
	})
	for b := range blocks {
		kernels.Axpy(1, part[b*OC:(b+1)*OC], dst[:OC])
	}
}

// colPool recycles ColumnSums' partial sums (no large allocation per
// training step).
var colPool = sync.Pool{New: func() any { return new([]float32) }}

// colBlock is the row block of ColumnSums; colSub rows at a time are
// produced by columnSumsAfter's row function (a few tens of KiB: still in
// cache when they are summed).
const (
	colBlock = 256
	colSub   = 16
)

func columnSums(dst, src []float32, N, OC, ld int) {
	d := dst[:OC]
	for r := range N {
		s := src[r*ld : r*ld+OC]
		for j := range d {
			d[j] += s[j]
		}
	}
}
