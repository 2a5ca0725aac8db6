package kernels

import "fmt"

// PackedB is the right operand of a matrix product packed once into the
// micro-kernel's panel layout, for many products against the same matrix:
// the recurrent weights of an RNN, multiplied by the hidden state at every
// time step, would otherwise be packed again at every step (for a 512×2048
// LSTM matrix, 4 MB of copying per step of a few hundred microseconds).
//
// Pack it again whenever the matrix changes (after each optimizer step). A
// PackedB holds the instruction-set path it was packed for; the zero value
// is empty and ready to Pack. It is read-only during SgemmPacked, so
// several goroutines may multiply by one PackedB at once.
type PackedB struct {
	im   *gemmImpl
	k, n int
	np   int // column micro-panels: ⌈n/nr⌉
	data []float32
	g    gemmJob // scratch for Pack
}

// K and N return the shape of the packed op(B) (K×N).
func (pb *PackedB) K() int { return pb.k }

// N returns the number of columns of the packed op(B).
func (pb *PackedB) N() int { return pb.n }

// Pack packs op(B) (k×n) for SgemmPacked: B stored k×n with row stride ldb,
// or, with transB, stored n×k (op(B) = Bᵀ, the layout of a linear layer's
// out×in weight). Storage is reused when large enough.
//
// Layout: for each k block of kc rows (the last may be shorter), the column
// micro-panels one after the other, each kcur×nr, zero-padded past n.
func (pb *PackedB) Pack(transB bool, k, n int, b []float32, ldb int) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("kernels: PackedB.Pack: negative dimension k=%d n=%d", k, n))
	}
	if transB {
		checkMatrix("b", n, k, b, ldb)
	} else {
		checkMatrix("b", k, n, b, ldb)
	}
	im := bestGemm()
	nr := im.nr
	np := (n + nr - 1) / nr
	pb.im, pb.k, pb.n, pb.np = im, k, n, np
	if size := k * np * nr; cap(pb.data) < size {
		pb.data = make([]float32, size)
	} else {
		pb.data = pb.data[:size]
	}
	g := &pb.g
	fn := g.packBFn
	*g = gemmJob{im: im, transB: transB, n: n, k: k, b: b, ldb: ldb, packBFn: fn}
	if g.packBFn == nil {
		g.packBFn = g.packB
	}
	for pc := 0; pc < k; pc += im.kc {
		kcur := min(im.kc, k-pc)
		g.kb = kblock{pc: pc, kcur: kcur, ncur: n, bp: pb.data[pc*np*nr : (pc+kcur)*np*nr]}
		if kcur*n >= 1<<16 {
			Parallel(np, max(1, np/8), g.packBFn)
		} else {
			g.packB(0, np)
		}
	}
	g.b, g.kb.bp = nil, nil
}

// kblock returns k block pc of the packed matrix with the given beta.
func (pb *PackedB) kblock(pc int, beta float32) kblock {
	nr := pb.im.nr
	kcur := min(pb.im.kc, pb.k-pc)
	return kblock{pc: pc, kcur: kcur, ncur: pb.n, beta: beta, bp: pb.data[pc*pb.np*nr : (pc+kcur)*pb.np*nr]}
}

// SgemmPacked computes C = alpha*op(A)*B + beta*C, where B (k×n) was packed
// by pb.Pack, op(A) is m×k (A stored m×k, or k×m with transA) with row
// stride lda, and C is m×n with row stride ldc. The conventions and the
// error bound are Sgemm's; results are bit-identical for any GOMAXPROCS.
func SgemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb == nil || pb.im == nil {
		panic("kernels: SgemmPacked: B was not packed")
	}
	if m < 0 {
		panic(fmt.Sprintf("kernels: SgemmPacked: negative dimension m=%d", m))
	}
	k, n := pb.k, pb.n
	if transA {
		checkMatrix("a", k, m, a, lda)
	} else {
		checkMatrix("a", m, k, a, lda)
	}
	checkMatrix("c", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	im := pb.im
	g := gemmJobPool.Get().(*gemmJob)
	g.im, g.transA = im, transA
	g.m, g.n, g.k = m, n, k
	g.alpha, g.a, g.lda, g.c, g.ldc = alpha, a, lda, c, ldc
	g.pb = pb
	g.kb.beta = beta
	procs := maxProcs()
	tiles := (m + im.mr - 1) / im.mr
	switch {
	case m*n*k < parallelGemmFlops || procs == 1:
		g.packedRows(0, m)
	case tiles >= 2*procs:
		// Whole row tiles per chunk, about 4 chunks per worker, each at
		// most one A block: every worker runs all k blocks of its rows.
		Parallel(m, im.mr*max(1, min(im.mc/im.mr, (tiles+4*procs-1)/(4*procs))), g.pRowsFn)
	case m > im.mc:
		g.packedRows(0, m)
	default:
		// Few rows (an RNN batch): A, small, is packed once for every k
		// block, then the workers split the column panels.
		mr := im.mr
		ma := (m + mr - 1) / mr * mr
		buf := getBuf(ma * k)
		g.apAll = *buf
		beta := beta
		for pc := 0; pc < k; pc += im.kc {
			kb := pb.kblock(pc, beta)
			g.prepA(&kb, g.apAll[pc*ma:pc*ma+ma*kb.kcur], 0, m)
		}
		Parallel(pb.np, max(1, (pb.np+4*procs-1)/(4*procs)), g.pColsFn)
		putBuf(buf)
	}
	g.release()
}

// packedRows computes rows [lo, hi) of an SgemmPacked product, all k
// blocks and column panels.
func (g *gemmJob) packedRows(lo, hi int) {
	g.packedBlock(lo, hi, 0, g.pb.np)
}

// packedCols computes column panels [lo, hi) of an SgemmPacked product for
// all rows, from the A packed in g.apAll.
func (g *gemmJob) packedCols(lo, hi int) {
	mr, nr := g.im.mr, g.im.nr
	ma := (g.m + mr - 1) / mr * mr
	tb := getBuf(mr * nr) // edge-tile scratch, one per worker
	tile := *tb
	beta := g.kb.beta
	for pc := 0; pc < g.k; pc += g.im.kc {
		kb := g.pb.kblock(pc, beta)
		g.tiles(&kb, g.apAll[pc*ma:pc*ma+ma*kb.kcur], tile, 0, g.m, lo, hi)
		beta = 1
	}
	putBuf(tb)
}

func (g *gemmJob) packedBlock(lo, hi, qlo, qhi int) {
	beta := g.kb.beta
	for pc := 0; pc < g.k; pc += g.im.kc {
		kb := g.pb.kblock(pc, beta)
		g.block(&kb, lo, hi, qlo, qhi)
		beta = 1
	}
}
