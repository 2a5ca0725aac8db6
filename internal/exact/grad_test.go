package exact

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// Every backward pass against central finite differences of its forward:
// the loss is L = Σ dy·out (float64) for random dy, and ∂L/∂input from the
// backward pass must match (L(x+ε) − L(x−ε))/2ε, with ε = 10⁻² on inputs of
// unit scale, within 2% of the larger plus 2·10⁻³ (the float32 forward's
// rounding over 2ε, and the ε² term).

type gradCase struct {
	name     string
	inputs   [][]float32
	grads    [][]float32 // cleared before the backward pass
	forward  func() []float32
	backward func(dy []float32)
}

func checkGrads(t *testing.T, r *rand.Rand, c gradCase) {
	t.Helper()
	out := c.forward()
	dy := normals(r, len(out), 1)
	for _, g := range c.grads {
		clear(g)
	}
	c.backward(dy)
	grads := make([][]float32, len(c.grads))
	for i, g := range c.grads {
		grads[i] = append([]float32(nil), g...)
	}
	loss := func() float64 {
		var l float64
		for k, v := range c.forward() {
			l += float64(dy[k]) * float64(v)
		}
		return l
	}
	checked := 0
	for i, x := range c.inputs {
		idx := r.Perm(len(x))
		if len(idx) > 24 {
			idx = idx[:24]
		}
		for _, k := range idx {
			fd := testutil.CentralDiff(x, k, 1e-2, loss)
			g := float64(grads[i][k])
			if d := math.Abs(fd - g); !(d <= 2e-3+0.02*math.Max(math.Abs(fd), math.Abs(g))) {
				t.Errorf("%s: input %d [%d]: backward %.6g, finite difference %.6g", c.name, i, k, g, fd)
			}
			checked++
		}
	}
	c.forward() // leave the forward's state as it was
	t.Logf("%s: %d entries checked", c.name, checked)
}

func TestLinearGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	n, C, OC := 3, 7, 5
	x, w, b := normals(r, n*C, 1), normals(r, OC*C, 1), normals(r, OC, 1)
	dx, dw, db := make([]float32, n*C), make([]float32, OC*C), make([]float32, OC)
	out := make([]float32, n*OC)
	checkGrads(t, r, gradCase{
		name:    "Linear",
		inputs:  [][]float32{x, w, b},
		grads:   [][]float32{dx, dw, db},
		forward: func() []float32 { Linear(out, x, w, b, n, C, OC); return out },
		backward: func(dy []float32) {
			LinearBackwardInput(dx, dy, w, n, C, OC)
			LinearBackwardParams(dw, db, dy, x, n, C, OC)
		},
	})
}

func TestLSTMCellGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const H = 6
	pre, cPrev := normals(r, 4*H, 1), normals(r, H, 1)
	gates, dpre, dcPrev := make([]float32, 4*H), make([]float32, 4*H), make([]float32, H)
	h, c, tc := make([]float32, H), make([]float32, H), make([]float32, H)
	out := make([]float32, 2*H)
	checkGrads(t, r, gradCase{
		name:   "LSTMCell",
		inputs: [][]float32{pre, cPrev},
		grads:  [][]float32{dpre, dcPrev},
		forward: func() []float32 {
			copy(gates, pre)
			LSTMCell(h, c, tc, gates, cPrev)
			copy(out, h)
			copy(out[H:], c)
			return out
		},
		backward: func(dy []float32) { LSTMCellBackward(dpre, dcPrev, dy[:H], dy[H:], gates, cPrev, tc) },
	})
}

func TestGRUCellGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const H = 6
	xg, hg, hPrev := normals(r, 3*H, 1), normals(r, 3*H, 1), normals(r, H, 1)
	gates, h := make([]float32, 3*H), make([]float32, H)
	dxg, dhg, dhPrev := make([]float32, 3*H), make([]float32, 3*H), make([]float32, H)
	checkGrads(t, r, gradCase{
		name:     "GRUCell",
		inputs:   [][]float32{xg, hg, hPrev},
		grads:    [][]float32{dxg, dhg, dhPrev},
		forward:  func() []float32 { GRUCell(h, gates, xg, hg, hPrev); return h },
		backward: func(dy []float32) { GRUCellBackward(dxg, dhg, dhPrev, dy, gates, hg, hPrev) },
	})
}

func TestLayerNormGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	const n = 9
	x, w, b := normals(r, n, 1), normals(r, n, 1), normals(r, n, 1)
	out, xhat, tmp := make([]float32, n), make([]float32, n), make([]float32, n)
	dx, dw, db := make([]float32, n), make([]float32, n), make([]float32, n)
	var rstd float32
	checkGrads(t, r, gradCase{
		name:     "LayerNorm",
		inputs:   [][]float32{x, w, b},
		grads:    [][]float32{dx, dw, db},
		forward:  func() []float32 { rstd = LayerNorm(out, xhat, x, w, b, 1e-5); return out },
		backward: func(dy []float32) { LayerNormBackward(dx, dw, db, dy, xhat, w, rstd, tmp) },
	})
}

func TestActivationGrads(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	const n = 40
	x, sig, y, dx := normals(r, n, 2), make([]float32, n), make([]float32, n), make([]float32, n)
	checkGrads(t, r, gradCase{
		name:     "GELU",
		inputs:   [][]float32{x},
		grads:    [][]float32{dx},
		forward:  func() []float32 { GELU(y, sig, x); return y },
		backward: func(dy []float32) { GELUBackward(dx, dy, x, sig) },
	})
	a, b := normals(r, n, 1.5), normals(r, n, 1.5)
	th, sg, da, db := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	checkGrads(t, r, gradCase{
		name:     "GatedTanh",
		inputs:   [][]float32{a, b},
		grads:    [][]float32{da, db},
		forward:  func() []float32 { GatedTanh(y, th, sg, a, b); return y },
		backward: func(dy []float32) { GatedTanhBackward(da, db, dy, th, sg) },
	})
}

func TestSoftmaxGrads(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const n = 11
	x, p, dx := normals(r, n, 2), make([]float32, n), make([]float32, n)
	checkGrads(t, r, gradCase{
		name:     "Softmax",
		inputs:   [][]float32{x},
		grads:    [][]float32{dx},
		forward:  func() []float32 { copy(p, x); Softmax(p); return p },
		backward: func(dy []float32) { SoftmaxBackward(dx, p, dy) },
	})
	// The cross-entropy −ln softmax(x)[target], through LogSoftmax.
	const target = 4
	lsm, loss := make([]float32, n), make([]float32, 1)
	checkGrads(t, r, gradCase{
		name:   "CrossEntropy",
		inputs: [][]float32{x},
		grads:  [][]float32{dx},
		forward: func() []float32 {
			LogSoftmax(lsm, x)
			loss[0] = -lsm[target]
			return loss
		},
		backward: func(dy []float32) {
			copy(p, x)
			Softmax(p)
			CrossEntropyBackward(dx, p, target)
			for k := range dx {
				dx[k] *= dy[0]
			}
		},
	})
}

func TestAttentionStepGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	const hs, n, stride = 4, 5, 12
	q, k, v := normals(r, hs, 1), normals(r, n*stride, 1), normals(r, n*stride, 1)
	y, p, dp := make([]float32, hs), make([]float32, n), make([]float32, n)
	dq, dk, dv := make([]float32, hs), make([]float32, n*stride), make([]float32, n*stride)
	checkGrads(t, r, gradCase{
		name:     "AttentionStep",
		inputs:   [][]float32{q, k, v},
		grads:    [][]float32{dq, dk, dv},
		forward:  func() []float32 { AttentionStep(y, p, q, k, v, stride, 0.5); return y },
		backward: func(dy []float32) { AttentionStepBackward(dq, dk, dv, dp, dy, p, q, k, v, stride, 0.5) },
	})
}
