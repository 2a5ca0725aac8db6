package fused

import (
	"sync"

	"github.com/autoreg/autoreg/internal/kernels"
)

// ColumnSums accumulates dst[j] += Σ_r src[r,j] for src (N,OC): the bias
// gradient of a linear layer from its output gradient. Rows are cut into
// fixed blocks of colBlock rows; workers sum blocks into partial rows
// (contiguous reads), and the partials are added to dst in block order, so
// the result does not depend on GOMAXPROCS.
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
