package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/testutil"
)

// The gradient checks compare each Backward with central differences of
// its Forward. With the scalar L = Σᵢ rᵢ·outᵢ (r fixed random weights, L
// summed in float64), dL/dx from Backward(dout = r) must match
// (L(x+h) − L(x−h))/2h. The forward runs in float32, so the difference
// quotient carries a rounding error of about 2⁻²⁴·Σ|rᵢ outᵢ|/h plus the
// O(h²) truncation term; with h = 1e-2 and values of order one both stay
// below ~1e-3 of the gradient's scale, and the tolerance below (relative
// 1e-2 plus absolute 1e-3·scale) leaves a margin without hiding a wrong
// formula, which is off by O(1).

const gcH = 1e-2

var randSlice = testutil.RandNormal

type gradCase struct {
	inputs  [][]float32      // perturbed in place
	grads   [][]float32      // analytic gradients, same shapes (filled by bwd)
	forward func() []float32 // recomputes the output from the inputs
	// backward accumulates into grads given dout.
	backward func(dout []float32)
}

func checkGrad(t *testing.T, name string, c gradCase, rng *rand.Rand) {
	t.Helper()
	out := c.forward()
	r := randSlice(rng, len(out), 1)
	loss := func() float64 {
		o := c.forward()
		var s float64
		for i, v := range o {
			s += float64(r[i]) * float64(v)
		}
		return s
	}
	for _, g := range c.grads {
		clear(g)
	}
	c.forward()
	dout := append([]float32(nil), r...)
	c.backward(dout)
	for k, x := range c.inputs {
		g := c.grads[k]
		if g == nil {
			continue
		}
		var scale float64
		for _, v := range g {
			scale = max(scale, math.Abs(float64(v)))
		}
		idx := rng.Perm(len(x))
		if len(idx) > 40 {
			idx = idx[:40]
		}
		for _, i := range idx {
			num := testutil.CentralDiff(x, i, gcH, loss)
			ana := float64(g[i])
			if math.Abs(num-ana) > 1e-2*math.Abs(num)+1e-3*max(scale, 1e-3) {
				t.Errorf("%s: input %d element %d: analytic %.6g, numeric %.6g", name, k, i, ana, num)
			}
		}
	}
}

func TestLinearGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][3]int{{1, 3, 2}, {5, 7, 3}, {9, 16, 33}} {
		N, C, OC := sh[0], sh[1], sh[2]
		inp, w, b := randSlice(rng, N*C, 1), randSlice(rng, OC*C, 0.5), randSlice(rng, OC, 0.5)
		dinp, dw, db := make([]float32, N*C), make([]float32, OC*C), make([]float32, OC)
		out := make([]float32, N*OC)
		checkGrad(t, "linear", gradCase{
			inputs:  [][]float32{inp, w, b},
			grads:   [][]float32{dinp, dw, db},
			forward: func() []float32 { LinearForward(out, inp, w, b, N, C, OC); return out },
			backward: func(d []float32) {
				LinearBackward(dinp, dw, db, d, inp, w, N, C, OC)
			},
		}, rng)
		// Without bias.
		checkGrad(t, "linear-nobias", gradCase{
			inputs:  [][]float32{inp, w},
			grads:   [][]float32{dinp, dw},
			forward: func() []float32 { LinearForward(out, inp, w, nil, N, C, OC); return out },
			backward: func(d []float32) {
				LinearBackward(dinp, dw, nil, d, inp, w, N, C, OC)
			},
		}, rng)
	}
}

func TestEncoderGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	B, T, C, V := 2, 5, 6, 4
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(rng.IntN(V))
	}
	wte, wpe := randSlice(rng, V*C, 1), randSlice(rng, 8*C, 1)
	dwte, dwpe := make([]float32, V*C), make([]float32, 8*C)
	out := make([]float32, B*T*C)
	checkGrad(t, "encoder", gradCase{
		inputs:   [][]float32{wte, wpe},
		grads:    [][]float32{dwte, dwpe},
		forward:  func() []float32 { EncoderForward(out, ids, wte, wpe, B, T, C); return out },
		backward: func(d []float32) { EncoderBackward(dwte, dwpe, d, ids, B, T, C) },
	}, rng)
	checkGrad(t, "embedding", gradCase{
		inputs:   [][]float32{wte},
		grads:    [][]float32{dwte},
		forward:  func() []float32 { EmbeddingForward(out, ids, wte, B*T, C); return out },
		backward: func(d []float32) { EmbeddingBackward(dwte, d, ids, B*T, C) },
	}, rng)
}

func TestLayerNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	N, C := 4, 10
	inp, w, b := randSlice(rng, N*C, 1), randSlice(rng, C, 1), randSlice(rng, C, 1)
	dinp, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	checkGrad(t, "layernorm", gradCase{
		inputs:  [][]float32{inp, w, b},
		grads:   [][]float32{dinp, dw, db},
		forward: func() []float32 { LayerNormForward(out, mean, rstd, inp, w, b, N, C); return out },
		backward: func(d []float32) {
			LayerNormBackward(dinp, dw, db, d, inp, w, mean, rstd, N, C)
		},
	}, rng)
}

// TestBackwardSumGrad checks the column sums that internal/fused's backward
// passes add as the gradient of a bias added before the layer: out =
// layer(x + b) with b (C) broadcast over the rows, whose gradient is the
// column sum of the input gradient.
func TestBackwardSumGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	N, C := 6, 10
	x, b := randSlice(rng, N*C, 1), randSlice(rng, C, 1)
	xb, out := make([]float32, N*C), make([]float32, N*C)
	addBias := func() []float32 {
		for i := range xb {
			xb[i] = x[i] + b[i%C]
		}
		return xb
	}
	dx, db := make([]float32, N*C), make([]float32, C)
	pre := make([]float32, N*C)
	checkGrad(t, "gelu grad sum", gradCase{
		inputs: [][]float32{x, b},
		grads:  [][]float32{dx, db},
		forward: func() []float32 {
			copy(pre, x)
			fused.BiasGELUForwardGradStrided(out, pre, b, N, C, C)
			return out
		},
		backward: func(d []float32) { fused.GELUBackwardGradSumStrided(dx, db, pre, d, N, C, C) },
	}, rng)
	w, lb := randSlice(rng, C, 1), randSlice(rng, C, 1)
	dw, dlb := make([]float32, C), make([]float32, C)
	mean, rstd := make([]float32, N), make([]float32, N)
	checkGrad(t, "layernorm sum", gradCase{
		inputs:  [][]float32{x, b, w, lb},
		grads:   [][]float32{dx, db, dw, dlb},
		forward: func() []float32 { LayerNormForward(out, mean, rstd, addBias(), w, lb, N, C); return out },
		backward: func(d []float32) {
			fused.LayerNormBackwardSum(dx, dw, dlb, db, d, xb, w, mean, rstd, N, C)
		},
	}, rng)
}

func TestGELUGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	inp := randSlice(rng, 50, 2)
	dinp, out := make([]float32, 50), make([]float32, 50)
	checkGrad(t, "gelu", gradCase{
		inputs:   [][]float32{inp},
		grads:    [][]float32{dinp},
		forward:  func() []float32 { GELUForward(out, inp); return out },
		backward: func(d []float32) { GELUBackward(dinp, inp, d) },
	}, rng)
	a, b := randSlice(rng, 20, 1), randSlice(rng, 20, 1)
	da, db, o := make([]float32, 20), make([]float32, 20), make([]float32, 20)
	checkGrad(t, "residual", gradCase{
		inputs:   [][]float32{a, b},
		grads:    [][]float32{da, db},
		forward:  func() []float32 { ResidualForward(o, a, b); return o },
		backward: func(d []float32) { ResidualBackward(da, db, d) },
	}, rng)
}

func TestAttentionGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	// T = 39 spans several row tiles and column panels of every
	// micro-kernel (4×4, 6×16, 12×32), with ragged edges.
	for _, sh := range [][4]int{{1, 3, 4, 2}, {2, 5, 8, 2}, {1, 39, 4, 1}} {
		B, T, C, NH := sh[0], sh[1], sh[2], sh[3]
		qkv := randSlice(rng, B*T*3*C, 1)
		dqkv := make([]float32, len(qkv))
		out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
		checkGrad(t, "attention", gradCase{
			inputs:  [][]float32{qkv},
			grads:   [][]float32{dqkv},
			forward: func() []float32 { AttentionForward(out, att, qkv, B, T, C, NH); return out },
			backward: func(d []float32) {
				AttentionBackward(dqkv, d, qkv, att, B, T, C, NH)
			},
		}, rng)
	}
}

func TestAttentionCausal(t *testing.T) {
	// Changing a later position must not change an earlier output.
	rng := rand.New(rand.NewPCG(11, 12))
	B, T, C, NH := 1, 40, 8, 2
	qkv := randSlice(rng, B*T*3*C, 1)
	out1, out2, att := make([]float32, T*C), make([]float32, T*C), make([]float32, NH*T*T)
	AttentionForward(out1, att, qkv, B, T, C, NH)
	for j := 20 * 3 * C; j < len(qkv); j++ {
		qkv[j] += 1
	}
	AttentionForward(out2, att, qkv, B, T, C, NH)
	for i := range 20 * C {
		if out1[i] != out2[i] {
			t.Fatalf("output %d changed when only later positions changed", i)
		}
	}
	// Rows of P sum to one and vanish above the diagonal.
	for h := range NH {
		for r := range T {
			var s float64
			for c := range T {
				p := att[(h*T+r)*T+c]
				if c > r && p != 0 {
					t.Fatalf("P[%d,%d] = %g above the diagonal", r, c, p)
				}
				s += float64(p)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("row %d sums to %g", r, s)
			}
		}
	}
}

func TestCrossEntropyGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	N, V := 6, 7
	logits := randSlice(rng, N*V, 2)
	targets := []int32{0, 3, -1, 6, 2, -1}
	dlogits := make([]float32, N*V)
	losses, probs := make([]float32, N), make([]float32, N*V)
	// Backward takes one scale for all rows: use a constant weight.
	c := gradCase{
		inputs: [][]float32{logits},
		grads:  [][]float32{dlogits},
		forward: func() []float32 {
			CrossEntropyForward(losses, probs, logits, targets, N, V, -1)
			return losses
		},
	}
	out := c.forward()
	loss := func() float64 {
		var s float64
		for _, v := range c.forward() {
			s += 0.7 * float64(v)
		}
		return s
	}
	_ = out
	c.forward()
	CrossEntropyBackward(dlogits, probs, targets, N, V, -1, 0.7)
	for i := range logits {
		num := testutil.CentralDiff(logits, i, gcH, loss)
		if math.Abs(num-float64(dlogits[i])) > 1e-2*math.Abs(num)+1e-4 {
			t.Errorf("xent element %d: analytic %g numeric %g", i, dlogits[i], num)
		}
	}
	sum, n := CrossEntropyForward(losses, probs, logits, targets, N, V, -1)
	if n != 4 || losses[2] != 0 || losses[5] != 0 {
		t.Errorf("ignored rows: n=%d losses=%v", n, losses)
	}
	_ = sum
}

func TestDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 40000
	inp := randSlice(rng, n, 1)
	out, mask := make([]float32, n), make([]float32, n)
	DropoutForward(out, mask, inp, 0.25, rng)
	zeros := 0
	for i := range out {
		if mask[i] == 0 {
			zeros++
		} else if mask[i] != 1/0.75 || out[i] != inp[i]*mask[i] {
			t.Fatalf("element %d: mask %g", i, mask[i])
		}
	}
	if f := float64(zeros) / float64(n); math.Abs(f-0.25) > 0.01 {
		t.Errorf("dropped fraction %.3f, want 0.25", f)
	}
	// Same generator state, same mask.
	r1, r2 := rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(1, 1))
	m1, m2 := make([]float32, 100), make([]float32, 100)
	DropoutForward(out[:100], m1, inp[:100], 0.5, r1)
	DropoutForward(out[:100], m2, inp[:100], 0.5, r2)
	for i := range m1 {
		if m1[i] != m2[i] {
			t.Fatal("dropout not reproducible from the seed")
		}
	}
	din := make([]float32, 100)
	DropoutBackward(din, inp[:100], m1)
	for i := range din {
		if din[i] != inp[i]*m1[i] {
			t.Fatal("dropout backward")
		}
	}
	// A large mask is filled in parallel chunks: the same for any
	// GOMAXPROCS, and DropoutMask draws what DropoutForward does.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one := make([]float32, n)
	DropoutForward(out, one, inp, 0.25, rand.New(rand.NewPCG(7, 8)))
	runtime.GOMAXPROCS(3)
	three := make([]float32, n)
	DropoutMask(three, 0.25, rand.New(rand.NewPCG(7, 8)))
	for i := range one {
		if one[i] != three[i] {
			t.Fatalf("mask element %d differs between GOMAXPROCS 1 and 3 (or DropoutMask and DropoutForward)", i)
		}
	}
}

// TestHeadGrad: the output stage's backward (LossBackward, then the
// LayerNorm's) against central differences of its summed loss, for the
// input rows and the tied embedding, with and without label smoothing
// (whose loss, (1−ε)·NLL + ε·mean over the vocabulary of −log p, the test
// computes from the logits).
func TestHeadGrad(t *testing.T) {
	for _, eps := range []float32{0, 0.1} {
		rng := rand.New(rand.NewPCG(17, 18))
		N, C, V := 5, 6, 7
		x := randSlice(rng, N*C, 1)
		wte := randSlice(rng, V*C, 1)
		lnw, lnb := randSlice(rng, C, 1), randSlice(rng, C, 0.1)
		targets := []int32{0, 3, -1, 6, 2}
		h := Head{Smoothing: eps}
		h.Grow(N, C, V)
		const scale = 0.7
		loss := func() float64 {
			h.Norm(x, lnw, lnb, N, C)
			sum, _ := h.Loss(targets, wte, N, C, V, -1)
			if eps == 0 {
				return scale * sum
			}
			var s float64
			for r, y := range targets {
				if y < 0 {
					continue
				}
				row := h.Logits[r*V : (r+1)*V]
				var z float64
				for _, l := range row {
					z += math.Exp(float64(l))
				}
				var mean float64
				for _, l := range row {
					mean += (math.Log(z) - float64(l)) / float64(V)
				}
				s += (1-float64(eps))*(math.Log(z)-float64(row[y])) + float64(eps)*mean
			}
			return scale * s
		}
		loss()
		dx, dwte, dln := make([]float32, N*C), make([]float32, V*C), make([]float32, N*C)
		h.LossBackward(dln, dwte, wte, targets, N, C, V, -1, scale)
		LayerNormBackward(dx, make([]float32, C), make([]float32, C), dln, x, lnw, h.Mean, h.Rstd, N, C)
		for _, c := range []struct {
			name  string
			in, g []float32
		}{{"input", x, dx}, {"embedding", wte, dwte}} {
			for i := range c.in {
				num := testutil.CentralDiff(c.in, i, gcH, loss)
				if math.Abs(num-float64(c.g[i])) > 1e-2*math.Abs(num)+1e-3 {
					t.Errorf("ε=%g: head %s element %d: analytic %g numeric %g", eps, c.name, i, c.g[i], num)
				}
			}
		}
	}
}
