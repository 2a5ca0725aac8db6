package nn

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
)

// Causal multi-head self-attention (Vaswani et al. 2017) over packed
// query/key/value projections, for one head h of one sequence b:
//
//	S = Q Kᵀ/√hs,  S[t,s] = −∞ for s > t (causal mask)
//	P = softmax_rows(S),  Y = P V
//
// The work is split over the B·NH (sequence, head) pairs, which are
// independent. Inside a pair, rows are processed in blocks of attBlock: a
// block of rows [r0,r1) only attends to columns [0,r1), so the products
// skip most of the masked upper triangle (5/8 of the full work at T=128).

// attBlock is the row-block size of the causal products.
const attBlock = 32

// AttentionForward computes the attention output and saves the
// probabilities.
//
//	out (B,T,C)       heads concatenated: out[b,t,h*hs:(h+1)*hs]
//	att (B,NH,T,T)    probabilities, zero above the diagonal
//	qkv (B,T,3C)      [q | k | v], head h at columns h*hs of each part
func AttentionForward(out, att, qkv []float32, B, T, C, NH int) {
	if C%NH != 0 {
		panic(fmt.Sprintf("nn: AttentionForward: %d channels not divisible by %d heads", C, NH))
	}
	checkAtt("AttentionForward", len(out), len(att), len(qkv), B, T, C, NH)
	kernels.Parallel(B*NH, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			attForwardHead(out, att, qkv, bh/NH, bh%NH, T, C, NH)
		}
	})
}

func checkAtt(fn string, nout, natt, nqkv, B, T, C, NH int) {
	if nout < B*T*C || natt < B*NH*T*T || nqkv < B*T*3*C {
		panic(fmt.Sprintf("nn: %s: short slices for B=%d T=%d C=%d NH=%d", fn, B, T, C, NH))
	}
}

func attForwardHead(out, att, qkv []float32, b, h, T, C, NH int) {
	hs := C / NH
	C3 := 3 * C
	scale := float32(1 / math.Sqrt(float64(hs)))
	base := b * T * C3
	q := qkv[base+h*hs:]
	k := qkv[base+C+h*hs:]
	v := qkv[base+2*C+h*hs:]
	P := att[(b*NH+h)*T*T : (b*NH+h+1)*T*T]
	y := out[b*T*C+h*hs:]
	for r0 := 0; r0 < T; r0 += attBlock {
		r1 := min(r0+attBlock, T)
		// S[r0:r1, 0:r1] = scale·Q[r0:r1]·K[0:r1]ᵀ
		kernels.Sgemm(false, true, r1-r0, r1, hs, scale, q[r0*C3:], C3, k, C3, 0, P[r0*T:], T)
		for t := r0; t < r1; t++ {
			causalSoftmaxRow(P[t*T:(t+1)*T], t+1)
		}
		// Y[r0:r1] = P[r0:r1, 0:r1]·V[0:r1]
		kernels.Sgemm(false, false, r1-r0, hs, r1, 1, P[r0*T:], T, v, C3, 0, y[r0*C:], C)
	}
}

// causalSoftmaxRow replaces row[:n] by its softmax and zeroes row[n:].
func causalSoftmaxRow(row []float32, n int) {
	SoftmaxRow(row[:n])
	clear(row[n:])
}

// AttentionBackward accumulates the gradients of AttentionForward into
// dqkv (B,T,3C) given dout (B,T,C), the saved probabilities att and the
// forward's qkv. scratch (B,NH,T,T) is overwritten.
//
//	dP = dY Vᵀ,  dS = P⊙(dP − rowsum(P⊙dP))/√hs
//	dQ += dS K,  dK += dSᵀ Q,  dV += Pᵀ dY
func AttentionBackward(dqkv, scratch, dout, qkv, att []float32, B, T, C, NH int) {
	attentionBackward(dqkv, scratch, dout, qkv, att, B, T, C, NH, 1)
}

// AttentionBackwardSet is AttentionBackward except that it overwrites dqkv
// instead of accumulating into it.
func AttentionBackwardSet(dqkv, scratch, dout, qkv, att []float32, B, T, C, NH int) {
	attentionBackward(dqkv, scratch, dout, qkv, att, B, T, C, NH, 0)
}

func attentionBackward(dqkv, scratch, dout, qkv, att []float32, B, T, C, NH int, beta float32) {
	checkAtt("AttentionBackward", len(dout), len(att), len(qkv), B, T, C, NH)
	checkAtt("AttentionBackward", len(dout), len(scratch), len(dqkv), B, T, C, NH)
	kernels.Parallel(B*NH, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			attBackwardHead(dqkv, scratch, dout, qkv, att, bh/NH, bh%NH, T, C, NH, beta)
		}
	})
}

// attBackwardHead runs the row blocks last to first: the last block
// touches every row of dK and dV, so with beta 0 it initializes them and
// the earlier blocks accumulate; each block writes its own rows of dQ once.
func attBackwardHead(dqkv, scratch, dout, qkv, att []float32, b, h, T, C, NH int, beta float32) {
	hs := C / NH
	C3 := 3 * C
	scale := float32(1 / math.Sqrt(float64(hs)))
	base := b * T * C3
	q, k, v := qkv[base+h*hs:], qkv[base+C+h*hs:], qkv[base+2*C+h*hs:]
	dq, dk, dv := dqkv[base+h*hs:], dqkv[base+C+h*hs:], dqkv[base+2*C+h*hs:]
	P := att[(b*NH+h)*T*T : (b*NH+h+1)*T*T]
	dS := scratch[(b*NH+h)*T*T : (b*NH+h+1)*T*T]
	dy := dout[b*T*C+h*hs:]
	last := (T - 1) / attBlock * attBlock
	for r0 := last; r0 >= 0; r0 -= attBlock {
		r1 := min(r0+attBlock, T)
		m := r1 - r0
		bkv := float32(1)
		if r0 == last {
			bkv = beta
		}
		// dP[r0:r1, 0:r1] = dY[r0:r1]·V[0:r1]ᵀ
		kernels.Sgemm(false, true, m, r1, hs, 1, dy[r0*C:], C, v, C3, 0, dS[r0*T:], T)
		for t := r0; t < r1; t++ {
			p := P[t*T : t*T+t+1]
			d := dS[t*T : t*T+r1]
			var s float32
			for j, pj := range p {
				s += pj * d[j]
			}
			for j, pj := range p {
				d[j] = pj * (d[j] - s) * scale
			}
			clear(d[t+1:])
		}
		// dV[0:r1] += P[r0:r1,0:r1]ᵀ·dY[r0:r1]
		kernels.Sgemm(true, false, r1, hs, m, 1, P[r0*T:], T, dy[r0*C:], C, bkv, dv, C3)
		// dQ[r0:r1] += dS[r0:r1,0:r1]·K[0:r1]
		kernels.Sgemm(false, false, m, hs, r1, 1, dS[r0*T:], T, k, C3, beta, dq[r0*C3:], C3)
		// dK[0:r1] += dS[r0:r1,0:r1]ᵀ·Q[r0:r1]
		kernels.Sgemm(true, false, r1, hs, m, 1, dS[r0*T:], T, q[r0*C3:], C3, bkv, dk, C3)
	}
}
