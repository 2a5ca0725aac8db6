package fused

import "github.com/autoreg/autoreg/internal/kernels"

// LinearForwardStrided is nn.LinearForward with the rows of inp ldIn ≥ C
// floats apart and those of out ldOut ≥ OC apart (padded layouts, see
// PaddedStride; the padding is neither read nor written).
func LinearForwardStrided(out, inp, weight, bias []float32, N, C, OC, ldIn, ldOut int) {
	if bias == nil {
		kernels.Sgemm(false, true, N, OC, C, 1, inp, ldIn, weight, C, 0, out, ldOut)
		return
	}
	FillRows(out, bias, N, OC, ldOut)
	kernels.Sgemm(false, true, N, OC, C, 1, inp, ldIn, weight, C, 1, out, ldOut)
}

// PaddedStride returns the row stride to allocate for an activation of
// rows of n floats that linear layers read: n, or n+16 when n floats are a
// multiple of 4 KiB. Rows a multiple of 4 KiB apart map to the same cache
// sets, so the strips of them that a product reads (to pack its operands,
// or in place) or writes evict each other. For a GPT MLP's 2048×1024
// hidden activation, padding made the output projection's forward 11%
// faster and the first layer's forward 2%, and left the weight gradient
// unchanged (BenchmarkLinearPadded, medians of 5); the GPT benchmark's
// training step gained 1–2% (interleaved A/B).
func PaddedStride(n int) int {
	if n > 0 && n%1024 == 0 {
		return n + 16
	}
	return n
}

// LinearBackwardSet is nn.LinearBackward except that it overwrites dinp
// instead of accumulating into it (dweight and dbias still accumulate):
// for a gradient buffer that would otherwise have to be zeroed first.
func LinearBackwardSet(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC int) {
	LinearBackwardSetStrided(dinp, dweight, dbias, dout, inp, weight, N, C, OC, C, OC)
}

// LinearBackwardSetStrided is LinearBackwardSet for a
// LinearForwardStrided: the rows of inp and dinp are ldIn ≥ C floats
// apart, those of dout ldOut ≥ OC.
func LinearBackwardSetStrided(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC, ldIn, ldOut int) {
	if dinp != nil {
		kernels.Sgemm(false, false, N, C, OC, 1, dout, ldOut, weight, C, 0, dinp, ldIn)
	}
	kernels.Sgemm(true, false, OC, C, N, 1, dout, ldOut, inp, ldIn, 1, dweight, C)
	if dbias != nil {
		columnSumsAfter(dbias, dout, N, OC, ldOut, nil)
	}
}
