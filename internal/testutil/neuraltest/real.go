package neuraltest

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/realio"
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

// Spec returns a realio.Spec for tests: head (a dlogistic head gets a grid
// of 161 bins over ±4 standardized units), d dimensions of mean 100 and
// scales 5, 6, … (all 5 for dlogistic, whose grid the dimensions share),
// and the extra lags.
func Spec(head string, d int, lags ...int) realio.Spec {
	h, err := dist.ParseHead(head)
	if err != nil {
		panic(err)
	}
	if h.Kind == dist.KindDiscretizedLogistic {
		h.Grid = dist.Grid{Lo: -4, Step: 0.05, N: 161}
	}
	s := realio.Spec{Head: h, Lags: lags}
	for i := range d {
		s.Mean = append(s.Mean, 100)
		sc := 5.0
		if h.Kind != dist.KindDiscretizedLogistic {
			sc += float64(i)
		}
		s.Scale = append(s.Scale, sc)
	}
	return s
}

// CheckRealGrads perturbs m's parameters, then checks every parameter's
// gradient by central differences on three windows of a seasonal series
// with a missing value and lags reaching before its start (so that some
// values are not scored), calling before (if not nil) before each Forward.
func CheckRealGrads(t *testing.T, m RealTrainer, before func(B int), label string) {
	t.Helper()
	a := m.Arena()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range a.Params {
		a.Params[i] += float32(0.2 * rng.NormFloat64())
	}
	B, T, d := 3, 6, m.Dim()
	xs := Seasonal(rng, 40, d)
	xs[17*d] = math.NaN()
	x, y := make([]float64, B*(m.Past()+T)*d), make([]float64, B*T*d)
	RealWindows(x, y, xs, d, m.Past(), T, []int{2, 14, 30})
	forward := func() (float64, int) {
		if before != nil {
			before(B)
		}
		return m.Forward(x, y, B, T, nil)
	}
	a.ZeroGrad()
	_, n := forward()
	if n == 0 || n == B*T*d {
		t.Fatalf("%s: %d of %d values scored: want the missing value and the lags before the start unscored", label, n, B*T*d)
	}
	m.Backward(1 / float32(n))
	CheckArenaGrads(t, a, func() float64 {
		s, n := forward()
		return s / float64(n)
	}, rng, 8, label)
}

// CheckRealInitAndOverfit checks a model with a gaussian head over one
// value with mean 100 and scale 5: at initialization it predicts about a
// standard normal of the standardized values (loss near ½ ln 2πe ≈ 1.42 on
// i.i.d. data of that mean and scale), and 400 steps of Adam on one batch
// memorize it (a loss below 0 at some step, where 1.42 is the best without
// memorizing). before (if not nil) runs before each Forward.
func CheckRealInitAndOverfit(t *testing.T, m RealTrainer, before func(B int), label string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 3))
	B, T := 4, 12
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = 100 + 5*rng.NormFloat64()
	}
	x, y := make([]float64, B*(m.Past()+T)), make([]float64, B*T)
	RealWindows(x, y, xs, 1, m.Past(), T, []int{20, 60, 100, 150})
	forward := func() (float64, int) {
		if before != nil {
			before(B)
		}
		return m.Forward(x, y, B, T, nil)
	}
	s, n := forward()
	if init := s / float64(n); math.Abs(init-1.42) > 0.15 {
		t.Errorf("%s: initial loss %.4f, want about 1.42", label, init)
	}
	a := m.Arena()
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	best := math.Inf(1)
	for step := 1; step <= 400; step++ {
		a.ZeroGrad()
		s, n := forward()
		best = min(best, s/float64(n))
		m.Backward(1 / float32(n))
		AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
	}
	if best > 0 {
		t.Errorf("%s: best loss %.4f in 400 steps on one batch, want below 0", label, best)
	}
}

// RealHistories returns the conformance suite's histories for a model
// trained on xs (d values per step): its first 50 steps, and 60 later ones
// with a missing value every 11 steps.
func RealHistories(xs []float64, d int) [][]float64 {
	holes := append([]float64(nil), xs[100*d:160*d]...)
	for t := 5; t < 60; t += 11 {
		holes[t*d] = math.NaN()
	}
	return [][]float64{xs[:50*d], holes}
}

// RealTeacher returns the conformance suite's RealOptions.Teacher for m:
// one Forward over the history as a single window (after before, if not
// nil, which resets any carried state), whose rows' log-densities logp
// writes. The training path and the states part by design after a missing
// value (training reads a missing input as the mean, a state as its
// predictive mean, and the recurrence or the attention carries the
// difference to every later step): those steps are NaN, not compared.
func RealTeacher(m RealTrainer, before func(), logp func(dst []float64)) func(xs, dst []float64) {
	return func(xs, dst []float64) {
		d, T := m.Dim(), len(dst)
		x, y := make([]float64, (m.Past()+T)*d), make([]float64, T*d)
		RealWindows(x, y, xs, d, m.Past(), T, []int{0})
		if before != nil {
			before()
		}
		m.Forward(x, y, 1, T, nil)
		logp(dst)
		for k, v := range xs[:T*d] {
			if math.IsNaN(v) {
				for t := k / d; t < T; t++ {
					dst[t] = math.NaN()
				}
				break
			}
		}
	}
}

// CheckRealPayload checks a real-valued model's payload: version 2, refused
// by the family's token reader (readToken), truncations refused by its
// real reader (readReal), which also refuses the payload of token, a token
// model of the family.
func CheckRealPayload(t *testing.T, m, token io.WriterTo, readReal, readToken func(io.Reader, int64) error) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if v := binary.LittleEndian.Uint32(data[8:]); v != 2 {
		t.Errorf("payload version %d, want 2", v)
	}
	if err := readReal(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Errorf("the payload does not read back: %v", err)
	}
	if readToken(bytes.NewReader(data), int64(len(data))) == nil {
		t.Error("the token reader read a real-valued payload")
	}
	var tb bytes.Buffer
	if _, err := token.WriteTo(&tb); err != nil {
		t.Fatal(err)
	}
	if readReal(bytes.NewReader(tb.Bytes()), int64(tb.Len())) == nil {
		t.Error("the real-valued reader read a token payload")
	}
	for _, n := range []int{10, 80, len(data) - 4} {
		if readReal(bytes.NewReader(data[:n]), int64(n)) == nil {
			t.Errorf("a payload cut to %d bytes was read", n)
		}
	}
}
