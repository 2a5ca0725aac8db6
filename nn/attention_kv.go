package nn

import "github.com/autoreg/autoreg/internal/kernels"

// Unmasked multi-head attention for encoder-decoder models (Vaswani et al.
// 2017), over sequences padded to a common length: a key length per
// sequence leaves the padding out of every softmax, so a padded batch
// computes for each sequence exactly what it would alone.
//
//	S = Q Kᵀ/√hs,  S[t,s] = −∞ for s ≥ lens[b]
//	P = softmax_rows(S),  Y = P V
//
// The work is the fused kernel kernels.AttentionKVForward/Backward.

// SelfAttentionForward is the encoder's bidirectional self-attention: every
// position attends to every real position of its sequence.
//
//	out  (B,T,C)       heads concatenated
//	att  (B,NH,T,T)    probabilities, zero at padding keys
//	qkv  (B,T,3C)      [q | k | v], head h at columns h*hs of each part
//	lens (B)           real positions per sequence, in [1, T]; nil = all T
func SelfAttentionForward(out, att, qkv []float32, lens []int32, B, T, C, NH int) {
	kernels.AttentionKVForward(out, att, qkv, 3*C, qkv[C:], qkv[2*C:], 3*C, lens, B, T, T, C, NH)
}

// SelfAttentionBackward accumulates the gradients of SelfAttentionForward
// into dqkv (B,T,3C) given dout (B,T,C), qkv and the saved probabilities.
func SelfAttentionBackward(dqkv, dout, qkv, att []float32, lens []int32, B, T, C, NH int) {
	kernels.AttentionKVBackward(dqkv, dqkv[C:], dqkv[2*C:], dout, qkv, 3*C, qkv[C:], qkv[2*C:], 3*C, att, lens, B, T, T, C, NH, 1)
}

// CrossAttentionForward is a decoder's attention to the encoder's output:
// Tq queries of each sequence attend to the Tk keys and values of its
// source, of which the first klen[b] are real.
//
//	out  (B,Tq,C)
//	att  (B,NH,Tq,Tk)
//	q    (B,Tq,C)
//	kv   (B,Tk,2C)     [k | v], head h at columns h*hs of each part
//	klen (B)           in [1, Tk]; nil = all Tk
func CrossAttentionForward(out, att, q, kv []float32, klen []int32, B, Tq, Tk, C, NH int) {
	kernels.AttentionKVForward(out, att, q, C, kv, kv[C:], 2*C, klen, B, Tq, Tk, C, NH)
}

// CrossAttentionBackward accumulates the gradients of CrossAttentionForward
// into dq (B,Tq,C) and dkv (B,Tk,2C) given dout (B,Tq,C).
func CrossAttentionBackward(dq, dkv, dout, q, kv, att []float32, klen []int32, B, Tq, Tk, C, NH int) {
	kernels.AttentionKVBackward(dq, dkv, dkv[C:], dout, q, C, kv, kv[C:], 2*C, att, klen, B, Tq, Tk, C, NH, 1)
}
