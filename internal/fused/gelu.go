package fused

import "github.com/autoreg/autoreg/internal/kernels"

// The GELU MLP of a GPT-2 block with its first bias moved into the GELU's
// pass: a linear layer without bias, then BiasGELUForward (inference) or
// BiasGELUForwardGradStrided (training), whose kept derivative makes the
// backward pass a product (GELUBackwardGradSumStrided) instead of a second
// evaluation of the exponential.

// BiasGELUForward adds bias (OC) to every row of pre (N,OC) in place and
// writes out = gelu(pre): a linear layer without bias followed by this is
// nn.LinearForward with bias then nn.GELUForward.
func BiasGELUForward(out, pre, bias []float32, N, OC int) {
	biasGELU(out, pre, bias, N, OC, OC, false)
}

// BiasGELUForwardGradStrided is BiasGELUForward for training, with the
// rows of out and pre ld ≥ OC floats apart (a padded layout, see
// PaddedStride): it leaves in pre gelu'(pre + bias) instead of the biased
// pre-activation, computed in the same pass as out = gelu(pre + bias)
// (kernels.GELUWithGrad).
func BiasGELUForwardGradStrided(out, pre, bias []float32, N, OC, ld int) {
	biasGELU(out, pre, bias, N, OC, ld, true)
}

// biasGELU adds bias to every row of pre and writes its GELU to out (rows
// of both ld apart), and with grad the derivative to pre.
func biasGELU(out, pre, bias []float32, N, OC, ld int, grad bool) {
	ForRows(N, OC, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			p := pre[r*ld : r*ld+OC]
			o := out[r*ld : r*ld+OC]
			kernels.Axpy(1, bias[:OC], p)
			if grad {
				kernels.GELUWithGrad(o, p, p)
			} else {
				kernels.GELU(o, p)
			}
		}
	})
}

// GELUBackwardGradSumStrided is the GELU's backward pass from the
// derivative that BiasGELUForwardGradStrided kept, on rows ld ≥ OC floats
// apart: it sets dinp = grad⊙dout (N,OC) and accumulates dsum (OC) +=
// Σ_rows dinp, the bias gradient of the linear layer whose output went
// into the GELU, summed while each row is in cache (that layer's backward
// then takes a nil dbias). The values are those of nn.GELUBackward into
// zeros followed by ColumnSums.
func GELUBackwardGradSumStrided(dinp, dsum, grad, dout []float32, N, OC, ld int) {
	columnSumsAfter(dsum, dinp, N, OC, ld, func(lo, hi int) {
		if ld == OC {
			kernels.Mul(dinp[lo*OC:hi*OC], grad[lo*OC:hi*OC], dout[lo*OC:hi*OC])
			return
		}
		for r := lo; r < hi; r++ {
			kernels.Mul(dinp[r*ld:r*ld+OC], grad[r*ld:r*ld+OC], dout[r*ld:r*ld+OC])
		}
	})
}
