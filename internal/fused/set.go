package fused

import "github.com/autoreg/autoreg/internal/kernels"

// Backward passes that overwrite their input gradient (Set) or also sum it
// (Sum), for the layers whose plain forms are in nn.

// AttentionBackwardSet is nn.AttentionBackward except that it overwrites
// dqkv instead of accumulating into it.
func AttentionBackwardSet(dqkv, dout, qkv, att []float32, B, T, C, NH int) {
	kernels.AttentionBackward(dqkv, dout, qkv, att, B, T, C, NH, 0)
}

// SelfAttentionBackwardSet is nn.SelfAttentionBackward except that it
// overwrites dqkv instead of accumulating into it.
func SelfAttentionBackwardSet(dqkv, dout, qkv, att []float32, lens []int32, B, T, C, NH int) {
	kernels.AttentionKVBackward(dqkv, dqkv[C:], dqkv[2*C:], dout, qkv, 3*C, qkv[C:], qkv[2*C:], 3*C, att, lens, B, T, T, C, NH, 0)
}

// CrossAttentionBackwardSet is nn.CrossAttentionBackward except that it
// overwrites dq and dkv instead of accumulating into them.
func CrossAttentionBackwardSet(dq, dkv, dout, q, kv, att []float32, klen []int32, B, Tq, Tk, C, NH int) {
	kernels.AttentionKVBackward(dq, dkv, dkv[C:], dout, q, C, kv, kv[C:], 2*C, att, klen, B, Tq, Tk, C, NH, 0)
}

// CrossEntropyBackwardSet is nn.CrossEntropyBackward except that it
// overwrites dlogits (zero on ignored rows); dlogits may be probs itself,
// so the gradient can replace the saved probabilities in place.
func CrossEntropyBackwardSet(dlogits, probs []float32, targets []int32, N, V int, ignore int32, scale float32) {
	kernels.SoftmaxCrossEntropyBackwardSet(dlogits, probs, targets, N, V, ignore, scale)
}

// DropoutBackwardSet sets dinp = dout⊙mask (nn.DropoutBackward into
// zeros).
func DropoutBackwardSet(dinp, dout, mask []float32) {
	n := len(dout)
	dinp, mask = dinp[:n], mask[:n]
	ForChunks(n, func(lo, hi int) {
		for i, d := range dout[lo:hi] {
			dinp[lo+i] = d * mask[lo+i]
		}
	})
}

// LSTMCellBackwardSet is nn.LSTMCellBackward except that it overwrites
// dgates and dcPrev (no pass to clear them first).
func LSTMCellBackwardSet(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, B, H int) {
	kernels.LSTMCellBackwardSet(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, B, H)
}

// LayerNormBackwardSum is nn.LayerNormBackward that also accumulates into
// dsum (C) the column sums of dinp after the update, Σ_rows dinp: the bias
// gradient of the linear layer whose output dinp is the gradient of (a
// residual stream's), computed while the rows are in cache; that layer's
// backward then takes a nil dbias.
func LayerNormBackwardSum(dinp, dweight, dbias, dsum, dout, inp, weight, mean, rstd []float32, N, C int) {
	kernels.LayerNormBackwardSum(dinp, dweight, dbias, dsum, dout, inp, weight, mean, rstd, N, C)
}
