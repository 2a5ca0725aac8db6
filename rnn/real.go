package rnn

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// RealModel is a recurrent network over real-valued steps x_t ∈ R^D (a
// time series): the layers of a Model, whose first layer reads the step's
// input vector (the standardized value and its lags, package
// internal/realio) in place of a token embedding, and a linear output
// layer emitting a distribution head's raw parameters in place of the
// softmax:
//
//	h⁰_t = (z_t, z_{t+1−ℓ₁}, …)               z = (x − mean)/scale
//	h^l_t, c^l_t = cell(W^l h^(l−1)_t + b^l, U^l h^l_(t−1), c^l_(t−1))
//	P(x_(t+1) | x≤t) = Affine(Head(W_o h^L_t + b_o), mean, scale)
//
// It implements autoreg.RealModel (a state carries h and c per layer and
// the lags' history) and the training interface of package train for
// real-valued models, including train.Recurrent (truncated backpropagation
// through time).
type RealModel struct {
	m           *Model      // no embedding; the output layer is the head's (Outputs, H)
	hw          tensor.View // (Outputs, Inputs): the highway, when Spec.Highway
	realio.Base             // the head, lags and standardization, and their accessors
	tr          realTrain
}

// realTrain holds a Forward's head activations for Backward.
type realTrain struct {
	tgt, raw, draw []float32 // (N,D), (N,Outputs), (N,Outputs)
	top            []float32 // the top layer's output (N,H), the stack's
	loss, rows     []float32 // the loss per step (N, time-major), and window-major
	ready          bool
}

// NewReal returns a real-valued model of the cells, layers, width and
// dropout of cfg (cfg.Embed must be 0: the inputs are the spec's), with
// spec's head, lags and standardization, initialized as New from seed.
func NewReal(cfg Config, spec realio.Spec, seed uint64) (*RealModel, error) {
	r, err := buildReal(cfg, spec)
	if err != nil {
		return nil, err
	}
	r.m.init(seed)
	clear(r.hw.Data(r.m.arena)) // the highway starts from nothing
	return r, nil
}

func buildReal(cfg Config, spec realio.Spec) (*RealModel, error) {
	if err := spec.Check(); err != nil {
		return nil, fmt.Errorf("rnn: %v", err)
	}
	if cfg.Embed != 0 {
		return nil, errors.New("rnn: a real-valued model has no embedding width (its inputs are the steps and their lags)")
	}
	cfg.Embed = spec.Inputs()
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	r := &RealModel{Base: realio.Base{Spec: spec}}
	r.m = layout(cfg, 0, spec.Outputs(), false, func(b *tensor.Builder) {
		if spec.Highway {
			r.hw = b.Add("hw.weight", true, spec.Outputs(), spec.Inputs())
		}
	})
	return r, nil
}

// Config returns the recurrent configuration (Embed is 0).
func (r *RealModel) Config() Config {
	c := r.m.cfg
	c.Embed = 0
	return c
}

// Arena returns the parameters and gradients.
func (r *RealModel) Arena() *tensor.Arena { return r.m.arena }

// Carry returns the hidden state carried between Forwards (see
// Model.Carry).
func (r *RealModel) Carry(B int) []float32 { return r.m.Carry(B) }

// Forward runs B windows of T steps, starting from the carried state and
// leaving the final state there. Row b of x holds Past()+T steps in the
// data's units (NaN missing): the history the lags read, then the T input
// steps; row b of y the T target steps, the step after each input. It
// returns the summed negative log-likelihood of the standardized targets
// in nats and the number of values scored (a missing target, or any target
// of a step whose inputs hold a missing value, is not scored). rng drives
// dropout (nil: none).
func (r *RealModel) Forward(x, y []float64, B, T int, rng *rand.Rand) (sum float64, n int) {
	m, sp := r.m, &r.Spec
	if T < 1 || B < 1 {
		panic(fmt.Sprintf("rnn: Forward: B=%d T=%d", B, T))
	}
	s := m.acts(B, T)
	N, H, no := B*T, m.cfg.Hidden, sp.Outputs()
	tr := &r.tr
	tensor.Grow(&tr.tgt, N*sp.Dim())
	tensor.Grow(&tr.raw, N*no)
	tensor.Grow(&tr.draw, N*no)
	tensor.Grow(&tr.loss, N)
	sp.Windows(s.emb, tr.tgt, x, y, B, T, true)
	a := m.arena
	s.lookup = false
	tr.top = m.stack.Forward(a, &s.st, s.emb[:N*sp.Inputs()], m.Carry(B), B, T, rng)
	nn.LinearForward(tr.raw[:N*no], tr.top, m.wout.Data(a), m.bout.Data(a), N, H, no)
	if sp.Highway {
		sp.HighwayForward(tr.raw, s.emb, r.hw.Data(a), N)
	}
	sum, n = sp.Loss(tr.draw, tr.raw, tr.tgt, N, tr.loss)
	tr.ready = true
	return sum, n
}

// Predicted fills d (made by Head().New(Dim())) with the distribution
// over standardized values that the last Forward predicted for window b's
// step t (train.RealPredictor).
func (r *RealModel) Predicted(d dist.Dist, b, t int) {
	s := r.m.tr
	r.Spec.FillRow(d, r.tr.raw, t*s.B+b)
}

// Losses returns the loss of every step of the last Forward (B×T,
// window-major; 0 where nothing is scored), valid until the next Forward
// (train.RowWeighted).
func (r *RealModel) Losses() []float32 {
	s, tr := r.m.tr, &r.tr
	B, T := s.B, s.T
	tensor.Grow(&tr.rows, B*T)
	for b := range B {
		for t := range T {
			tr.rows[b*T+t] = tr.loss[t*B+b]
		}
	}
	return tr.rows[:B*T]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward), through time within the batch.
func (r *RealModel) Backward(scale float32) { r.backward(scale, nil) }

// BackwardRows accumulates into the arena's gradients the gradient of
// Σ_b w[b]·(summed loss of window b of the last Forward): a weight per
// window, as minimum risk training needs (train.RowWeighted).
func (r *RealModel) BackwardRows(w []float32) { r.backward(1, w) }

// backward is Backward, and with rows set BackwardRows.
func (r *RealModel) backward(scale float32, rows []float32) {
	m, tr := r.m, &r.tr
	s := m.tr
	if s == nil || !tr.ready {
		panic("rnn: Backward without Forward")
	}
	tr.ready = false
	a := m.arena
	N, H, no := s.B*s.T, m.cfg.Hidden, r.Spec.Outputs()
	draw := tr.draw[:N*no]
	if rows != nil {
		r.Spec.WeightRows(draw, rows, s.B, s.T, true)
	} else {
		kernels.Scale(scale, draw)
	}
	fused.LinearBackwardSet(s.dtmp, m.wout.Grad(a), m.bout.Grad(a), draw, tr.top, m.wout.Data(a), N, H, no)
	if r.Spec.Highway {
		r.Spec.HighwayBackward(r.hw.Grad(a), draw, s.emb, N)
	}
	m.stack.Backward(a, &s.st, s.dtmp, nil)
}

// NewRealState returns a state holding the empty history (zero hidden
// state, the training mean as every lagged value).
func (r *RealModel) NewRealState() autoreg.RealState { return r.newRealState(r.m.stack.Step) }

// newRealState returns an empty state whose network runs through step
// (the Stack's Step or StepExact).
func (r *RealModel) newRealState(step func(a *tensor.Arena, sc *StepBuf, h, c, in []float32)) *realState {
	m := r.m
	L, H := m.cfg.Layers, m.cfg.Hidden
	st := &realState{r: r, hist: realio.NewHistory(&r.Spec), h: make([]float32, L*H), c: make([]float32, L*H),
		buf: m.stack.NewStepBuf(), raw: make([]float32, r.Spec.Outputs()), in: make([]float32, r.Spec.Inputs()), out: r.Spec.NewOutput()}
	nin := r.Spec.Inputs()
	st.run = func(in []float32, n int) {
		for k := range n {
			step(m.arena, &st.buf, st.h, st.c, in[k*nin:(k+1)*nin])
		}
		st.fresh = false
	}
	st.predict = st.Predict
	return st
}

// realState is one history of a RealModel.
type realState struct {
	r       *RealModel
	hist    *realio.History
	h, c    []float32 // (L,H)
	buf     StepBuf
	raw     []float32 // the head's raw outputs
	in      []float32 // the last step's input vector, for the highway
	out     *realio.Output
	fresh   bool // out (or exact) holds the prediction of the current history
	run     func(in []float32, n int)
	predict func() dist.Dist
	exact   *realio.ExactOutput // the exact path's output (NewExactRealState), else nil
	tmp     []float32           // exact path: the highway's product
}

// Append runs the network over xs, one step at a time; a NaN is the
// predictive mean.
func (s *realState) Append(xs ...float64) { s.hist.Append(xs, s.run, s.predict) }

// Predict returns the next step's distribution in the data's units.
func (s *realState) Predict() dist.Dist {
	if s.exact != nil {
		if !s.fresh {
			s.predictExact()
			s.fresh = true
		}
		return s.exact.Dist()
	}
	if !s.fresh {
		m := s.r.m
		H, L := m.cfg.Hidden, m.cfg.Layers
		a := m.arena
		nn.LinearForward(s.raw, s.h[(L-1)*H:L*H], m.wout.Data(a), m.bout.Data(a), 1, H, len(s.raw))
		if sp := &s.r.Spec; sp.Highway {
			s.hist.Input(s.in)
			sp.HighwayForward(s.raw, s.in, s.r.hw.Data(a), 1)
		}
		s.out.Fill(s.raw)
		s.fresh = true
	}
	return s.out.Dist()
}

// CopyTo makes dst, a state of the same model, an independent copy.
func (s *realState) CopyTo(dst autoreg.RealState) {
	d, ok := dst.(*realState)
	if !ok || d.r != s.r || (d.exact == nil) != (s.exact == nil) {
		panic("rnn: CopyTo: destination is not a state of the same model")
	}
	copy(d.h, s.h)
	copy(d.c, s.c)
	s.hist.CopyTo(d.hist)
	d.fresh = false
}

// Reset returns to the empty history.
func (s *realState) Reset() {
	clear(s.h)
	clear(s.c)
	s.hist.Reset()
	s.fresh = false
}

// Len is the number of steps appended since Reset.
func (s *realState) Len() int { return s.hist.Len() }
