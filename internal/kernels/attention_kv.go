package kernels

import (
	"fmt"
	"math"
	"sync"
)

// Unmasked multi-head attention of Tq queries over Tk keys and values, with
// a key length per sequence (Vaswani et al. 2017): the encoder's
// bidirectional self-attention and a decoder's cross-attention to the
// encoder's output. For one head h of one sequence b, with Q its Tq×hs
// slice and K, V its Tk×hs slices, and L = klen[b] ≤ Tk the sequence's
// number of real keys (padding after them):
//
//	S = Q Kᵀ/√hs,  S[t,s] = −∞ for s ≥ L (padding is never attended)
//	P = softmax_rows(S),  Y = P V
//
// The structure is AttentionForward's (attention.go): pairs of (sequence,
// head) split over the workers in chunks of whole pairs, the right operand
// of each product packed once per head into micro-panels, each row tile of
// the left operand multiplied on the micro-kernels; the padding keys are
// left out of every product instead of being masked after it.
//
// Layouts (row strides in brackets; q, k and v may be views into one
// packed projection, as the encoder's qkv):
//
//	q    (B,Tq,·) [ldq]   head h at columns h*hs
//	k, v (B,Tk,·) [ldkv]  head h at columns h*hs
//	out  (B,Tq,C)         heads concatenated
//	att  (B,NH,Tq,Tk)     probabilities, zero at the padding keys
//	klen (B)              real keys per sequence, in [1, Tk]; nil = all Tk

// AttentionKVForward computes the attention output into out and saves the
// probabilities in att. It allocates nothing in steady state.
func AttentionKVForward(out, att, q []float32, ldq int, k, v []float32, ldkv int, klen []int32, B, Tq, Tk, C, NH int) {
	checkAttentionKV("AttentionKVForward", out, att, q, ldq, k, v, ldkv, klen, B, Tq, Tk, C, NH)
	j := kvJobPool.Get().(*kvJob)
	*j = kvJob{out: out, att: att, q: q, k: k, v: v, ldq: ldq, ldkv: ldkv, klen: klen,
		Tq: Tq, Tk: Tk, C: C, NH: NH, fwd: j.fwd, bwd: j.bwd}
	Parallel(B*NH, attnGrain(B*NH), j.fwd)
	j.release()
}

// AttentionKVBackward sets dq, dk, dv = beta·(dq, dk, dv) + the gradients
// of AttentionKVForward (beta 0 or 1: overwrite or accumulate), given dout
// (B,Tq,C), the forward's q, k, v and its saved probabilities att. dq has
// q's layout, dk and dv that of k and v (they may be views into one packed
// gradient). The padding keys' rows of dk and dv get no gradient.
//
//	dP = dY Vᵀ,  dS = P⊙(dP − rowsum(P⊙dP))/√hs
//	dQ = dS K,  dK = dSᵀ Q,  dV = Pᵀ dY
func AttentionKVBackward(dq, dk, dv, dout, q []float32, ldq int, k, v []float32, ldkv int, att []float32, klen []int32, B, Tq, Tk, C, NH int, beta float32) {
	checkAttentionKV("AttentionKVBackward", dout, att, q, ldq, k, v, ldkv, klen, B, Tq, Tk, C, NH)
	checkAttentionKV("AttentionKVBackward", dout, att, dq, ldq, dk, dv, ldkv, klen, B, Tq, Tk, C, NH)
	if beta != 0 && beta != 1 {
		panic(fmt.Sprintf("kernels: AttentionKVBackward: beta %v, want 0 or 1", beta))
	}
	j := kvJobPool.Get().(*kvJob)
	*j = kvJob{out: dout, att: att, q: q, k: k, v: v, dq: dq, dk: dk, dv: dv, ldq: ldq, ldkv: ldkv,
		klen: klen, Tq: Tq, Tk: Tk, C: C, NH: NH, beta: beta, fwd: j.fwd, bwd: j.bwd}
	Parallel(B*NH, attnGrain(B*NH), j.bwd)
	j.release()
}

func checkAttentionKV(fn string, out, att, q []float32, ldq int, k, v []float32, ldkv int, klen []int32, B, Tq, Tk, C, NH int) {
	if B < 0 || Tq < 0 || Tk < 1 || C < 0 || NH < 1 || C%NH != 0 || ldq < C || ldkv < C {
		panic(fmt.Sprintf("kernels: %s: B=%d Tq=%d Tk=%d C=%d NH=%d ldq=%d ldkv=%d", fn, B, Tq, Tk, C, NH, ldq, ldkv))
	}
	short := func(s []float32, rows, ld int) bool { return rows > 0 && len(s) < (rows-1)*ld+C }
	if len(out) < B*Tq*C || len(att) < B*NH*Tq*Tk || short(q, B*Tq, ldq) || short(k, B*Tk, ldkv) || short(v, B*Tk, ldkv) {
		panic(fmt.Sprintf("kernels: %s: short slices for B=%d Tq=%d Tk=%d C=%d NH=%d", fn, B, Tq, Tk, C, NH))
	}
	if klen != nil {
		if len(klen) < B {
			panic(fmt.Sprintf("kernels: %s: %d key lengths for %d sequences", fn, len(klen), B))
		}
		for b, l := range klen[:B] {
			if l < 1 || int(l) > Tk {
				panic(fmt.Sprintf("kernels: %s: key length %d of sequence %d outside [1, %d]", fn, l, b, Tk))
			}
		}
	}
}

// kvJob holds one call's operands (see attnJob).
type kvJob struct {
	out, att, q, k, v []float32 // out is dout for the backward pass
	dq, dk, dv        []float32
	ldq, ldkv         int
	klen              []int32
	Tq, Tk, C, NH     int
	beta              float32
	fwd, bwd          func(lo, hi int)
}

var kvJobPool = sync.Pool{New: func() any {
	j := new(kvJob)
	j.fwd, j.bwd = j.forward, j.backward
	return j
}}

func (j *kvJob) release() {
	*j = kvJob{fwd: j.fwd, bwd: j.bwd}
	kvJobPool.Put(j)
}

// head returns the slices of head h of sequence b: q, k, v (and with grad
// dq, dk, dv) at the head's first element, its Tq×Tk block of att, its
// columns of out, the key length, the width and the scale.
func (j *kvJob) head(b, h int) (q, k, v, P, y []float32, L, hs int, scale float32) {
	hs = j.C / j.NH
	L = j.Tk
	if j.klen != nil {
		L = int(j.klen[b])
	}
	qo, ko := b*j.Tq*j.ldq+h*hs, b*j.Tk*j.ldkv+h*hs
	bh := b*j.NH + h
	return j.q[qo:], j.k[ko:], j.v[ko:], j.att[bh*j.Tq*j.Tk : (bh+1)*j.Tq*j.Tk], j.out[b*j.Tq*j.C+h*hs:],
		L, hs, float32(1 / math.Sqrt(float64(hs)))
}

func (j *kvJob) forward(lo, hi int) {
	w := newAttnWork(bestGemm(), max(j.Tq, j.Tk), j.C/j.NH)
	for bh := lo; bh < hi; bh++ {
		j.forwardHead(w, bh/j.NH, bh%j.NH)
	}
	w.release()
}

func (j *kvJob) backward(lo, hi int) {
	w := newAttnWork(bestGemm(), max(j.Tq, j.Tk), j.C/j.NH)
	for bh := lo; bh < hi; bh++ {
		j.backwardHead(w, bh/j.NH, bh%j.NH)
	}
	w.release()
}

func (j *kvJob) forwardHead(w *attnWork, b, h int) {
	mr, nr := w.im.mr, w.im.nr
	Tq, Tk, C := j.Tq, j.Tk, j.C
	q, k, v, P, y, L, hs, scale := j.head(b, h)
	packPanels(w.tp, nr, true, k, j.ldkv, hs, L)  // Kᵀ: hs×L
	packPanels(w.hp, nr, false, v, j.ldkv, L, hs) // V: L×hs
	n := min(Tk, (L+nr-1)/nr*nr)                  // whole panels where P has room
	for i0 := 0; i0 < Tq; i0 += mr {
		ht := min(mr, Tq-i0)
		w.rowTile(ht, n, hs, q[i0*j.ldq:], j.ldq, false, w.tp, hs, 0, P[i0*Tk:], Tk, scale, 0)
		for t := i0; t < i0+ht; t++ {
			row := P[t*Tk : (t+1)*Tk]
			softmaxRow(row[:L], row[:L])
			clear(row[L:])
		}
		w.rowTile(ht, hs, L, P[i0*Tk:], Tk, false, w.hp, L, 0, y[i0*C:], C, 1, 0)
	}
}

func (j *kvJob) backwardHead(w *attnWork, b, h int) {
	mr, nr := w.im.mr, w.im.nr
	Tq, Tk, C := j.Tq, j.Tk, j.C
	q, k, v, P, dy, L, hs, scale := j.head(b, h)
	qo, ko := b*Tq*j.ldq+h*hs, b*Tk*j.ldkv+h*hs
	dq, dk, dv := j.dq[qo:], j.dk[ko:], j.dv[ko:]
	dS := w.dS[:Tq*Tk]
	n := min(Tk, (L+nr-1)/nr*nr)

	// dP = dY·Vᵀ, then dS in place, row tile by row tile; dQ = dS·K.
	packPanels(w.tp, nr, true, v, j.ldkv, hs, L)  // Vᵀ: hs×L
	packPanels(w.hp, nr, false, k, j.ldkv, L, hs) // K: L×hs
	for i0 := 0; i0 < Tq; i0 += mr {
		ht := min(mr, Tq-i0)
		w.rowTile(ht, n, hs, dy[i0*C:], C, false, w.tp, hs, 0, dS[i0*Tk:], Tk, 1, 0)
		for t := i0; t < i0+ht; t++ {
			softmaxBackwardRow(dS[t*Tk:t*Tk+L], P[t*Tk:t*Tk+L], scale)
		}
		w.rowTile(ht, hs, L, dS[i0*Tk:], Tk, false, w.hp, L, 0, dq[i0*j.ldq:], j.ldq, 1, j.beta)
	}
	// dK = dSᵀ·Q and dV = Pᵀ·dY over all query rows, for the L real keys.
	packPanels(w.hp, nr, false, q, j.ldq, Tq, hs) // Q: Tq×hs
	for j0 := 0; j0 < L; j0 += mr {
		ht := min(mr, L-j0)
		w.packColumns(ht, Tq, dS[j0:], Tk)
		w.rowTile(ht, hs, Tq, nil, 0, true, w.hp, Tq, 0, dk[j0*j.ldkv:], j.ldkv, 1, j.beta)
	}
	packPanels(w.hp, nr, false, dy, C, Tq, hs) // dY: Tq×hs
	for j0 := 0; j0 < L; j0 += mr {
		ht := min(mr, L-j0)
		w.packColumns(ht, Tq, P[j0:], Tk)
		w.rowTile(ht, hs, Tq, nil, 0, true, w.hp, Tq, 0, dv[j0*j.ldkv:], j.ldkv, 1, j.beta)
	}
	if j.beta == 0 {
		for s := L; s < Tk; s++ {
			clear(dk[s*j.ldkv : s*j.ldkv+hs])
			clear(dv[s*j.ldkv : s*j.ldkv+hs])
		}
	}
}
