package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/kernels"
)

// RealModel is what a real-valued family implements to be trained on
// series (the rnn and gpt families' real-valued models).
type RealModel interface {
	Trainable
	autoreg.RealModel
	// Past is how many steps before a window's first input its inputs
	// read (lagged values).
	Past() int
	// Head is the output distribution's parametrization, over the
	// standardized values.
	Head() dist.Head
	// Lags are the extra lagged values of an input.
	Lags() []int
	// Highway reports a linear map from the inputs to the head beside the
	// network.
	Highway() bool
	// Standardization is each dimension's mean and scale: the network
	// reads (x − mean)/scale.
	Standardization() (mean, scale []float64)
	// Forward runs B windows of T steps: row b of x holds Past()+T steps
	// (Dim values each, NaN missing or before the series), the history and
	// then the inputs; row b of y the T target steps, each the step after
	// its input. It returns the summed loss of the scored values in nats
	// and their number. rng drives dropout; nil means evaluation.
	Forward(x, y []float64, B, T int, rng *rand.Rand) (sum float64, n int)
}

// Series is one series of a real-valued run: Values holds its steps (the
// model's Dim values each, NaN missing), of which the first Train are
// trained on and the rest, if any, are its validation part. Validation
// scores each validation value one step ahead given every step before it
// (the evaluation protocol of package forecast).
type Series struct {
	Values []float64
	Train  int
}

// hasValidSeries reports whether a series has a validation part.
func hasValidSeries(ss []Series) bool {
	for _, s := range ss {
		if s.Train < len(s.Values) {
			return true
		}
	}
	return false
}

// realFeed draws a RealModel's training windows.
//
// The training parts of the series are laid end to end in one stream, with
// Past()+1 missing steps between two series, so that no input reads across
// a boundary and a recurrent model sees a gap there. Recurrent models get
// B contiguous streams and consecutive windows, as for tokens (the window
// of stream b at position w starts at b·part + w·T); feed-forward models
// get windows at random offsets drawn from the data generator. Every
// window takes the Past() steps before it along (the true past, or missing
// before the stream starts).
type realFeed struct {
	m      RealModel
	d, p   int
	stream []float64
	x, y   []float64 // Accum micro-batches of B windows
}

func (f *realFeed) init(m RealModel, o Options) {
	f.m, f.d, f.p = m, m.Dim(), m.Past()
	f.x = make([]float64, o.Accum*o.Batch*(f.p+o.Context)*f.d)
	f.y = make([]float64, o.Accum*o.Batch*o.Context*f.d)
}

// prepare builds the training stream and checks it is long enough.
func (f *realFeed) prepare(ss []Series, o Options) error {
	d := f.d
	if len(ss) == 0 {
		return errNoRealData
	}
	f.stream = f.stream[:0]
	for k, s := range ss {
		if len(s.Values)%d != 0 || s.Train < 0 || s.Train*d > len(s.Values) {
			return fmt.Errorf("train: series %d: %d values and a training part of %d steps of %d", k, len(s.Values), s.Train, d)
		}
		if k > 0 {
			for range (f.p + 1) * d {
				f.stream = append(f.stream, math.NaN())
			}
		}
		f.stream = append(f.stream, s.Values[:s.Train*d]...)
	}
	n := len(f.stream) / d
	need := o.Context + 1
	if _, rec := f.m.(Recurrent); rec {
		need = o.Batch * (o.Context + 1)
	}
	if n < need {
		return fmt.Errorf("train: %d training steps, need at least %d for batch %d × context %d", n, need, o.Batch, o.Context)
	}
	return nil
}

// window copies the window whose first input is stream step s0 into x
// (Past()+T steps) and its targets into y (T steps).
func (f *realFeed) window(x, y, stream []float64, s0, T int) {
	d, p := f.d, f.p
	for k := range p + T {
		t := s0 - p + k
		if t < 0 {
			for i := range d {
				x[k*d+i] = math.NaN()
			}
			continue
		}
		copy(x[k*d:(k+1)*d], stream[t*d:(t+1)*d])
	}
	copy(y[:T*d], stream[(s0+1)*d:(s0+T+1)*d])
}

// step runs one optimizer step's micro-batches through the model, leaving
// the gradient of the mean loss in the arena, and returns the summed loss
// and the number of scored values. The values scored are known only after
// the forward passes (a missing input unscores its step), so each
// micro-batch's gradient is accumulated at scale 1 and the sum is divided
// once at the end.
func (f *realFeed) step(t *Trainer) (float64, int) {
	o := t.Opts
	B, T, d, p := o.Batch, o.Context, f.d, f.p
	n := len(f.stream) / d
	xs, ys := B*(p+T)*d, B*T*d
	var sum float64
	var scored int
	for k := range o.Accum {
		x, y := f.x[k*xs:(k+1)*xs], f.y[k*ys:(k+1)*ys]
		if r, ok := f.m.(Recurrent); ok {
			part := n / B
			windows := int64((part - 1) / T)
			if t.pos >= windows {
				t.pos = 0
				clear(r.Carry(B))
			}
			for b := range B {
				f.window(x[b*(p+T)*d:], y[b*T*d:], f.stream, b*part+int(t.pos)*T, T)
			}
			t.pos++
		} else {
			for b := range B {
				f.window(x[b*(p+T)*d:], y[b*T*d:], f.stream, t.dataRng.IntN(n-T), T)
			}
		}
		if o.InputNoise.real() {
			_, scale := f.m.Standardization()
			t.noiseReal(x, scale)
		}
		if t.sampling() {
			t.mixReal(f.m, x, y, B, T)
		}
		s, c := f.m.Forward(x, y, B, T, t.dropRng)
		sum += s
		scored += c
		f.m.Backward(1)
	}
	scored = max(scored, 1)
	kernels.Scale(float32(1/float64(scored)), f.m.Arena().Grads)
	return sum, scored
}

// ValidateReal returns the mean loss per value on the validation parts of
// ss, without dropout: every validation value scored one step ahead given
// the whole series before it. A recurrent model runs each series from a
// zero state in consecutive windows of Context steps (its training state
// is restored afterwards). A feed-forward model scores the validation
// values in chunks of Context/2, each in a window that starts Context/2
// steps before the chunk, so every prediction sees between Context/2 and
// Context steps of history, as its inference state's window does.
func (t *Trainer) ValidateReal(ss []Series) float64 {
	m, ok := t.Model.(RealModel)
	if !ok {
		panic("train: ValidateReal of a token model")
	}
	T, d, p := t.Opts.Context, m.Dim(), m.Past()
	x, y := make([]float64, (p+T)*d), make([]float64, T*d)
	var sum float64
	var n int
	f := realFeed{d: d, p: p}
	run := func(vals []float64, from, s0, w, score int) {
		// Inputs s0..s0+w−1; the targets from step max(from, score) on
		// are scored.
		f.window(x, y, vals, s0, w)
		for k := range w {
			if s0+k+1 < max(from, score) {
				for i := range d {
					y[k*d+i] = math.NaN()
				}
			}
		}
		s, c := m.Forward(x[:(p+w)*d], y[:w*d], 1, w, nil)
		sum += s
		n += c
	}
	if r, rec := m.(Recurrent); rec {
		saved := append([]float32(nil), r.Carry(t.Opts.Batch)...)
		for _, s := range ss {
			steps := len(s.Values) / d
			if s.Train >= steps {
				continue
			}
			clear(r.Carry(1))
			for s0 := 0; s0 < steps-1; s0 += T {
				run(s.Values, s.Train, s0, min(T, steps-1-s0), 0)
			}
		}
		copy(r.Carry(t.Opts.Batch), saved)
		return sum / float64(max(n, 1))
	}
	half := max(1, T/2)
	for _, s := range ss {
		steps := len(s.Values) / d
		// Chunks of targets [c, c+half) from the validation part's start;
		// target c follows input c−1.
		for c := max(1, s.Train); c < steps; c += half {
			end := min(c+half, steps)
			s0 := max(0, end-1-T) // the window's first input
			run(s.Values, s.Train, s0, end-1-s0, c)
		}
	}
	return sum / float64(max(n, 1))
}

// errNoRealData reports a real-valued run without series.
var errNoRealData = errors.New("train: a real-valued model needs series (Data.Series)")
