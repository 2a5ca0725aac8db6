package nn

import "github.com/autoreg/autoreg/internal/kernels"

// Fused epilogues: the bias of a linear layer is added in the same pass as
// the operation that follows it, instead of being copied into the output
// before the GEMM (one pass over the activations fewer, and the GEMM need
// not read its output back).

// BiasGELUForward adds bias (OC) to every row of pre (N,OC) in place and
// writes out = gelu(pre): a linear layer without bias followed by this is
// LinearForward with bias then GELUForward.
func BiasGELUForward(out, pre, bias []float32, N, OC int) {
	biasGELU(out, pre, bias, N, OC, OC, false)
}

// BiasGELUForwardGrad is BiasGELUForward for training: it leaves in pre
// gelu'(pre + bias) instead of the biased pre-activation, computed in the
// same pass as out = gelu(pre + bias) (kernels.GELUWithGrad), so that the
// backward pass is a product (GELUBackwardGradSum) instead of a second
// evaluation of the exponential.
func BiasGELUForwardGrad(out, pre, bias []float32, N, OC int) {
	biasGELU(out, pre, bias, N, OC, OC, true)
}

// BiasGELUForwardGradStrided is BiasGELUForwardGrad with the rows of out
// and pre ld ≥ OC floats apart (a padded layout, see PaddedStride).
func BiasGELUForwardGradStrided(out, pre, bias []float32, N, OC, ld int) {
	biasGELU(out, pre, bias, N, OC, ld, true)
}

// biasGELU adds bias to every row of pre and writes its GELU to out (rows
// of both ld apart), and with grad the derivative to pre.
func biasGELU(out, pre, bias []float32, N, OC, ld int, grad bool) {
	forRows(N, OC, func(lo, hi int) {
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

// BiasResidualForward computes out = res + (x + bias)⊙mask row by row (x
// and res (N,C), bias (C), mask (N,C) or nil for none): a linear layer's
// bias, dropout and the residual connection in one pass. Its backward is
// DropoutBackward (or the identity) into the linear layer's output
// gradient, plus the residual's pass-through; the bias gradient is the
// column sum of that output gradient, as LinearBackward computes it. out
// may be res or x itself (not a partial overlap).
func BiasResidualForward(out, res, x, bias, mask []float32, N, C int) {
	forRows(N, C, func(lo, hi int) {
		b := bias[:C]
		for r := lo; r < hi; r++ {
			o, rr, xx := out[r*C:(r+1)*C], res[r*C:(r+1)*C], x[r*C:(r+1)*C]
			if mask == nil && (C == 0 || &o[0] != &rr[0]) {
				// The same two additions, vectorized (the first may
				// overwrite x, not res).
				kernels.Add(o, xx, b)
				kernels.Add(o, rr, o)
				continue
			}
			if mask == nil { // in place over the residual
				for j := range o {
					o[j] = rr[j] + (xx[j] + b[j])
				}
				continue
			}
			m := mask[r*C : (r+1)*C]
			for j := range o {
				o[j] = rr[j] + (xx[j]+b[j])*m[j]
			}
		}
	})
}
