package nn

import "github.com/autoreg/autoreg/internal/kernels"

// Causal multi-head self-attention (Vaswani et al. 2017) over packed
// query/key/value projections, for one head h of one sequence b:
//
//	S = Q Kᵀ/√hs,  S[t,s] = −∞ for s > t (causal mask)
//	P = softmax_rows(S),  Y = P V
//
// The work is the fused kernel kernels.AttentionForward/Backward: the
// (sequence, head) pairs are split over the workers, and inside a pair the
// products run on the matrix micro-kernels against operands packed once
// per head, skipping the masked upper triangle tile by tile.

// AttentionForward computes the attention output and saves the
// probabilities.
//
//	out (B,T,C)       heads concatenated: out[b,t,h*hs:(h+1)*hs]
//	att (B,NH,T,T)    probabilities, zero above the diagonal
//	qkv (B,T,3C)      [q | k | v], head h at columns h*hs of each part
func AttentionForward(out, att, qkv []float32, B, T, C, NH int) {
	kernels.AttentionForward(out, att, qkv, B, T, C, NH)
}

// AttentionBackward accumulates the gradients of AttentionForward into
// dqkv (B,T,3C) given dout (B,T,C), the saved probabilities att and the
// forward's qkv.
//
//	dP = dY Vᵀ,  dS = P⊙(dP − rowsum(P⊙dP))/√hs
//	dQ += dS K,  dK += dSᵀ Q,  dV += Pᵀ dY
func AttentionBackward(dqkv, dout, qkv, att []float32, B, T, C, NH int) {
	kernels.AttentionBackward(dqkv, dout, qkv, att, B, T, C, NH, 1)
}
