package online

import (
	"math"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// gptLoss re-runs the window over inputs from an empty cache and
// returns Σₜ −ln pₜ(next byte), the last position's next byte being c.
func gptLoss(m *GPT, inputs []byte, c byte) float64 {
	m.N = 0
	for _, x := range inputs {
		m.push(x)
	}
	var loss float64
	for t := range inputs {
		next := c
		if t+1 < len(inputs) {
			next = inputs[t+1]
		}
		loss -= math.Log(float64(m.Probs[t*256+int(next)]))
	}
	return loss
}

// TestGPTGradient checks backward against central finite differences
// of the window's loss, for entries of every parameter.
func TestGPTGradient(t *testing.T) {
	const w = 6
	m := NewGPT(32, 2, 2, w, 0.01)
	// Train a few windows first, so that LayerNorm gains, biases and
	// attention are away from their initial values.
	for _, c := range []byte("some text to warm the model up; some text to warm up.") {
		m.Update(c)
	}
	inputs, c := []byte("hello "), byte('w')
	for _, q := range m.Params() {
		clear(q.G)
	}
	gptLoss(m, inputs, c)
	m.backward(c)
	ps := m.Params()
	grads := make([][]float32, len(ps))
	for k, q := range ps {
		grads[k] = append([]float32(nil), q.G...)
	}
	checked, worst := 0, 0.0
	for k, q := range ps {
		idx := []int{0, len(q.W) / 3, len(q.W) / 2, len(q.W) - 1}
		if k == 0 { // the embedding / output matrix: rows of bytes that occur
			idx = []int{int('l')*32 + 3, int('o')*32 + 17, int('w') * 32, int('z')*32 + 5}
		}
		for _, i := range idx {
			fd := testutil.CentralDiff(q.W, i, 1e-2, func() float64 { return gptLoss(m, inputs, c) })
			g := float64(grads[k][i])
			if d := math.Abs(fd - g); d > 3e-3+0.03*math.Abs(fd) {
				t.Errorf("parameter %d [%d]: backward %.6f, finite difference %.6f", k, i, g, fd)
			}
			if math.Abs(fd) > 1e-2 {
				worst = math.Max(worst, math.Abs(fd-g)/math.Abs(fd))
			}
			checked++
		}
	}
	t.Logf("%d gradient entries of %d parameters checked; worst relative difference %.2g where |gradient| > 0.01", checked, len(ps), worst)
}
