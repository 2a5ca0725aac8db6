package fused_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/nn"
)

// Every form here is held to the composition of nn's layers it replaces:
// bit for bit where the operations are the same, within float32 rounding
// where a sum is blocked differently. nn's layers are checked against
// central differences, and nn's tests check the fused bias-gradient sums
// the same way.

var randSlice = testutil.RandNormal

// sameValues fails t unless got equals want element by element; what
// names the compared values in the report.
func sameValues(t *testing.T, what string, want, got []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s differs at %d: %v vs %v", what, i, got[i], want[i])
		}
	}
}

// The bias epilogues equal the unfused layers bit for bit.
func TestBiasEpilogues(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, N := range []int{3, 300} {
		C := 300
		x, res, bias := randSlice(rng, N*C, 1), randSlice(rng, N*C, 1), randSlice(rng, C, 1)

		pre := append([]float32(nil), x...)
		out := make([]float32, N*C)
		fused.BiasGELUForward(out, pre, bias, N, C)
		ref := make([]float32, N*C)
		fused.FillRows(ref, bias, N, C, C)
		for i := range ref {
			ref[i] += x[i]
		}
		gl := make([]float32, N*C)
		nn.GELUForward(gl, ref)
		for i := range out {
			if out[i] != gl[i] || pre[i] != ref[i] {
				t.Fatalf("BiasGELU differs at %d", i)
			}
		}

		for _, p := range []float64{0, 0.3} {
			mask := make([]float32, N*C)
			if p > 0 {
				nn.DropoutMask(mask, p, rand.New(rand.NewPCG(1, 2)))
			}
			var mk []float32
			if p > 0 {
				mk = mask
			}
			got := make([]float32, N*C)
			fused.BiasResidualForward(got, res, x, bias, mk, N, C)
			// Unfused: bias, dropout (same draws), residual.
			y := make([]float32, N*C)
			for i := range y {
				y[i] = x[i] + bias[i%C]
			}
			m2 := make([]float32, N*C)
			nn.DropoutForward(y, m2, y, p, rand.New(rand.NewPCG(1, 2)))
			for i := range got {
				if want := res[i] + y[i]; got[i] != want || (p > 0 && m2[i] != mask[i]) {
					t.Fatalf("BiasResidual p=%g differs at %d: %g vs %g", p, i, got[i], want)
				}
			}
			// In place over the residual (gpt's scoring path).
			inPlace := append([]float32(nil), res...)
			fused.BiasResidualForward(inPlace, inPlace, x, bias, mk, N, C)
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
// gradients unchanged and sum within the float32 rounding of N terms.
func TestBackwardSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, sh := range [][2]int{{3, 40}, {300, 40}, {700, 130}} {
		N, C := sh[0], sh[1]
		inp, dout := randSlice(rng, N*C, 2), randSlice(rng, N*C, 1)
		sum := randSlice(rng, C, 1)

		// The GELU's backward from the derivative kept by the forward pass.
		bias, gout := randSlice(rng, C, 1), make([]float32, N*C)
		gpre := append([]float32(nil), inp...)
		fused.BiasGELUForwardGradStrided(gout, gpre, bias, N, C, C)
		pre := append([]float32(nil), inp...)
		fused.BiasGELUForward(make([]float32, N*C), pre, bias, N, C)
		wout, wgrad := make([]float32, N*C), make([]float32, N*C)
		kernels.GELUWithGrad(wout, wgrad, pre)
		for i := range gout {
			if gout[i] != wout[i] || gpre[i] != wgrad[i] {
				t.Fatalf("BiasGELUForwardGradStrided %v differs at %d", sh, i)
			}
		}
		got, gsum := make([]float32, N*C), append([]float32(nil), sum...)
		want, wsum := make([]float32, N*C), append([]float32(nil), sum...)
		fused.GELUBackwardGradSumStrided(got, gsum, gpre, dout, N, C, C)
		nn.GELUBackward(want, pre, dout)
		fused.ColumnSums(wsum, want, N, C)
		sameValues(t, fmt.Sprintf("GELUBackwardGradSumStrided %v: dinp", sh), want, got)
		sameValues(t, fmt.Sprintf("GELUBackwardGradSumStrided %v: dsum", sh), wsum, gsum)

		w := randSlice(rng, C, 1)
		mean, rstd := make([]float32, N), make([]float32, N)
		nn.LayerNormForward(make([]float32, N*C), mean, rstd, inp, w, nil, N, C)
		d1, d2 := randSlice(rng, N*C, 1), make([]float32, N*C)
		copy(d2, d1)
		dw1, db1, dw2, db2 := make([]float32, C), make([]float32, C), make([]float32, C), make([]float32, C)
		ds := make([]float32, C)
		nn.LayerNormBackward(d1, dw1, db1, dout, inp, w, mean, rstd, N, C)
		fused.LayerNormBackwardSum(d2, dw2, db2, ds, dout, inp, w, mean, rstd, N, C)
		sameValues(t, fmt.Sprintf("LayerNormBackwardSum %v: dinp", sh), d1, d2)
		sameValues(t, fmt.Sprintf("LayerNormBackwardSum %v: dweight", sh), dw1, dw2)
		sameValues(t, fmt.Sprintf("LayerNormBackwardSum %v: dbias", sh), db1, db2)
		for j := range C {
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

func TestColumnSumsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	N, OC := 1000, 513
	src := randSlice(rng, N*OC, 1)
	run := func(procs int) []float32 {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		d := make([]float32, OC)
		fused.ColumnSums(d, src, N, OC)
		return d
	}
	a, b := run(1), run(3)
	for j := range a {
		var ref float64
		for r := range N {
			ref += float64(src[r*OC+j])
		}
		if a[j] != b[j] {
			t.Fatalf("column %d: %g with 1 proc, %g with 3", j, a[j], b[j])
		}
		if math.Abs(float64(a[j])-ref) > 1e-4*math.Sqrt(float64(N)) {
			t.Fatalf("column %d: %g, reference %g", j, a[j], ref)
		}
	}
}

// The Set variants equal accumulation into zeros, whatever their output
// held.
func TestSetVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	N, C, OC := 7, 9, 5
	inp, w, dout := randSlice(rng, N*C, 1), randSlice(rng, OC*C, 1), randSlice(rng, N*OC, 1)
	acc, set := make([]float32, N*C), randSlice(rng, N*C, 100)
	dw1, dw2 := make([]float32, OC*C), make([]float32, OC*C)
	nn.LinearBackward(acc, dw1, nil, dout, inp, w, N, C, OC)
	fused.LinearBackwardSet(set, dw2, nil, dout, inp, w, N, C, OC)
	sameValues(t, "LinearBackwardSet", acc, set)

	B, T, CC, NH := 2, 69, 8, 2
	qkv, dy := randSlice(rng, B*T*3*CC, 1), randSlice(rng, B*T*CC, 1)
	out, att := make([]float32, B*T*CC), make([]float32, B*NH*T*T)
	nn.AttentionForward(out, att, qkv, B, T, CC, NH)
	a1, a2 := make([]float32, len(qkv)), randSlice(rng, len(qkv), 100)
	nn.AttentionBackward(a1, dy, qkv, att, B, T, CC, NH)
	fused.AttentionBackwardSet(a2, dy, qkv, att, B, T, CC, NH)
	for i := range a1 {
		if math.Abs(float64(a1[i]-a2[i])) > 1e-6*(1+math.Abs(float64(a1[i]))) {
			t.Fatalf("AttentionBackwardSet differs at %d: %g vs %g", i, a1[i], a2[i])
		}
	}

	n := 3 * fused.ElemGrain // in parallel chunks
	x := randSlice(rng, n, 1)
	mask := make([]float32, n)
	nn.DropoutMask(mask, 0.25, rng)
	d1, d2 := make([]float32, n), randSlice(rng, n, 9)
	nn.DropoutBackward(d1, x, mask)
	fused.DropoutBackwardSet(d2, x, mask)
	sameValues(t, "DropoutBackwardSet", d1, d2)

	V, ignore := 11, int32(-1)
	logits, targets := randSlice(rng, N*V, 2), []int32{0, 3, -1, 10, 2, -1, 5}
	probs := make([]float32, N*V)
	nn.CrossEntropyForward(make([]float32, N), probs, logits, targets, N, V, ignore)
	x1, x2 := make([]float32, N*V), randSlice(rng, N*V, 9)
	nn.CrossEntropyBackward(x1, probs, targets, N, V, ignore, 0.7)
	fused.CrossEntropyBackwardSet(x2, probs, targets, N, V, ignore, 0.7)
	sameValues(t, "CrossEntropyBackwardSet", x1, x2)

	Bc, H := 3, 5
	gates, cPrev := randSlice(rng, Bc*4*H, 1), randSlice(rng, Bc*H, 1)
	h, c, tc := make([]float32, Bc*H), make([]float32, Bc*H), make([]float32, Bc*H)
	nn.LSTMCellForward(h, c, tc, gates, cPrev, Bc, H)
	dh, dc := randSlice(rng, Bc*H, 1), randSlice(rng, Bc*H, 1)
	g1, c1 := make([]float32, Bc*4*H), make([]float32, Bc*H)
	g2, c2 := randSlice(rng, Bc*4*H, 9), randSlice(rng, Bc*H, 9)
	nn.LSTMCellBackward(g1, c1, dh, dc, gates, cPrev, tc, Bc, H)
	fused.LSTMCellBackwardSet(g2, c2, dh, dc, gates, cPrev, tc, Bc, H)
	sameValues(t, "LSTMCellBackwardSet dgates", g1, g2)
	sameValues(t, "LSTMCellBackwardSet dcPrev", c1, c2)
}

// TestStridedVariants: the padded-row forms of the linear layer and of
// the MLP's GELU equal the contiguous ones bit for bit, and leave the
// padding alone.
func TestStridedVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	N, C, OC := 300, 1024, 40 // C: the width PaddedStride pads; N > ColumnSums' row block
	ld := fused.PaddedStride(C)
	if ld == C {
		t.Fatalf("PaddedStride(%d) = %d, want padding", C, ld)
	}
	const pad = -7
	// padded copies src (N rows of n) into rows ldp apart, padding marked.
	padded := func(src []float32, n, ldp int) []float32 {
		d := make([]float32, N*ldp)
		for i := range d {
			d[i] = pad
		}
		for r := range N {
			copy(d[r*ldp:r*ldp+n], src[r*n:(r+1)*n])
		}
		return d
	}
	// same checks that p (rows ldp apart) holds c (N rows of n) and padding.
	same := func(name string, c, p []float32, n, ldp int) {
		t.Helper()
		for r := range N {
			for j := range ldp {
				got := p[r*ldp+j]
				if j >= n {
					if got != pad {
						t.Fatalf("%s: padding at row %d column %d written", name, r, j)
					}
					continue
				}
				if got != c[r*n+j] {
					t.Fatalf("%s differs at row %d column %d: %v vs %v", name, r, j, got, c[r*n+j])
				}
			}
		}
	}
	bias, w := randSlice(rng, C, 1), randSlice(rng, OC*C, 1)
	x := randSlice(rng, N*OC, 1)

	// The MLP's first layer (OC → C) and its GELU, into padded rows.
	w1 := randSlice(rng, C*OC, 1)
	pre1 := make([]float32, N*C)
	nn.LinearForward(pre1, x, w1, nil, N, OC, C)
	pre2 := padded(make([]float32, N*C), C, ld)
	fused.LinearForwardStrided(pre2, x, w1, nil, N, OC, C, OC, ld)
	same("LinearForwardStrided output", pre1, pre2, C, ld)
	h1, h2 := make([]float32, N*C), padded(make([]float32, N*C), C, ld)
	fused.BiasGELUForwardGradStrided(h1, pre1, bias, N, C, C)
	fused.BiasGELUForwardGradStrided(h2, pre2, bias, N, C, ld)
	same("BiasGELUForwardGradStrided", h1, h2, C, ld)
	same("BiasGELUForwardGradStrided's gelu'", pre1, pre2, C, ld)

	// The output projection (C → OC) from padded rows, forward and back.
	y1, y2 := make([]float32, N*OC), make([]float32, N*OC)
	nn.LinearForward(y1, h1, w, bias[:OC], N, C, OC)
	fused.LinearForwardStrided(y2, h2, w, bias[:OC], N, C, OC, ld, OC)
	same("LinearForwardStrided", y1, y2, OC, OC)
	dout := randSlice(rng, N*OC, 1)
	dx1, dx2 := make([]float32, N*C), padded(make([]float32, N*C), C, ld)
	dw1, dw2 := make([]float32, OC*C), make([]float32, OC*C)
	db1, db2 := make([]float32, OC), make([]float32, OC)
	fused.LinearBackwardSet(dx1, dw1, db1, dout, h1, w, N, C, OC)
	fused.LinearBackwardSetStrided(dx2, dw2, db2, dout, h2, w, N, C, OC, ld, OC)
	same("LinearBackwardSetStrided dinp", dx1, dx2, C, ld)
	sameValues(t, "LinearBackwardSetStrided dweight", dw1, dw2)
	sameValues(t, "LinearBackwardSetStrided dbias", db1, db2)

	// The GELU's backward on padded rows, then the first layer's backward
	// with a padded output gradient (and its bias sum).
	g1, g2 := make([]float32, N*C), padded(make([]float32, N*C), C, ld)
	s1, s2 := make([]float32, C), make([]float32, C)
	fused.GELUBackwardGradSumStrided(g1, s1, pre1, dx1, N, C, C)
	fused.GELUBackwardGradSumStrided(g2, s2, pre2, dx2, N, C, ld)
	same("GELUBackwardGradSumStrided", g1, g2, C, ld)
	sameValues(t, "GELUBackwardGradSumStrided's sum", s1, s2)
	dxa, dxb := make([]float32, N*OC), make([]float32, N*OC)
	dwa, dwb := make([]float32, C*OC), make([]float32, C*OC)
	dba, dbb := make([]float32, C), make([]float32, C)
	fused.LinearBackwardSet(dxa, dwa, dba, g1, x, w1, N, OC, C)
	fused.LinearBackwardSetStrided(dxb, dwb, dbb, g2, x, w1, N, OC, C, OC, ld)
	sameValues(t, "LinearBackwardSetStrided with a padded dout: dinp", dxa, dxb)
	sameValues(t, "LinearBackwardSetStrided with a padded dout: dweight", dwa, dwb)
	sameValues(t, "LinearBackwardSetStrided with a padded dout: dbias", dba, dbb)
}
