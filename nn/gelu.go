package nn

import "github.com/autoreg/autoreg/internal/kernels"

// The GELU MLP of a GPT-2 block is LinearForward (C → 4C), GELUForward,
// LinearForward (4C → C); these are its nonlinearity.

// GELUForward computes out = gelu(inp) elementwise, in GPT-2's tanh form
// ½x(1+tanh(√(2/π)(x+0.044715x³))). out may alias inp.
func GELUForward(out, inp []float32) {
	forChunks(len(inp), func(lo, hi int) { kernels.GELU(out[lo:hi], inp[lo:hi]) })
}

// GELUBackward accumulates dinp += gelu'(inp)⊙dout.
func GELUBackward(dinp, inp, dout []float32) {
	forChunks(len(inp), func(lo, hi int) { kernels.GELUBackward(dinp[lo:hi], inp[lo:hi], dout[lo:hi]) })
}

// GELUBackwardSet sets dinp = gelu'(inp)⊙dout (no buffer to clear first).
func GELUBackwardSet(dinp, inp, dout []float32) {
	forChunks(len(inp), func(lo, hi int) { kernels.GELUBackwardSet(dinp[lo:hi], inp[lo:hi], dout[lo:hi]) })
}

// GELUBackwardSetSum is GELUBackwardSet over dinp, inp and dout (N,OC)
// that also accumulates dsum (OC) += Σ_rows dinp: the bias gradient of the
// linear layer whose output went into the GELU, summed while each row is in
// cache (the linear layer's LinearBackward then takes a nil dbias). The
// values are those of GELUBackwardSet followed by ColumnSums.
func GELUBackwardSetSum(dinp, dsum, inp, dout []float32, N, OC int) {
	columnSumsAfter(dsum, dinp, N, OC, OC, func(lo, hi int) {
		kernels.GELUBackwardSet(dinp[lo*OC:hi*OC], inp[lo*OC:hi*OC], dout[lo*OC:hi*OC])
	})
}

// GELUBackwardGradSum is GELUBackwardSetSum from the derivative that
// BiasGELUForwardGrad kept: dinp = grad⊙dout and dsum (OC) += Σ_rows dinp,
// the same values as GELUBackwardSetSum from the pre-activation.
func GELUBackwardGradSum(dinp, dsum, grad, dout []float32, N, OC int) {
	GELUBackwardGradSumStrided(dinp, dsum, grad, dout, N, OC, OC)
}

// GELUBackwardGradSumStrided is GELUBackwardGradSum with the rows of dinp,
// grad and dout ld ≥ OC floats apart (a padded layout, see PaddedStride).
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

// ResidualForward computes out = a + b (the residual connection).
func ResidualForward(out, a, b []float32) {
	forChunks(len(a), func(lo, hi int) { kernels.Add(out[lo:hi], a[lo:hi], b[lo:hi]) })
}

// ResidualBackward accumulates dout into both inputs' gradients.
func ResidualBackward(da, db, dout []float32) {
	forChunks(len(dout), func(lo, hi int) {
		kernels.Axpy(1, dout[lo:hi], da[lo:hi])
		kernels.Axpy(1, dout[lo:hi], db[lo:hi])
	})
}
