package nn

import (
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// The GELU MLP of a GPT-2 block is LinearForward (C → 4C), GELUForward,
// LinearForward (4C → C); these are its nonlinearity.

// GELUForward computes out = gelu(inp) elementwise, in GPT-2's tanh form
// ½x(1+tanh(√(2/π)(x+0.044715x³))). out may alias inp.
func GELUForward(out, inp []float32) {
	fused.ForChunks(len(inp), func(lo, hi int) { kernels.GELU(out[lo:hi], inp[lo:hi]) })
}

// GELUBackward accumulates dinp += gelu'(inp)⊙dout.
func GELUBackward(dinp, inp, dout []float32) {
	fused.ForChunks(len(inp), func(lo, hi int) { kernels.GELUBackward(dinp[lo:hi], inp[lo:hi], dout[lo:hi]) })
}

// ResidualForward computes out = a + b (the residual connection).
func ResidualForward(out, a, b []float32) {
	fused.ForChunks(len(a), func(lo, hi int) { kernels.Add(out[lo:hi], a[lo:hi], b[lo:hi]) })
}

// ResidualBackward accumulates dout into both inputs' gradients.
func ResidualBackward(da, db, dout []float32) {
	fused.ForChunks(len(dout), func(lo, hi int) {
		kernels.Axpy(1, dout[lo:hi], da[lo:hi])
		kernels.Axpy(1, dout[lo:hi], db[lo:hi])
	})
}
