package nn

import (
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// LinearForward computes out = inp·weightᵀ + bias (the layout of
// PyTorch's nn.Linear, so a tied output layer can use an embedding table
// as its weight).
//
//	out    (N,OC)
//	inp    (N,C)
//	weight (OC,C)
//	bias   (OC) or nil
func LinearForward(out, inp, weight, bias []float32, N, C, OC int) {
	if bias == nil {
		kernels.Sgemm(false, true, N, OC, C, 1, inp, C, weight, C, 0, out, OC)
		return
	}
	fused.FillRows(out, bias, N, OC, OC)
	kernels.Sgemm(false, true, N, OC, C, 1, inp, C, weight, C, 1, out, OC)
}

// LinearPacked is LinearForward against weights packed for the matrix
// kernels (kernels.PackedB of op(B) = Wᵀ, made once and reused by
// inference): out (rows,OC) = inp (rows,C)·Wᵀ + bias, bias (OC) or nil.
func LinearPacked(out, inp []float32, pb *kernels.PackedB, bias []float32, rows int) {
	C, OC := pb.K(), pb.N()
	beta := float32(0)
	if bias != nil {
		for i := range rows {
			copy(out[i*OC:(i+1)*OC], bias)
		}
		beta = 1
	}
	kernels.SgemmPacked(false, rows, 1, inp[:rows*C], C, pb, beta, out[:rows*OC], OC)
}

// LinearBackward accumulates the gradients of LinearForward:
//
//	dinp    (N,C)  += dout·weight     (skipped when dinp is nil)
//	dweight (OC,C) += doutᵀ·inp
//	dbias   (OC)   += Σ_rows dout     (skipped when dbias is nil)
func LinearBackward(dinp, dweight, dbias, dout, inp, weight []float32, N, C, OC int) {
	if dinp != nil {
		kernels.Sgemm(false, false, N, C, OC, 1, dout, OC, weight, C, 1, dinp, C)
	}
	kernels.Sgemm(true, false, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C)
	if dbias != nil {
		fused.ColumnSums(dbias, dout, N, OC)
	}
}
