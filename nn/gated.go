package nn

import (
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// GatedForward is the gated activation unit of WaveNet and the gated
// PixelCNN (van den Oord et al. 2016), y = tanh(a) ⊙ σ(b), for N rows whose
// 2C pre-activations are [a | b]:
//
//	out (N,C)
//	act (N,2C)  receives [tanh(a) | σ(b)] for GatedBackward
//	inp (N,2C)
func GatedForward(out, act, inp []float32, N, C int) {
	if N*2*C <= fused.ElemGrain { // one goroutine, and no closure to allocate
		gatedRows(out, act, inp, C, 0, N)
		return
	}
	fused.ForRows(N, 2*C, func(lo, hi int) { gatedRows(out, act, inp, C, lo, hi) })
}

func gatedRows(out, act, inp []float32, C, lo, hi int) {
	for r := lo; r < hi; r++ {
		a := act[r*2*C : (r+1)*2*C]
		x := inp[r*2*C : (r+1)*2*C]
		kernels.Tanh(a[:C], x[:C])
		kernels.Sigmoid(a[C:], x[C:])
		kernels.Mul(out[r*C:(r+1)*C], a[:C], a[C:])
	}
}

// GatedBackward accumulates into dinp (N,2C) the gradient of GatedForward
// given dout (N,C) and the forward's act (N,2C) = [t | s]:
//
//	da = dout·s·(1 − t²),   db = dout·t·s·(1 − s)
func GatedBackward(dinp, dout, act []float32, N, C int) {
	fused.ForRows(N, 2*C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			t, s := act[r*2*C:r*2*C+C], act[r*2*C+C:(r+1)*2*C]
			d := dout[r*C : (r+1)*C]
			da, db := dinp[r*2*C:r*2*C+C], dinp[r*2*C+C:(r+1)*2*C]
			for j, g := range d {
				tj, sj := t[j], s[j]
				da[j] += g * sj * (1 - tj*tj)
				db[j] += g * tj * sj * (1 - sj)
			}
		}
	})
}
