package nn

import "github.com/autoreg/autoreg/internal/kernels"

// LayerNormEps is the ε of every LayerNorm (GPT-2's 1e-5).
const LayerNormEps = 1e-5

// LayerNormForward normalizes each row and applies the affine map.
//
//	out, inp     (N,C)
//	mean, rstd   (N)   saved for the backward pass (nil at inference)
//	weight, bias (C)
func LayerNormForward(out, mean, rstd, inp, weight, bias []float32, N, C int) {
	kernels.LayerNorm(out, mean, rstd, inp, weight, bias, N, C, LayerNormEps)
}

// LayerNormBackward accumulates into dinp (N,C), dweight (C) and dbias (C).
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, N, C int) {
	kernels.LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C)
}
