package kernels

import (
	"fmt"
	"math/bits"
	"sync"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C in single precision, all
// matrices row-major.
//
// op(A) is m×k and op(B) is k×n; C is m×n. With transA false A is stored
// m×k, with transA true it is stored k×m and op(A) = Aᵀ; likewise transB
// means B is stored n×k. lda, ldb and ldc are the row strides (leading
// dimensions) of the stored matrices, at least their stored widths.
// beta == 0 ignores the old contents of C, so C may hold NaNs or garbage.
// Only the m×n window of C is written; elements between rows (when
// ldc > n) are never touched.
//
// Results are bit-identical for any GOMAXPROCS and any number of calls, but
// may differ in the last bits between instruction-set paths and from the
// reference: each element is within √k·2⁻²³·(|α|Σₚ|aᵢₚbₚⱼ| + |βcᵢⱼ|) of the
// exact value.
//
// Sgemm panics if a dimension is negative, a leading dimension is too small,
// or a slice is too short for its matrix.
//
// A linear layer in llm.c's layout (weight w is OC×C, out = inp·wᵀ) maps to
// the three layouts as follows, with BT rows of activations:
//
//	forward  out  = inp·wᵀ:   Sgemm(false, true,  BT, OC, C,  1, inp, C,   w,   C, 0, out,  OC)
//	backward dinp += dout·w:  Sgemm(false, false, BT, C,  OC, 1, dout, OC, w,   C, 1, dinp, C)
//	         dw  += doutᵀ·inp: Sgemm(true, false,  OC, C,  BT, 1, dout, OC, inp, C, 1, dw,   C)
//
// M = 1 (one token) runs as a matrix-vector product streaming w once.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmWith(bestGemm(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless s can hold a rows×cols row-major matrix with
// row stride ld.
func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: Sgemm: ld%s = %d < max(1, %d)", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: Sgemm: len(%s) = %d < %d for a %d×%d matrix with stride %d",
			name, len(s), (rows-1)*ld+cols, rows, cols, ld))
	}
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if transA {
		checkMatrix("a", k, m, a, lda)
	} else {
		checkMatrix("a", m, k, a, lda)
	}
	if transB {
		checkMatrix("b", n, k, b, ldb)
	} else {
		checkMatrix("b", k, n, b, ldb)
	}
	checkMatrix("c", m, n, c, ldc)
}

// gemmImpl is one instruction-set path of Sgemm: a register-tile
// micro-kernel, its cache blocking, and the matrix-vector leaves.
type gemmImpl struct {
	name   string
	mr, nr int // register tile of the micro-kernel: mr rows × nr columns of C
	kc     int // depth of packed panels (the k block): a B micro-panel kc×nr stays in L1
	mc     int // height of a packed A block (mc×kc stays in L2); a multiple of mr
	nc     int // width of a packed B panel (kc×nc in L3); a multiple of nr
	// kernel computes, for a full mr×nr tile of C at c (row stride ldc),
	// C = alpha*Ap*Bp + beta*C where Ap is an mr×kc packed micro-panel
	// (column p at ap[p*mr:]) and Bp a kc×nr one (row p at bp[p*nr:]).
	// beta == 0 must not read C.
	kernel func(kc int, ap, bp, c []float32, ldc int, alpha, beta float32)
	// short, if not empty, lists micro-kernels of fewer rows (ascending
	// mr, same nr and calling convention, A packed mr-high) for the last,
	// partial row tile of a product: 32 rows run as 12+12+8, not as three
	// 12-row tiles of which a third is padding.
	short []shortKernel
	// kernelRows, if not nil, is kernel reading A unpacked: row i of the
	// tile at a[i*lda:], its kc columns contiguous. It serves full tiles of
	// a row-major (not transposed) A, whose packing would be a transpose.
	kernelRows func(kc int, a []float32, lda int, bp, c []float32, ldc int, alpha, beta float32)
	// rowsNot4K: do not read A in place when its rows are a multiple of
	// 4 KiB apart (mr rows then fall in the same L1 sets; measured slower
	// than packing for the 12-row AVX-512 tile at K = 1024).
	rowsNot4K bool
	// gemvN: y[j] = alpha*Σₚ x[p]*B[p*ldb+j] + beta*y[j], j < len(y), p < len(x).
	gemvN func(x, b []float32, ldb int, y []float32, alpha, beta float32)
	// gemvT: y[j] = alpha*Σₚ x[p]*B[j*ldb+p] + beta*y[j], j < len(y), p < len(x).
	gemvT func(x, b []float32, ldb int, y []float32, alpha, beta float32)
	// gemvPanels: y[q*nr+j] += Σₚ x[p]*b[q*ldp+p*nr+j], p < len(x), j < nr,
	// for np column micro-panels q of one k block of a PackedB (panel q
	// ldp floats after panel q−1; b may start at a later row of the
	// block).
	gemvPanels func(x, b []float32, np, ldp int, y []float32)
	// gemvPanelsRows, if not nil, is gemvPanels for several rows at
	// once: y[r*ldy+q*nr+j] += Σₚ x[r*ldx+p]*b[q*ldp+p*nr+j], p < k,
	// r < rows, each row's sum taken in gemvPanels' order, so that every
	// row gets exactly the bits gemvPanels gives it alone (the batched
	// step of GemvPackedRows). Without it, rows go one by one.
	gemvPanelsRows func(rows, k int, x []float32, ldx int, b []float32, np, ldp int, y []float32, ldy int)
}

// shortKernel is a micro-kernel of mr < gemmImpl.mr rows.
type shortKernel struct {
	mr     int
	kernel func(kc int, ap, bp, c []float32, ldc int, alpha, beta float32)
}

// tileKernel returns the micro-kernel for a row tile of h ≤ mr valid rows
// and its height (the packing stride of the tile's A panel).
func (im *gemmImpl) tileKernel(h int) (int, func(kc int, ap, bp, c []float32, ldc int, alpha, beta float32)) {
	if h < im.mr {
		for _, s := range im.short {
			if h <= s.mr {
				return s.mr, s.kernel
			}
		}
	}
	return im.mr, im.kernel
}

// bestGemm returns the fastest path the CPU flags allow.
func bestGemm() *gemmImpl {
	switch {
	case useAVX512:
		return gemmAVX512
	case useAVX2:
		return gemmAVX2
	}
	return gemmGeneric
}

// Work sizes (in multiply-adds) below which the work stays on one goroutine.
const (
	parallelGemmFlops = 1 << 21
	parallelGemvFlops = 1 << 18
)

func sgemmWith(im *gemmImpl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	switch {
	case m == 1:
		x := a[:k]
		var buf *[]float32
		if transA && lda != 1 {
			buf = getBuf(k)
			x = (*buf)[:k]
			for p := range x {
				x[p] = a[p*lda]
			}
		}
		gemvPar(im, !transB, x, b, ldb, c[:n], alpha, beta)
		putBuf(buf)
	case n == 1:
		x := b[:k]
		var xb *[]float32
		if !transB && ldb != 1 {
			xb = getBuf(k)
			x = (*xb)[:k]
			for p := range x {
				x[p] = b[p*ldb]
			}
		}
		y := c[:m]
		var yb *[]float32
		if ldc != 1 {
			yb = getBuf(m)
			y = (*yb)[:m]
			if beta != 0 {
				for i := range y {
					y[i] = c[i*ldc]
				}
			}
		}
		gemvPar(im, transA, x, a, lda, y, alpha, beta)
		if ldc != 1 {
			for i, v := range y {
				c[i*ldc] = v
			}
		}
		putBuf(xb)
		putBuf(yb)
	default:
		gemmBlocked(im, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// scaleMatrix sets C = beta*C over an m×n window (C = 0 when beta == 0).
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemvPar runs a matrix-vector product, splitting the output among workers
// when it is large. rowsAreP selects gemvN (matrix rows indexed by p, the
// input index) over gemvT (matrix rows indexed by the output index).
func gemvPar(im *gemmImpl, rowsAreP bool, x, mat []float32, ld int, y []float32, alpha, beta float32) {
	kernel := im.gemvT
	if rowsAreP {
		kernel = im.gemvN
	}
	n := len(y)
	if len(x)*n < parallelGemvFlops {
		kernel(x, mat, ld, y, alpha, beta)
		return
	}
	// Chunks of 256 outputs (a multiple of every vector width), so the
	// split never changes how an element is computed.
	g := gemvJobPool.Get().(*gemvJob)
	g.kernel, g.rowsAreP, g.x, g.mat, g.ld, g.y, g.alpha, g.beta = kernel, rowsAreP, x, mat, ld, y, alpha, beta
	grain := max(256, (n/(4*maxProcs())+255)&^255)
	Parallel(n, grain, g.fn)
	*g = gemvJob{fn: g.fn}
	gemvJobPool.Put(g)
}

type gemvJob struct {
	kernel      func(x, b []float32, ldb int, y []float32, alpha, beta float32)
	rowsAreP    bool
	x, mat, y   []float32
	ld          int
	alpha, beta float32
	fn          func(lo, hi int)
}

var gemvJobPool = sync.Pool{New: func() any {
	g := new(gemvJob)
	g.fn = g.run
	return g
}}

func (g *gemvJob) run(lo, hi int) {
	if g.rowsAreP {
		g.kernel(g.x, g.mat[lo:], g.ld, g.y[lo:hi], g.alpha, g.beta)
	} else {
		g.kernel(g.x, g.mat[lo*g.ld:], g.ld, g.y[lo:hi], g.alpha, g.beta)
	}
}

// Scratch buffers, pooled so steady-state calls allocate nothing. One pool
// per power-of-two size class, so that a small request never takes (and
// drops) a big buffer or the reverse.
var bufPools [48]sync.Pool

func getBuf(n int) *[]float32 {
	c := bits.Len(uint(max(n, 1024) - 1))
	if p, ok := bufPools[c].Get().(*[]float32); ok {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n, 1<<c)
	return &s
}

func putBuf(p *[]float32) {
	if p != nil {
		bufPools[bits.Len(uint(cap(*p)-1))].Put(p)
	}
}
