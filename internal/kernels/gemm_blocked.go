package kernels

import (
	"runtime"
	"sync"
)

func maxProcs() int { return runtime.GOMAXPROCS(0) }

// gemmBlocked is the GotoBLAS/BLIS loop nest around a register-tile
// micro-kernel:
//
//	for jc over n in steps of nc:         B panel kc×nc, packed once, in L2
//	  for pc over k in steps of kc:
//	    pack op(B)[pc:pc+kc, jc:jc+nc]    (workers split the packing)
//	    for ir over m in steps of mr:     (workers split the rows)
//	      pack op(A)[ir:ir+mr, pc:pc+kc]  mr×kc micro-panel, stays in L1
//	      for jr over nc in steps of nr:
//	        micro-kernel on C[ir:ir+mr, jc+jr:jc+jr+nr]
//
// The first k block applies the caller's beta; later ones accumulate
// (beta = 1). Transposes are absorbed by the packing routines. Edge tiles
// (fewer than mr rows or nr columns) run the same micro-kernel on
// zero-padded panels into a scratch tile, then copy the valid part.
//
// The row split among workers is in whole mr-row tiles, and the k blocking
// is fixed, so every element of C is computed by the same sequence of
// operations whatever the number of workers.
func gemmBlocked(im *gemmImpl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := gemmJobPool.Get().(*gemmJob)
	g.im, g.transA, g.transB = im, transA, transB
	g.m, g.n, g.k = m, n, k
	g.alpha, g.a, g.lda, g.b, g.ldb, g.c, g.ldc = alpha, a, lda, b, ldb, c, ldc

	mr, nr, kc, nc := im.mr, im.nr, im.kc, im.nc
	bbuf := getBuf(kc * nc)
	g.bp = *bbuf
	parallel := m*n*k >= parallelGemmFlops && maxProcs() > 1
	// Row chunks: whole tiles, at least ~4 per worker for balance on a
	// noisy machine.
	tiles := (m + mr - 1) / mr
	rowGrain := mr * max(1, tiles/(4*maxProcs()))
	for jc := 0; jc < n; jc += nc {
		g.jc, g.ncur = jc, min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			g.pc, g.kcur = pc, min(kc, k-pc)
			g.beta = beta
			if pc > 0 {
				g.beta = 1
			}
			panels := (g.ncur + nr - 1) / nr
			if parallel {
				Parallel(panels, max(1, panels/(2*maxProcs())), g.packBFn)
				Parallel(m, rowGrain, g.rowsFn)
			} else {
				g.packB(0, panels)
				g.rows(0, m)
			}
		}
	}
	putBuf(bbuf)
	*g = gemmJob{packBFn: g.packBFn, rowsFn: g.rowsFn}
	gemmJobPool.Put(g)
}

// gemmJob holds one Sgemm call's state so the work functions handed to
// Parallel are long-lived method values (no allocation per call).
type gemmJob struct {
	im             *gemmImpl
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	bp             []float32 // packed B panel
	jc, ncur       int       // current column block
	pc, kcur       int       // current k block
	packBFn        func(lo, hi int)
	rowsFn         func(lo, hi int)
}

var gemmJobPool = sync.Pool{New: func() any {
	g := new(gemmJob)
	g.packBFn = g.packB
	g.rowsFn = g.rows
	return g
}}

// packB packs micro-panels [lo, hi) of op(B)[pc:pc+kcur, jc:jc+ncur]: panel q
// holds columns jc+q*nr .. +nr, row p of it at bp[q*nr*kcur + p*nr:],
// zero-padded past n.
func (g *gemmJob) packB(lo, hi int) {
	nr, kcur := g.im.nr, g.kcur
	for q := lo; q < hi; q++ {
		j0 := g.jc + q*nr
		w := min(nr, g.jc+g.ncur-j0)
		dst := g.bp[q*nr*kcur : (q+1)*nr*kcur]
		if !g.transB {
			for p := range kcur {
				row := g.b[(g.pc+p)*g.ldb+j0:]
				d := dst[p*nr : p*nr+nr]
				copy(d, row[:w])
				clear(d[w:])
			}
			continue
		}
		// B stored n×k: column j of op(B) is row j of B.
		if w < nr {
			clear(dst)
		}
		for j := range w {
			src := g.b[(j0+j)*g.ldb+g.pc:]
			src = src[:kcur]
			for p, v := range src {
				dst[p*nr+j] = v
			}
		}
	}
}

// rows runs the micro-kernels for rows [lo, hi) of C (lo a multiple of mr).
func (g *gemmJob) rows(lo, hi int) {
	im := g.im
	mr, nr, kcur := im.mr, im.nr, g.kcur
	abuf := getBuf(mr*kcur + mr*nr)
	ap := (*abuf)[:mr*kcur]
	tile := (*abuf)[mr*kcur : mr*kcur+mr*nr]
	for i0 := lo; i0 < hi; i0 += mr {
		h := min(mr, g.m-i0)
		g.packA(ap, i0, h)
		for j0 := 0; j0 < g.ncur; j0 += nr {
			bp := g.bp[j0*kcur : (j0+nr)*kcur]
			w := min(nr, g.ncur-j0)
			cOff := i0*g.ldc + g.jc + j0
			if h == mr && w == nr {
				im.kernel(kcur, ap, bp, g.c[cOff:cOff+(mr-1)*g.ldc+nr], g.ldc, g.alpha, g.beta)
				continue
			}
			im.kernel(kcur, ap, bp, tile, nr, 1, 0)
			for i := range h {
				crow := g.c[cOff+i*g.ldc : cOff+i*g.ldc+w]
				trow := tile[i*nr : i*nr+w]
				if g.beta == 0 {
					for j, t := range trow {
						crow[j] = g.alpha * t
					}
				} else {
					for j, t := range trow {
						crow[j] = g.alpha*t + g.beta*crow[j]
					}
				}
			}
		}
	}
	putBuf(abuf)
}

// packA packs rows i0..i0+h of op(A)[:, pc:pc+kcur] into an mr×kcur
// micro-panel: column p at ap[p*mr:], zero-padded past h rows.
func (g *gemmJob) packA(ap []float32, i0, h int) {
	mr, kcur := g.im.mr, g.kcur
	if h < mr {
		clear(ap)
	}
	if g.transA {
		// A stored k×m: column p of the panel is contiguous in row pc+p.
		for p := range kcur {
			src := g.a[(g.pc+p)*g.lda+i0:]
			copy(ap[p*mr:p*mr+h], src[:h])
		}
		return
	}
	for i := range h {
		src := g.a[(i0+i)*g.lda+g.pc:]
		src = src[:kcur]
		for p, v := range src {
			ap[p*mr+i] = v
		}
	}
}
