package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/kernels"
)

// The fused epilogues equal the unfused layers bit for bit.
func TestFused(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, N := range []int{3, 300} {
		C := 300 // more than BiasResidualForward's buffer
		x, res, bias := randSlice(rng, N*C, 1), randSlice(rng, N*C, 1), randSlice(rng, C, 1)

		pre := append([]float32(nil), x...)
		out := make([]float32, N*C)
		BiasGELUForward(out, pre, bias, N, C)
		ref := make([]float32, N*C)
		fillRows(ref, bias, N, C, C)
		for i := range ref {
			ref[i] += x[i]
		}
		gl := make([]float32, N*C)
		GELUForward(gl, ref)
		for i := range out {
			if out[i] != gl[i] || pre[i] != ref[i] {
				t.Fatalf("BiasGELU differs at %d", i)
			}
		}

		for _, p := range []float64{0, 0.3} {
			mask := make([]float32, N*C)
			if p > 0 {
				DropoutMask(mask, p, rand.New(rand.NewPCG(1, 2)))
			}
			var mk []float32
			if p > 0 {
				mk = mask
			}
			got := make([]float32, N*C)
			BiasResidualForward(got, res, x, bias, mk, N, C)
			// Unfused: bias, dropout (same draws), residual.
			y := make([]float32, N*C)
			for i := range y {
				y[i] = x[i] + bias[i%C]
			}
			m2 := make([]float32, N*C)
			DropoutForward(y, m2, y, p, rand.New(rand.NewPCG(1, 2)))
			for i := range got {
				if want := res[i] + y[i]; got[i] != want || (p > 0 && m2[i] != mask[i]) {
					t.Fatalf("BiasResidual p=%g differs at %d: %g vs %g", p, i, got[i], want)
				}
			}
			// In place over the residual (gpt's scoring path).
			inPlace := append([]float32(nil), res...)
			BiasResidualForward(inPlace, inPlace, x, bias, mk, N, C)
			for i := range got {
				if inPlace[i] != got[i] {
					t.Fatalf("BiasResidual p=%g in place differs at %d: %g vs %g", p, i, inPlace[i], got[i])
				}
			}
		}
	}
}

// The backward passes that also sum their output's columns (a bias
// gradient) equal the unfused passes followed by ColumnSums bit for bit,
// or, for LayerNorm (whose sums are blocked differently), leave the other
// gradients unchanged and sum within the float32 rounding of N terms; the
// gradients themselves are checked by central differences in grad_test.go.
func TestFusedBackwardSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, sh := range [][2]int{{3, 40}, {300, 40}, {700, 130}} {
		N, C := sh[0], sh[1]
		inp, dout := randSlice(rng, N*C, 2), randSlice(rng, N*C, 1)
		got, sum := randSlice(rng, N*C, 1), randSlice(rng, C, 1)
		want, wsum := make([]float32, N*C), append([]float32(nil), sum...)
		GELUBackwardSetSum(got, sum, inp, dout, N, C)
		GELUBackwardSet(want, inp, dout)
		ColumnSums(wsum, want, N, C)
		sameValues(t, fmt.Sprintf("GELUBackwardSetSum %v: dinp", sh), want, got)
		sameValues(t, fmt.Sprintf("GELUBackwardSetSum %v: dsum", sh), wsum, sum)

		// The same from the derivative kept by the forward pass.
		bias, gout := randSlice(rng, C, 1), make([]float32, N*C)
		gpre := append([]float32(nil), inp...)
		BiasGELUForwardGrad(gout, gpre, bias, N, C)
		pre := append([]float32(nil), inp...)
		fout := make([]float32, N*C)
		BiasGELUForward(fout, pre, bias, N, C)
		wout, wgrad := make([]float32, N*C), make([]float32, N*C)
		kernels.GELUWithGrad(wout, wgrad, pre)
		for i := range gout {
			if gout[i] != wout[i] || gpre[i] != wgrad[i] {
				t.Fatalf("BiasGELUForwardGrad %v differs at %d", sh, i)
			}
		}
		got2, sum2 := make([]float32, N*C), append([]float32(nil), sum...)
		want2, wsum2 := make([]float32, N*C), append([]float32(nil), sum...)
		GELUBackwardGradSum(got2, sum2, gpre, dout, N, C)
		GELUBackwardSetSum(want2, wsum2, pre, dout, N, C)
		sameValues(t, fmt.Sprintf("GELUBackwardGradSum %v: dinp", sh), want2, got2)
		sameValues(t, fmt.Sprintf("GELUBackwardGradSum %v: dsum", sh), wsum2, sum2)

		w := randSlice(rng, C, 1)
		mean, rstd := make([]float32, N), make([]float32, N)
		LayerNormForward(make([]float32, N*C), mean, rstd, inp, w, nil, N, C)
		d1, d2 := randSlice(rng, N*C, 1), make([]float32, N*C)
		copy(d2, d1)
		dw1, db1, dw2, db2 := make([]float32, C), make([]float32, C), make([]float32, C), make([]float32, C)
		ds := make([]float32, C)
		LayerNormBackward(d1, dw1, db1, dout, inp, w, mean, rstd, N, C)
		LayerNormBackwardSum(d2, dw2, db2, ds, dout, inp, w, mean, rstd, N, C)
		for i := range d1 {
			if d1[i] != d2[i] {
				t.Fatalf("LayerNormBackwardSum %v: dinp[%d] differs", sh, i)
			}
		}
		for j := range C {
			if dw1[j] != dw2[j] || db1[j] != db2[j] {
				t.Fatalf("LayerNormBackwardSum %v: dweight/dbias[%d] differ", sh, j)
			}
			var ref, mag float64
			for r := range N {
				ref += float64(d2[r*C+j])
				mag += math.Abs(float64(d2[r*C+j]))
			}
			if math.Abs(float64(ds[j])-ref) > float64(N)*0x1p-23*mag {
				t.Fatalf("LayerNormBackwardSum %v: dsum[%d] = %g, want %g", sh, j, ds[j], ref)
			}
		}
	}
}
