package kernels

import (
	"runtime"
	"sync"
)

func maxProcs() int { return runtime.GOMAXPROCS(0) }

// gemmBlocked is the GotoBLAS/BLIS loop nest around a register-tile
// micro-kernel:
//
//	for jc over n in steps of nc:
//	  for pc over k in steps of kc:
//	    pack op(B)[pc:+kc, jc:+nc] into nr-wide micro-panels   (L3)
//	    for ic over m in steps of mc:                            (workers split the rows, or jr)
//	      pack op(A)[ic:+mc, pc:+kc] into mr-high micro-panels (L2)
//	      for jr over the panel in steps of nr:                  B micro-panel in L1
//	        for ir over the block in steps of mr:                A micro-panel from L2
//	          micro-kernel: C[ic+ir:+mr, jc+jr:+nr] (+)= A·B
//
// The first k block applies the caller's beta; later ones accumulate
// (beta = 1). Transposes are absorbed by the packing routines. Edge tiles
// (fewer than mr rows or nr columns) run the same micro-kernel on
// zero-padded panels into a scratch tile, then copy the valid part.
//
// In parallel, the workers split the rows (ic) of every block, without a
// barrier between blocks (gemm_pipeline.go), or, for few row tiles, the
// B micro-panels (jr) of each block. Workers get whole mr-row tiles or
// nr-column panels and the k blocking is fixed, so every element of C is
// computed by the same operations whatever the number of workers: results
// are bit-identical for any GOMAXPROCS.
func gemmBlocked(im *gemmImpl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := gemmJobPool.Get().(*gemmJob)
	g.im, g.transA, g.transB = im, transA, transB
	g.m, g.n, g.k = m, n, k
	g.alpha, g.a, g.lda, g.b, g.ldb, g.c, g.ldc = alpha, a, lda, b, ldb, c, ldc

	mr, nr, kc := im.mr, im.nr, im.kc
	// Column blocks of at most im.nc, evened out (3072 → 2×1536, not
	// 2048 + 1024). Which block a column falls in does not change how it
	// is computed.
	nblocks := (n + im.nc - 1) / im.nc
	nc := ((n+nblocks-1)/nblocks + nr - 1) / nr * nr
	ncMax := min(nc, (n+nr-1)/nr*nr)
	procs := maxProcs()
	parallel := m*n*k >= parallelGemmFlops && procs > 1
	// Row chunks: whole tiles, about 4 per worker for balance on a noisy
	// machine, never much more than one A block.
	tiles := (m + mr - 1) / mr
	rowGrain := mr * max(1, min(im.mc/mr, (tiles+4*procs-1)/(4*procs)))
	if parallel && tiles >= 2*procs {
		// Enough row tiles for every worker: one Parallel call for the
		// whole product (gemm_pipeline.go).
		g.pipelined(nc, ncMax, rowGrain, procs, beta)
		g.release()
		return
	}
	bbuf := getBuf(min(kc, k) * ncMax)
	g.kb.bp = *bbuf
	for jc := 0; jc < n; jc += nc {
		g.kb.jc, g.kb.ncur = jc, min(nc, n-jc)
		panels := (g.kb.ncur + nr - 1) / nr
		for pc := 0; pc < k; pc += kc {
			g.kb.pc, g.kb.kcur = pc, min(kc, k-pc)
			g.kb.beta = beta
			if pc > 0 {
				g.kb.beta = 1
			}
			switch {
			case !parallel:
				g.packB(0, panels)
				g.rows(0, m)
			default:
				// Few row tiles (small batches): split the columns instead,
				// each worker packing its own B panels and the small A.
				Parallel(panels, max(1, (panels+2*procs-1)/(2*procs)), g.colsFn)
			}
		}
	}
	putBuf(bbuf)
	g.release()
}

// gemmJob holds one Sgemm call's state so the work functions handed to
// Parallel are long-lived method values (no allocation per call).
type gemmJob struct {
	im             *gemmImpl
	transA, transB bool
	m, n, k        int
	alpha          float32
	a, b, c        []float32
	lda, ldb, ldc  int
	kb             kblock // current block (serial and column-split paths)
	pb             *PackedB
	apAll          []float32 // SgemmPacked's column split: A packed for every k block
	packBFn        func(lo, hi int)
	colsFn         func(lo, hi int)
	pRowsFn        func(lo, hi int) // SgemmPacked's
	pColsFn        func(lo, hi int)
	pipe           gemmPipe // the pipelined parallel product's
	pipeFn         func(lo, hi int)
}

// release clears g (dropping its references to the caller's slices) and
// returns it to gemmJobPool.
func (g *gemmJob) release() {
	done, pstate := g.pipe.done, g.pipe.pstate
	*g = gemmJob{packBFn: g.packBFn, colsFn: g.colsFn, pRowsFn: g.pRowsFn, pColsFn: g.pColsFn, pipeFn: g.pipeFn}
	g.pipe.done, g.pipe.pstate = done, pstate
	gemmJobPool.Put(g)
}

// kblock is one block of a product: rows pc..pc+kcur and columns
// jc..jc+ncur of op(B), packed into bp, and the beta that applies to it
// (the caller's for the first k block, 1 after).
type kblock struct {
	pc, kcur int
	jc, ncur int
	beta     float32
	bp       []float32
}

var gemmJobPool = sync.Pool{New: func() any {
	g := new(gemmJob)
	g.packBFn = g.packB
	g.colsFn = g.cols
	g.pRowsFn = g.packedRows
	g.pColsFn = g.packedCols
	g.pipeFn = g.pipeWork
	return g
}}

// packB packs micro-panels [lo, hi) of block g.kb.
func (g *gemmJob) packB(lo, hi int) { g.packBlock(&g.kb, lo, hi) }

// packBlock packs micro-panels [lo, hi) of op(B)[pc:pc+kcur, jc:jc+ncur]
// (block kb) into kb.bp: panel q holds columns jc+q*nr .. +nr, row p of it
// at bp[q*nr*kcur + p*nr:], zero-padded past n.
func (g *gemmJob) packBlock(kb *kblock, lo, hi int) {
	nr, kcur, pc := g.im.nr, kb.kcur, kb.pc
	for q := lo; q < hi; q++ {
		j0 := kb.jc + q*nr
		w := min(nr, kb.jc+kb.ncur-j0)
		dst := kb.bp[q*nr*kcur : (q+1)*nr*kcur]
		if !g.transB {
			if nr == 32 && w == 32 && useAVX2 && kcur > 0 {
				_ = g.b[(pc+kcur-1)*g.ldb+j0+31]
				packN32AVX2(kcur, &g.b[pc*g.ldb+j0], g.ldb, &dst[0])
				continue
			}
			for p := range kcur {
				row := g.b[(pc+p)*g.ldb+j0:]
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
		packTransposed(dst, nr, g.b[j0*g.ldb+pc:], g.ldb, w, kcur)
	}
}

// packTransposed writes dst[p*ld+j] = src[j*lds+p] for j < w, p < kcur:
// w rows of src become w columns of dst. With AVX, strips of eight rows,
// then one of four, go through an assembly transpose in 8-column blocks;
// the rest four (or one) source rows at a time.
func packTransposed(dst []float32, ld int, src []float32, lds, w, kcur int) {
	j := 0
	if useAVX2 && kcur >= 8 {
		k8 := kcur &^ 7
		// strip transposes rows j..j+rows of src (rows 8 or 4).
		strip := func(rows int) {
			_ = src[(j+rows-1)*lds+kcur-1]
			_ = dst[(kcur-1)*ld+j+rows-1]
			if rows == 8 {
				transposeStrip8AVX2(k8, &src[j*lds], lds, &dst[j], ld)
			} else {
				transposeStrip4AVX2(k8, &src[j*lds], lds, &dst[j], ld)
			}
			for i := range rows {
				s := src[(j+i)*lds:][:kcur]
				for p := k8; p < kcur; p++ {
					dst[p*ld+j+i] = s[p]
				}
			}
			j += rows
		}
		for j+8 <= w {
			strip(8)
		}
		if j+4 <= w {
			strip(4)
		}
	}
	for ; j+4 <= w; j += 4 {
		s0 := src[j*lds:][:kcur]
		s1 := src[(j+1)*lds:][:kcur]
		s2 := src[(j+2)*lds:][:kcur]
		s3 := src[(j+3)*lds:][:kcur]
		for p := range s0 {
			d := dst[p*ld+j : p*ld+j+4 : p*ld+j+4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; j < w; j++ {
		s := src[j*lds:][:kcur]
		for p, v := range s {
			dst[p*ld+j] = v
		}
	}
}

// rows computes rows [lo, hi) of C (lo a multiple of mr) for the current
// B panel, one A block of at most mc rows at a time.
func (g *gemmJob) rows(lo, hi int) {
	g.block(&g.kb, lo, hi, 0, (g.kb.ncur+g.im.nr-1)/g.im.nr)
}

// cols packs B micro-panels [lo, hi) of the current panel and computes
// their columns of C for all rows.
func (g *gemmJob) cols(lo, hi int) {
	g.packB(lo, hi)
	g.block(&g.kb, 0, g.m, lo, hi)
}

// block computes rows [lo, hi) of C (lo a multiple of mr) against B
// micro-panels [qlo, qhi) of the current panel, one A block of at most mc
// rows at a time.
func (g *gemmJob) block(kb *kblock, lo, hi, qlo, qhi int) {
	im := g.im
	mr, nr, kcur := im.mr, im.nr, kb.kcur
	mcur := min(im.mc, hi-lo)
	abuf := getBuf((mcur+mr-1)/mr*mr*kcur + mr*nr)
	tile := (*abuf)[len(*abuf)-mr*nr:]
	for ic := lo; ic < hi; ic += im.mc {
		mcur := min(im.mc, hi-ic)
		ap := (*abuf)[:(mcur+mr-1)/mr*mr*kcur]
		g.prepA(kb, ap, ic, mcur)
		g.tiles(kb, ap, tile, ic, mcur, qlo, qhi)
	}
	putBuf(abuf)
}

// direct reports whether full row tiles read A in place (a row-major A and
// a micro-kernel that reads it unpacked).
func (g *gemmJob) direct() bool {
	return !g.transA && g.im.kernelRows != nil && !(g.im.rowsNot4K && g.lda%1024 == 0)
}

// prepA packs what the micro-kernels of rows ic..ic+mcur need of A for k
// block kb into ap: every tile, or, when A is read in place, only a ragged
// last tile.
func (g *gemmJob) prepA(kb *kblock, ap []float32, ic, mcur int) {
	mr, kcur := g.im.mr, kb.kcur
	if !g.direct() {
		g.packA(kb, ap, ic, mcur)
	} else if mcur%mr != 0 {
		t := mcur / mr
		g.packA(kb, ap[t*mr*kcur:], ic+t*mr, mcur-t*mr)
	}
}

// tiles runs the micro-kernels for rows ic..ic+mcur (at most mc, packed by
// prepA into ap) against B micro-panels [qlo, qhi) of k block kb. tile is
// mr×nr scratch for edge tiles.
func (g *gemmJob) tiles(kb *kblock, ap, tile []float32, ic, mcur, qlo, qhi int) {
	im := g.im
	mr, nr, kcur := im.mr, im.nr, kb.kcur
	direct := g.direct()
	tilesM := (mcur + mr - 1) / mr
	for j0 := qlo * nr; j0 < min(kb.ncur, qhi*nr); j0 += nr {
		bp := kb.bp[j0*kcur : (j0+nr)*kcur]
		w := min(nr, kb.ncur-j0)
		for t := range tilesM {
			i0 := ic + t*mr
			h := min(mr, g.m-i0)
			cOff := i0*g.ldc + kb.jc + j0
			if direct && h == mr {
				aOff := i0*g.lda + kb.pc
				a := g.a[aOff : aOff+(mr-1)*g.lda+kcur]
				if w == nr {
					im.kernelRows(kcur, a, g.lda, bp, g.c[cOff:cOff+(mr-1)*g.ldc+nr], g.ldc, g.alpha, kb.beta)
					continue
				}
				im.kernelRows(kcur, a, g.lda, bp, tile, nr, 1, 0)
				g.storeEdge(tile, cOff, h, w, kb.beta)
				continue
			}
			kr, kernel := im.tileKernel(h)
			apt := ap[t*mr*kcur : t*mr*kcur+kr*kcur]
			if h == kr && w == nr {
				kernel(kcur, apt, bp, g.c[cOff:cOff+(kr-1)*g.ldc+nr], g.ldc, g.alpha, kb.beta)
				continue
			}
			kernel(kcur, apt, bp, tile, nr, 1, 0)
			g.storeEdge(tile, cOff, h, w, kb.beta)
		}
	}
}

// storeEdge does C = alpha*tile + beta*C for the valid h×w part of an
// edge tile.
func (g *gemmJob) storeEdge(tile []float32, cOff, h, w int, beta float32) {
	storeTile(g.c[cOff:], g.ldc, tile, g.im.nr, h, w, g.alpha, beta)
}

// packA packs rows ic..ic+h of op(A)[:, pc:pc+kcur] into mr-high
// micro-panels: panel t holds rows ic+t*mr.., column p of it at
// ap[t*mr*kcur + p*mr:]. A last, partial panel is packed as high as the
// micro-kernel that will run it (gemmImpl.tileKernel), zero-padded past h
// rows.
func (g *gemmJob) packA(kb *kblock, ap []float32, ic, h int) {
	kcur, pc := kb.kcur, kb.pc
	if g.transA && g.im.mr == 12 && h >= 12 {
		// A stored k×m, 12-row tiles: the full tiles are packed row by row of
		// the stored A (each row's h floats read in one sequential sweep,
		// not one 48-byte strip per tile and row: a wide A, such as the
		// output gradient of a 10,000-word softmax, streams from memory).
		full := h / 12
		if useAVX2 && kcur > 0 {
			_ = g.a[(pc+kcur-1)*g.lda+ic+full*12-1]
			_ = ap[(full-1)*12*kcur+kcur*12-1]
			packTN12AVX2(kcur, &g.a[pc*g.lda+ic], g.lda, &ap[0], full)
			if h%12 != 0 {
				g.packA(kb, ap[full*12*kcur:], ic+full*12, h-full*12)
			}
			return
		}
		for p := range kcur {
			src := g.a[(pc+p)*g.lda+ic:][:full*12]
			for t := range full {
				s := src[t*12 : t*12+12 : t*12+12]
				d := ap[t*12*kcur+p*12:][:12:12]
				d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
				d[6], d[7], d[8], d[9], d[10], d[11] = s[6], s[7], s[8], s[9], s[10], s[11]
			}
		}
		if h%12 == 0 {
			return
		}
		g.packA(kb, ap[full*12*kcur:], ic+full*12, h-full*12)
		return
	}
	for t := 0; t*g.im.mr < h; t++ {
		i0 := ic + t*g.im.mr
		rows := min(g.im.mr, h-t*g.im.mr)
		base := t * g.im.mr * kcur
		mr, _ := g.im.tileKernel(rows) // the panel's height
		dst := ap[base : base+mr*kcur]
		if rows < mr {
			clear(dst)
		}
		if g.transA {
			// A stored k×m: column p of the panel is contiguous in row pc+p.
			if rows == 12 { // the AVX-512 tile: unrolled, no memmove call per 12 floats
				for p := range kcur {
					s := g.a[(pc+p)*g.lda+i0:][:12:12]
					d := dst[p*12 : p*12+12 : p*12+12]
					d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
					d[6], d[7], d[8], d[9], d[10], d[11] = s[6], s[7], s[8], s[9], s[10], s[11]
				}
				continue
			}
			for p := range kcur {
				src := g.a[(pc+p)*g.lda+i0:]
				copy(dst[p*mr:p*mr+rows], src[:rows])
			}
			continue
		}
		packTransposed(dst, mr, g.a[i0*g.lda+pc:], g.lda, rows, kcur)
	}
}
