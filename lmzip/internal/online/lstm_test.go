package online

import (
	"math"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// lstmLoss replays the model over inputs from the state (h0, c0) and returns
// Σₛ −ln pₛ(targets[s]) in float64.
func lstmLoss(m *LSTM, h0, c0 []float32, inputs, targets []byte) float64 {
	copy(m.hCur, h0)
	copy(m.cCur, c0)
	var loss float64
	for s, x := range inputs {
		m.n = s
		m.step(x)
		loss -= math.Log(float64(m.p[s*256+int(targets[s])]))
	}
	return loss
}

// TestLSTMGradient checks backward against central finite differences of
// the loss, for entries of every parameter.
func TestLSTMGradient(t *testing.T) {
	const h, T = 32, 5
	m := NewLSTM(h, T, 0.01)
	// Move away from the initial state so that every gate matters.
	for _, c := range []byte("a warm-up text.") {
		m.Update(c)
	}
	m.n = 0
	h0 := append([]float32(nil), m.hCur...)
	c0 := append([]float32(nil), m.cCur...)
	inputs := []byte("hello")
	targets := []byte("ello ")
	for k := range m.params {
		clear(m.params[k].G)
	}
	lstmLoss(m, h0, c0, inputs, targets)
	copy(m.target, targets)
	m.backward()
	grads := make([][]float32, len(m.params))
	for k := range m.params {
		grads[k] = append([]float32(nil), m.params[k].G...)
	}
	names := []string{"wx", "wh", "b", "wo", "bo"}
	checked, worst := 0, 0.0
	for k := range m.params {
		w := m.params[k].W
		idx := []int{0, 1, len(w) / 3, len(w) / 2, len(w) - 1}
		if k == 0 { // the input matrix: rows of bytes the inputs contain
			idx = []int{int('h')*4*h + 3, int('e')*4*h + h + 5, int('l')*4*h + 2*h + 7, int('o')*4*h + 3*h + 1}
		}
		if k == 3 { // the output layer: rows of the targets and of others
			idx = []int{int('e') * h, int('l')*h + h - 1, int(' ') * h, int('z') * h}
		}
		if k == 4 {
			idx = []int{'e', 'l', ' ', 'z'}
		}
		for _, i := range idx {
			fd := testutil.CentralDiff(w, i, 1e-2, func() float64 { return lstmLoss(m, h0, c0, inputs, targets) })
			g := float64(grads[k][i])
			if d := math.Abs(fd - g); d > 2e-3+0.03*math.Abs(fd) {
				t.Errorf("%s[%d]: backward %.6f, finite difference %.6f", names[k], i, g, fd)
			}
			if math.Abs(fd) > 1e-2 {
				worst = math.Max(worst, math.Abs(fd-g)/math.Abs(fd))
			}
			checked++
		}
	}
	t.Logf("%d gradient entries checked; worst relative difference %.2g where |gradient| > 0.01", checked, worst)
}

// TestLSTMDeterministic runs the same bytes twice through fresh models and
// requires identical probabilities (no hidden state outside the model).
func TestLSTMDeterministic(t *testing.T) {
	run := func() []uint32 {
		m := NewLSTM(32, 4, 0.01)
		var out []uint32
		for _, c := range []byte("to be, or not to be, that is the question") {
			for i := 7; i >= 0; i-- {
				out = append(out, m.P12((uint32(c)|0x100)>>uint(i+1)))
			}
			m.Update(c)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("probability %d differs between runs: %d vs %d", i, a[i], b[i])
		}
	}
}
