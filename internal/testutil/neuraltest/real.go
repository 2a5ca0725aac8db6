package neuraltest

import (
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg/tensor"
)

// RealTrainer is the training half of a real-valued neural model
// (train.RealModel).
type RealTrainer interface {
	Arena() *tensor.Arena
	Dim() int
	Past() int
	Forward(x, y []float64, B, T int, rng *rand.Rand) (sum float64, n int)
	Backward(scale float32)
}

// Seasonal returns n steps of d values that a small network learns in a
// few steps, in units far from standardized (around 100, spread about 5):
// a period-7 pattern, a persistent AR(1) component and noise, dimension i
// shifted by i steps and scaled by 1+i.
func Seasonal(rng *rand.Rand, n, d int) []float64 {
	xs := make([]float64, n*d)
	ar := make([]float64, d)
	pattern := []float64{0, 3, 4, 2, -1, -5, -3}
	for t := range n {
		for i := range d {
			ar[i] = 0.7*ar[i] + rng.NormFloat64()
			xs[t*d+i] = 100 + (1+float64(i))*(pattern[(t+i)%7]+ar[i]) + 0.3*rng.NormFloat64()
		}
	}
	return xs
}

// RealWindows fills x and y with the training windows starting at the
// steps in starts of series xs (d values per step): row b of x holds the
// model's past steps before starts[b] (NaN before the series) and the T
// input steps, row b of y the T targets after them.
func RealWindows(x, y, xs []float64, d, past, T int, starts []int) {
	for b, s0 := range starts {
		for k := range past + T {
			t := s0 - past + k
			for i := range d {
				v := math.NaN()
				if t >= 0 {
					v = xs[t*d+i]
				}
				x[(b*(past+T)+k)*d+i] = v
			}
		}
		copy(y[b*T*d:(b+1)*T*d], xs[(s0+1)*d:(s0+T+1)*d])
	}
}

// FitReal trains m for steps of plain Adam (AdamStep at learning rate lr)
// on batches of B windows of T steps of xs at offsets drawn by rng, calling
// before (if not nil) before each Forward: enough for the model's
// predictions to depend on the history. It returns the last batch's mean
// loss.
func FitReal(m RealTrainer, xs []float64, B, T, steps int, lr float64, rng *rand.Rand, before func()) float64 {
	a := m.Arena()
	d, past := m.Dim(), m.Past()
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	x, y := make([]float64, B*(past+T)*d), make([]float64, B*T*d)
	starts := make([]int, B)
	var loss float64
	for step := 1; step <= steps; step++ {
		for b := range starts {
			starts[b] = rng.IntN(len(xs)/d - T)
		}
		RealWindows(x, y, xs, d, past, T, starts)
		if before != nil {
			before()
		}
		a.ZeroGrad()
		s, n := m.Forward(x, y, B, T, nil)
		loss = s / float64(max(n, 1))
		m.Backward(1 / float32(max(n, 1)))
		AdamStep(a.Params, a.Grads, mo, vo, step, lr)
	}
	return loss
}
