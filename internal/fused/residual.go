package fused

import "github.com/autoreg/autoreg/internal/kernels"

// BiasResidualForward computes out = res + (x + bias)⊙mask row by row (x
// and res (N,C), bias (C), mask (N,C) or nil for none): a linear layer's
// bias, dropout and the residual connection in one pass. Its backward is
// DropoutBackwardSet (or the identity) into the linear layer's output
// gradient, plus the residual's pass-through; the bias gradient is the
// column sum of that output gradient, as nn.LinearBackward computes it.
// out may be res or x itself (not a partial overlap). The mask is
// nn.DropoutMask's.
func BiasResidualForward(out, res, x, bias, mask []float32, N, C int) {
	ForRows(N, C, func(lo, hi int) {
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
