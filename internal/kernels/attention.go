package kernels

import (
	"fmt"
	"math"
	"sync"
)

// Causal multi-head self-attention (Vaswani et al. 2017) over packed
// query/key/value projections. For one head h of one sequence b, with Q, K
// and V its T×hs slices of qkv:
//
//	S = Q Kᵀ/√hs,  S[t,s] = −∞ for s > t (causal mask)
//	P = softmax_rows(S),  Y = P V
//
// The (sequence, head) pairs are independent and are split over the
// worker pool in chunks of whole pairs, so results do not depend on
// GOMAXPROCS.
// Inside a pair, the products run on the matrix micro-kernels directly:
// the right operand of each product (Kᵀ, V, …) is packed once per head
// into micro-panels, and each row tile of the left operand multiplies only
// the panels (or the k range) that the causal mask leaves nonzero, so the
// masked upper triangle costs at most one panel per row tile. A 128-token
// head of width 64 is eleven row tiles on AVX-512, each a handful of
// micro-kernel calls with no per-product set-up: the generic Sgemm on
// 32-row blocks spent more time packing and dispatching than multiplying.
//
// Layouts:
//
//	qkv  (B,T,3C)     [q | k | v], head h at columns h*hs of each part
//	out  (B,T,C)      heads concatenated: out[b,t,h*hs:(h+1)*hs]
//	att  (B,NH,T,T)   probabilities, zero above the diagonal

// AttentionForward computes the attention output into out and saves the
// probabilities in att. It allocates nothing in steady state (generation
// re-encodes its window through it).
func AttentionForward(out, att, qkv []float32, B, T, C, NH int) {
	checkAttention("AttentionForward", len(out), len(att), len(qkv), B, T, C, NH)
	j := attnJobPool.Get().(*attnJob)
	j.out, j.att, j.qkv, j.T, j.C, j.NH = out, att, qkv, T, C, NH
	Parallel(B*NH, attnGrain(B*NH), j.fwd)
	j.release()
}

// AttentionBackward sets dqkv = beta·dqkv + the gradient of AttentionForward
// (beta 0 or 1: overwrite or accumulate), given dout (B,T,C), the forward's
// qkv and its saved probabilities att. The scores' gradient of a head
// lives in a T×T scratch of the worker's (it stays in cache).
//
//	dP = dY Vᵀ,  dS = P⊙(dP − rowsum(P⊙dP))/√hs
//	dQ = dS K,  dK = dSᵀ Q,  dV = Pᵀ dY
func AttentionBackward(dqkv, dout, qkv, att []float32, B, T, C, NH int, beta float32) {
	checkAttention("AttentionBackward", len(dout), len(att), len(qkv), B, T, C, NH)
	checkAttention("AttentionBackward", len(dout), len(att), len(dqkv), B, T, C, NH)
	if beta != 0 && beta != 1 {
		panic(fmt.Sprintf("kernels: AttentionBackward: beta %v, want 0 or 1", beta))
	}
	j := attnJobPool.Get().(*attnJob)
	j.dqkv, j.out, j.qkv, j.att, j.T, j.C, j.NH, j.beta = dqkv, dout, qkv, att, T, C, NH, beta
	Parallel(B*NH, attnGrain(B*NH), j.bwd)
	j.release()
}

// attnJob holds one call's operands, so the functions handed to Parallel
// are long-lived method values (no allocation per call).
type attnJob struct {
	out, att, qkv, dqkv []float32 // out is dout for the backward pass
	T, C, NH            int
	beta                float32
	fwd, bwd            func(lo, hi int)
}

var attnJobPool = sync.Pool{New: func() any {
	j := new(attnJob)
	j.fwd, j.bwd = j.forward, j.backward
	return j
}}

func (j *attnJob) release() {
	*j = attnJob{fwd: j.fwd, bwd: j.bwd}
	attnJobPool.Put(j)
}

// forward runs heads [lo, hi) (index b·NH + h) of the forward pass.
func (j *attnJob) forward(lo, hi int) {
	w := newAttnWork(bestGemm(), j.T, j.C/j.NH)
	for bh := lo; bh < hi; bh++ {
		w.forward(j.out, j.att, j.qkv, bh/j.NH, bh%j.NH, j.T, j.C, j.NH)
	}
	w.release()
}

// backward runs heads [lo, hi) of the backward pass.
func (j *attnJob) backward(lo, hi int) {
	w := newAttnWork(bestGemm(), j.T, j.C/j.NH)
	for bh := lo; bh < hi; bh++ {
		w.backward(j.dqkv, j.out, j.qkv, j.att, bh/j.NH, bh%j.NH, j.T, j.C, j.NH, j.beta)
	}
	w.release()
}

// attnGrain is the number of heads per worker hand-off: about eight
// chunks per worker, so each chunk's scratch and packed panels serve
// several heads (one head per chunk measured 10–20% slower at 64 heads).
func attnGrain(heads int) int { return max(1, heads/(8*maxProcs())) }

func checkAttention(fn string, nout, natt, nqkv, B, T, C, NH int) {
	if B < 0 || T < 0 || C < 0 || NH < 1 || C%NH != 0 {
		panic(fmt.Sprintf("kernels: %s: B=%d T=%d C=%d NH=%d (C must be a multiple of NH)", fn, B, T, C, NH))
	}
	if nout < B*T*C || natt < B*NH*T*T || nqkv < B*T*3*C {
		panic(fmt.Sprintf("kernels: %s: short slices for B=%d T=%d C=%d NH=%d", fn, B, T, C, NH))
	}
}

// attnWork is one worker's scratch for the heads it computes: two packed
// right operands (panels of nr columns; tp over the T positions, hp over
// the hs channels of a head), an mr-high packed left operand, an edge
// tile, and a T×T matrix for the scores' gradient.
type attnWork struct {
	im     *gemmImpl
	buf    *[]float32
	tp, hp []float32 // op(B) with T columns (hs rows), with hs columns (T rows)
	ap     []float32 // one packed row tile of A, up to max(T, hs) deep
	tile   []float32 // mr×nr
	dS     []float32 // T×T
}

// newAttnWork returns a pooled scratch for heads of T positions and hs
// channels on path im.
func newAttnWork(im *gemmImpl, T, hs int) *attnWork {
	mr, nr := im.mr, im.nr
	ntp := (T + nr - 1) / nr * nr * hs
	nhp := (hs + nr - 1) / nr * nr * T
	nap := mr * max(T, hs)
	buf := getBuf(ntp + nhp + nap + mr*nr + T*T)
	s := *buf
	o := ntp + nhp + nap
	w := attnWorkPool.Get().(*attnWork)
	*w = attnWork{im: im, buf: buf, tp: s[:ntp:ntp], hp: s[ntp : ntp+nhp : ntp+nhp],
		ap: s[ntp+nhp : o : o], tile: s[o : o+mr*nr : o+mr*nr], dS: s[o+mr*nr : o+mr*nr+T*T]}
	return w
}

var attnWorkPool = sync.Pool{New: func() any { return new(attnWork) }}

func (w *attnWork) release() {
	putBuf(w.buf)
	*w = attnWork{}
	attnWorkPool.Put(w)
}

// packPanels packs op(B) (k×n) into nr-wide micro-panels of k rows each:
// panel q at dst[q*k*nr:], its row p at +p*nr, zero-padded past n. B is
// stored k×n (row stride ldb), or n×k with trans (op(B) = Bᵀ).
func packPanels(dst []float32, nr int, trans bool, b []float32, ldb, k, n int) {
	for j0 := 0; j0 < n; j0 += nr {
		w := min(nr, n-j0)
		d := dst[j0*k : (j0+nr)*k]
		if trans {
			if w < nr {
				clear(d)
			}
			packTransposed(d, nr, b[j0*ldb:], ldb, w, k)
			continue
		}
		if nr == 32 && w == 32 && useAVX2 && k > 0 { // the AVX-512 panel
			_ = b[(k-1)*ldb+j0+31]
			packN32AVX2(k, &b[j0], ldb, &d[0])
			continue
		}
		for p := range k {
			row := d[p*nr : p*nr+nr]
			copy(row, b[p*ldb+j0:p*ldb+j0+w])
			clear(row[w:])
		}
	}
}

// rowTile computes C[0:h, 0:n] = alpha·Ã·B̃ + beta·C (row stride ldc) for
// one row tile, h ≤ mr: Ã is h×kc, B̃ the first kc rows of the packed
// panels bp, each of depth rows (packPanels' layout) and starting at row
// k0. Ã is read in place from a (row stride lda, kc contiguous columns)
// when packed is false and the micro-kernel can; otherwise it is packed
// into w.ap first (packed true: w.ap already holds it, tileKernel(h) high).
func (w *attnWork) rowTile(h, n, kc int, a []float32, lda int, packed bool, bp []float32, rows, k0 int, c []float32, ldc int, alpha, beta float32) {
	im := w.im
	mr, nr := im.mr, im.nr
	direct := !packed && h == mr && im.kernelRows != nil && !(im.rowsNot4K && lda%1024 == 0)
	kr, kernel := im.tileKernel(h)
	ap := w.ap[:kr*kc]
	if !packed && !direct {
		if h < kr {
			clear(ap)
		}
		packTransposed(ap, kr, a, lda, h, kc)
	}
	for j0 := 0; j0 < n; j0 += nr {
		b := bp[j0*rows+k0*nr : j0*rows+(k0+kc)*nr]
		wd := min(nr, n-j0)
		full := wd == nr && h == kr
		switch {
		case direct && full:
			im.kernelRows(kc, a, lda, b, c[j0:j0+(h-1)*ldc+nr], ldc, alpha, beta)
		case direct:
			im.kernelRows(kc, a, lda, b, w.tile, nr, 1, 0)
			storeTile(c[j0:], ldc, w.tile, nr, h, wd, alpha, beta)
		case full:
			kernel(kc, ap, b, c[j0:j0+(h-1)*ldc+nr], ldc, alpha, beta)
		default:
			kernel(kc, ap, b, w.tile, nr, 1, 0)
			storeTile(c[j0:], ldc, w.tile, nr, h, wd, alpha, beta)
		}
	}
}

// packColumns packs into w.ap the transpose of a block of a row-major
// matrix for rowTile: Ã[r, p] = src[p*lds + r] for r < h, p < kc (h
// consecutive columns of kc consecutive rows), tileKernel(h) high.
func (w *attnWork) packColumns(h, kc int, src []float32, lds int) {
	kr, _ := w.im.tileKernel(h)
	ap := w.ap[:kr*kc]
	if kr == 12 && h == 12 && useAVX2 && kc > 0 { // the AVX-512 tile
		_ = src[(kc-1)*lds+11]
		packTN12AVX2(kc, &src[0], lds, &ap[0], 1)
		return
	}
	for p := range kc {
		d := ap[p*kr : p*kr+kr]
		copy(d, src[p*lds:p*lds+h])
		clear(d[h:])
	}
}

// headSlices returns head h of sequence b: its query, key and value
// columns in a (B,T,3C) tensor (row stride 3C), its T×T block of a
// (B,NH,T,T) tensor, its columns in a (B,T,C) one (row stride C), its
// width and the scores' scale 1/√hs.
func headSlices(qkv, tt, y []float32, b, h, T, C, NH int) (q, k, v, P, yh []float32, hs int, scale float32) {
	hs = C / NH
	base := b*T*3*C + h*hs
	return qkv[base:], qkv[base+C:], qkv[base+2*C:], tt[(b*NH+h)*T*T : (b*NH+h+1)*T*T], y[b*T*C+h*hs:],
		hs, float32(1 / math.Sqrt(float64(hs)))
}

func (w *attnWork) forward(out, att, qkv []float32, b, h, T, C, NH int) {
	C3 := 3 * C
	mr, nr := w.im.mr, w.im.nr
	q, k, v, P, y, hs, scale := headSlices(qkv, att, out, b, h, T, C, NH)
	packPanels(w.tp, nr, true, k, C3, hs, T)  // Kᵀ: hs×T
	packPanels(w.hp, nr, false, v, C3, T, hs) // V: T×hs
	for i0 := 0; i0 < T; i0 += mr {
		ht := min(mr, T-i0)
		i1 := i0 + ht
		// S[i0:i1, 0:i1] = scale·Q[i0:i1]·K[0:i1]ᵀ, whole panels.
		w.rowTile(ht, min(T, (i1+nr-1)/nr*nr), hs, q[i0*C3:], C3, false, w.tp, hs, 0, P[i0*T:], T, scale, 0)
		for t := i0; t < i1; t++ {
			row := P[t*T : (t+1)*T]
			softmaxRow(row[:t+1], row[:t+1])
			clear(row[t+1:])
		}
		// Y[i0:i1] = P[i0:i1, 0:i1]·V[0:i1]
		w.rowTile(ht, hs, i1, P[i0*T:], T, false, w.hp, T, 0, y[i0*C:], C, 1, 0)
	}
}

func (w *attnWork) backward(dqkv, dout, qkv, att []float32, b, h, T, C, NH int, beta float32) {
	C3 := 3 * C
	mr, nr := w.im.mr, w.im.nr
	q, k, v, P, dy, hs, scale := headSlices(qkv, att, dout, b, h, T, C, NH)
	dq, dk, dv, _, _, _, _ := headSlices(dqkv, att, dout, b, h, T, C, NH)
	dS := w.dS

	// dP = dY·Vᵀ, then dS in place, row tile by row tile; dQ = dS·K.
	packPanels(w.tp, nr, true, v, C3, hs, T)  // Vᵀ: hs×T
	packPanels(w.hp, nr, false, k, C3, T, hs) // K: T×hs
	for i0 := 0; i0 < T; i0 += mr {
		ht := min(mr, T-i0)
		i1 := i0 + ht
		if useAVX2 {
			// The tile's probabilities, saved by the forward pass long
			// ago, come from memory: ask for them before the product.
			prefetchAVX2(&P[i0*T], ht*T)
		}
		w.rowTile(ht, min(T, (i1+nr-1)/nr*nr), hs, dy[i0*C:], C, false, w.tp, hs, 0, dS[i0*T:], T, 1, 0)
		for t := i0; t < i1; t++ {
			softmaxBackwardRow(dS[t*T:t*T+t+1], P[t*T:t*T+t+1], scale)
			clear(dS[t*T+t+1 : (t+1)*T])
		}
		w.rowTile(ht, hs, i1, dS[i0*T:], T, false, w.hp, T, 0, dq[i0*C3:], C3, 1, beta)
	}
	// dK = dSᵀ·Q and dV = Pᵀ·dY: row j of either sums over the query
	// positions t ≥ j only.
	packPanels(w.hp, nr, false, q, C3, T, hs) // Q: T×hs
	for j0 := 0; j0 < T; j0 += mr {
		ht := min(mr, T-j0)
		w.packColumns(ht, T-j0, dS[j0*T+j0:], T)
		w.rowTile(ht, hs, T-j0, nil, 0, true, w.hp, T, j0, dk[j0*C3:], C3, 1, beta)
	}
	packPanels(w.hp, nr, false, dy, C, T, hs) // dY: T×hs
	for j0 := 0; j0 < T; j0 += mr {
		ht := min(mr, T-j0)
		w.packColumns(ht, T-j0, P[j0*T+j0:], T)
		w.rowTile(ht, hs, T-j0, nil, 0, true, w.hp, T, j0, dv[j0*C3:], C3, 1, beta)
	}
}

// softmaxBackwardRow turns d = dP (one row of probabilities' gradient)
// into the scores' gradient: d[j] = p[j]·(d[j] − Σₖ p[k]·d[k])·scale.
func softmaxBackwardRow(d, p []float32, scale float32) {
	s := Dot(p, d)
	switch {
	case useAVX512:
		softmaxBackAVX512(d, p, s, scale)
	case useAVX2:
		softmaxBackAVX2(d, p, s, scale)
	default:
		softmaxBackGeneric(d, p, s, scale)
	}
}

// softmaxBackGeneric sets d[j] = p[j]·(d[j] − s)·scale (len(p) ≥ len(d)),
// rounding as the assembly does.
func softmaxBackGeneric(d, p []float32, s, scale float32) {
	p = p[:len(d)]
	for j, pj := range p {
		d[j] = pj * (d[j] - s) * scale
	}
}

// storeTile does C = alpha·tile + beta·C for the h×w top-left part of an
// mr×nr tile (row stride ldt); beta 0 does not read C.
func storeTile(c []float32, ldc int, tile []float32, ldt, h, w int, alpha, beta float32) {
	for i := range h {
		crow := c[i*ldc : i*ldc+w]
		trow := tile[i*ldt : i*ldt+w]
		if beta == 0 {
			for j, t := range trow {
				crow[j] = alpha * t
			}
		} else {
			for j, t := range trow {
				crow[j] = alpha*t + beta*crow[j]
			}
		}
	}
}
