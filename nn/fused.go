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
	grain := max(1, elemGrain/max(OC, 1))
	body := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			p := pre[r*OC : (r+1)*OC]
			kernels.Axpy(1, bias[:OC], p)
			kernels.GELU(out[r*OC:(r+1)*OC], p)
		}
	}
	if N <= grain {
		body(0, N)
		return
	}
	kernels.Parallel(N, grain, body)
}

// BiasGELUForwardGrad is BiasGELUForward for training: it leaves in pre
// gelu'(pre + bias) instead of the biased pre-activation, computed in the
// same pass as out = gelu(pre + bias) (kernels.GELUWithGrad), so that the
// backward pass is a product (GELUBackwardGradSum) instead of a second
// evaluation of the exponential.
func BiasGELUForwardGrad(out, pre, bias []float32, N, OC int) {
	grain := max(1, elemGrain/max(OC, 1))
	body := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			p := pre[r*OC : (r+1)*OC]
			kernels.Axpy(1, bias[:OC], p)
			kernels.GELUWithGrad(out[r*OC:(r+1)*OC], p, p)
		}
	}
	if N <= grain {
		body(0, N)
		return
	}
	kernels.Parallel(N, grain, body)
}

// BiasResidualForward computes out = res + (x + bias)⊙mask row by row (x
// and res (N,C), bias (C), mask (N,C) or nil for none): a linear layer's
// bias, dropout and the residual connection in one pass. Its backward is
// DropoutBackward (or the identity) into the linear layer's output
// gradient, plus the residual's pass-through; the bias gradient is the
// column sum of that output gradient, as LinearBackward computes it. out
// may be res or x itself (not a partial overlap).
func BiasResidualForward(out, res, x, bias, mask []float32, N, C int) {
	grain := max(1, elemGrain/max(C, 1))
	body := func(lo, hi int) { biasResidualRows(out, res, x, bias, mask, C, lo, hi) }
	if N <= grain {
		body(0, N)
		return
	}
	kernels.Parallel(N, grain, body)
}

// biasResidualRows is BiasResidualForward over rows [lo, hi).
func biasResidualRows(out, res, x, bias, mask []float32, C, lo, hi int) {
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
}

// BiasResidualLayerNormForward is BiasResidualForward into out followed by
// LayerNormForward of out into ln (with mean, rstd, lnw and lnb as there):
// the residual stream and the next block's normalized input in one pass,
// each few rows normalized while they are in cache. The results are those
// of the two calls.
func BiasResidualLayerNormForward(out, ln, mean, rstd, res, x, bias, mask, lnw, lnb []float32, N, C int) {
	grain := max(1, elemGrain/max(C, 1))
	body := func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += lnRows {
			r1 := min(r0+lnRows, hi)
			biasResidualRows(out, res, x, bias, mask, C, r0, r1)
			var m, s []float32
			if mean != nil {
				m = mean[r0:r1]
			}
			if rstd != nil {
				s = rstd[r0:r1]
			}
			kernels.LayerNorm(ln[r0*C:r1*C], m, s, out[r0*C:r1*C], lnw, lnb, r1-r0, C, LayerNormEps)
		}
	}
	if N <= grain {
		body(0, N)
		return
	}
	kernels.Parallel(N, grain, body)
}

// lnRows is how many rows BiasResidualLayerNormForward computes before
// normalizing them (16 KiB of a 256-wide residual: well inside L1).
const lnRows = 16
