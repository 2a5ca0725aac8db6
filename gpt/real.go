package gpt

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/internal/window"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// RealModel is a GPT over real-valued steps x_t ∈ R^D (a time series): the
// blocks of a Model, fed by a linear projection of each step's input
// vector (the standardized value and its lags, package internal/realio)
// in place of the token embedding, and read by a linear output layer
// emitting a distribution head's raw parameters in place of the tied
// softmax:
//
//	h⁰_t = W_in (z_t, z_{t+1−ℓ₁}, …) + b_in + wpe[t]     z = (x − mean)/scale
//	h^L  = the blocks of Model
//	P(x_(t+1) | x≤t) = Affine(Head(W_o LN_f(h^L_t) + b_o), mean, scale)
//
// It implements autoreg.RealModel (a state keeps a key/value cache of a
// window of Context steps, dropping the oldest half when full as Model's
// states do) and the training interface of package train for real-valued
// models.
type RealModel struct {
	m                    *Model      // no token embedding
	realio.Base                      // the head, lags and standardization, and their accessors
	win, bin, wout, bout tensor.View // (C,In), (C), (Outputs,C), (Outputs)
	hw                   tensor.View // (Outputs,In): the highway, when Spec.Highway
	inp, tgt, raw, draw  []float32   // a Forward's (N,In), (N,D), (N,Outputs) ×2
	loss                 []float32   // a Forward's loss per step (N)
	ready                bool
}

// NewReal returns a real-valued model of the shape and dropout of cfg with
// spec's head, lags and standardization, initialized as New: the input
// projection and the head N(0, 0.02²), their biases and the highway zero,
// from seed alone.
func NewReal(cfg Config, spec realio.Spec, seed uint64) (*RealModel, error) {
	r, err := buildReal(cfg, spec)
	if err != nil {
		return nil, err
	}
	rng := r.m.init(seed)
	tensor.Normal(r.win.Data(r.m.arena), 0.02, rng)
	tensor.Normal(r.wout.Data(r.m.arena), 0.02, rng)
	return r, nil
}

func buildReal(cfg Config, spec realio.Spec) (*RealModel, error) {
	if err := spec.Check(); err != nil {
		return nil, fmt.Errorf("gpt: %v", err)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	r := &RealModel{Base: realio.Base{Spec: spec}}
	C, nin, no := cfg.Dim, spec.Inputs(), spec.Outputs()
	r.m = layout(cfg, 0, func(b *tensor.Builder) {
		r.win = b.Add("in.weight", true, C, nin)
		r.bin = b.Add("in.bias", false, C)
		r.wout = b.Add("out.weight", true, no, C)
		r.bout = b.Add("out.bias", false, no)
		if spec.Highway {
			r.hw = b.Add("hw.weight", true, no, nin)
		}
	})
	return r, nil
}

// Config returns the Transformer's configuration.
func (r *RealModel) Config() Config { return r.m.cfg }

// Arena returns the parameters and gradients.
func (r *RealModel) Arena() *tensor.Arena { return r.m.arena }

// ContextLen is the attention window in steps.
func (r *RealModel) ContextLen() int { return r.m.cfg.Context }

// Forward runs B windows of T ≤ Context steps, each from the window's
// first position. Row b of x holds Past()+T steps in the data's units (NaN
// missing): the history the lags read, then the T input steps; row b of y
// the T target steps. It returns the summed negative log-likelihood of the
// standardized targets in nats and the number of values scored (a missing
// target, or any target of a step whose inputs hold a missing value, is
// not scored). rng drives dropout (nil: none).
func (r *RealModel) Forward(x, y []float64, B, T int, rng *rand.Rand) (sum float64, n int) {
	m, sp := r.m, &r.Spec
	if T < 1 || T > m.cfg.Context || B < 1 {
		panic(fmt.Sprintf("gpt: Forward: B=%d T=%d, context %d", B, T, m.cfg.Context))
	}
	m.ParamsChanged()
	s := m.acts(B, T)
	a := m.arena
	C, N, nin, no := m.cfg.Dim, B*T, sp.Inputs(), sp.Outputs()
	tensor.Grow(&r.inp, N*nin)
	tensor.Grow(&r.tgt, N*sp.Dim())
	tensor.Grow(&r.raw, N*no)
	tensor.Grow(&r.draw, N*no)
	tensor.Grow(&r.loss, N)
	sp.Windows(r.inp, r.tgt, x, y, B, T, false)
	nn.LinearForward(s.encoded, r.inp[:N*nin], r.win.Data(a), r.bin.Data(a), N, nin, C)
	wpe := m.wpe.Data(a)
	for b := range B {
		for t := range T {
			row := s.encoded[(b*T+t)*C : (b*T+t+1)*C]
			kernels.Add(row, row, wpe[t*C:(t+1)*C])
		}
	}
	s.dropout = rng != nil && m.cfg.Dropout > 0
	if s.dropout {
		nn.DropoutForward(s.encoded, s.drop0, s.encoded, m.cfg.Dropout, rng)
	}
	m.blocksForward(s, rng)
	nn.LinearForward(r.raw[:N*no], s.head.LN, r.wout.Data(a), r.bout.Data(a), N, C, no)
	if sp.Highway {
		sp.HighwayForward(r.raw, r.inp, r.hw.Data(a), N)
	}
	sum, n = sp.Loss(r.draw, r.raw, r.tgt, N, r.loss)
	r.ready = true
	return sum, n
}

// Predicted fills d (made by Head().New(Dim())) with the distribution
// over standardized values that the last Forward predicted for window b's
// step t (train.RealPredictor).
func (r *RealModel) Predicted(d dist.Dist, b, t int) {
	r.Spec.FillRow(d, r.raw, b*r.m.tr.T+t)
}

// Losses returns the loss of every step of the last Forward (B×T,
// window-major; 0 where nothing is scored), valid until the next Forward
// (train.RowWeighted).
func (r *RealModel) Losses() []float32 {
	s := r.m.tr
	return r.loss[:s.B*s.T]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward).
func (r *RealModel) Backward(scale float32) { r.backward(scale, nil) }

// BackwardRows accumulates into the arena's gradients the gradient of
// Σ_b w[b]·(summed loss of window b of the last Forward): a weight per
// window, as minimum risk training needs (train.RowWeighted).
func (r *RealModel) BackwardRows(w []float32) { r.backward(1, w) }

// backward is Backward, and with rows set BackwardRows.
func (r *RealModel) backward(scale float32, rows []float32) {
	m := r.m
	s := m.tr
	if s == nil || !r.ready {
		panic("gpt: Backward without Forward")
	}
	r.ready = false
	m.ParamsChanged()
	a := m.arena
	B, T := s.B, s.T
	C, N, nin, no := m.cfg.Dim, B*T, r.Spec.Inputs(), r.Spec.Outputs()
	draw := r.draw[:N*no]
	if rows != nil {
		r.Spec.WeightRows(draw, rows, B, T, false)
	} else {
		kernels.Scale(scale, draw)
	}
	fused.LinearBackwardSet(s.dA, r.wout.Grad(a), r.bout.Grad(a), draw, s.head.LN, r.wout.Data(a), N, C, no)
	if r.Spec.Highway {
		r.Spec.HighwayBackward(r.hw.Grad(a), draw, r.inp, N)
	}
	demb := m.blocksBackward(s)
	dwpe := m.wpe.Grad(a)
	for b := range B {
		for t := range T {
			kernels.Add(dwpe[t*C:(t+1)*C], dwpe[t*C:(t+1)*C], demb[(b*T+t)*C:(b*T+t+1)*C])
		}
	}
	nn.LinearBackward(nil, r.win.Grad(a), r.bin.Grad(a), demb, r.inp[:N*nin], r.win.Data(a), N, nin, C)
}

// NewRealState returns a state holding the empty history.
func (r *RealModel) NewRealState() autoreg.RealState {
	m := r.m
	C, T, nin := m.cfg.Dim, m.cfg.Context, r.Spec.Inputs()
	st := &realState{r: r, core: m.newState(false), hist: realio.NewHistory(&r.Spec), win: make([]float32, T*nin),
		top: make([]float32, C), ln: make([]float32, C), raw: make([]float32, r.Spec.Outputs()), in: make([]float32, nin),
		out: r.Spec.NewOutput()}
	st.run = st.appendInputs
	st.predict = st.Predict
	return st
}

// realState is one history of a RealModel: the window's input vectors and
// their keys and values (in core, a token State used for its caches and
// scratch only), and the lags' history.
type realState struct {
	r       *RealModel
	core    *State
	hist    *realio.History
	win     []float32 // (Context, In): the inputs of the window's positions
	pos     int       // positions in the window
	top     []float32 // (C): the last position's residual stream
	ln      []float32 // (C)
	raw     []float32
	in      []float32 // the last step's input vector, for the highway
	out     *realio.Output
	fresh   bool
	run     func(in []float32, n int)
	predict func() dist.Dist
}

// Append runs the network over xs; a NaN is the predictive mean.
func (s *realState) Append(xs ...float64) { s.hist.Append(xs, s.run, s.predict) }

// appendInputs adds n input vectors to the window. When they overflow it,
// the window appending them one at a time would end with (the oldest half
// dropped at each overflow) is encoded from position 0 in one pass: the
// same result up to float rounding.
func (s *realState) appendInputs(in []float32, n int) {
	T, nin := s.r.m.cfg.Context, s.r.Spec.Inputs()
	s.fresh = false
	if s.pos+n <= T {
		copy(s.win[s.pos*nin:], in[:n*nin])
		s.encode(s.pos, n)
		return
	}
	p := window.Final(s.pos, n, T)
	// The new window: the last p−n positions of the old one, if p > n,
	// then the last min(p, n) new inputs.
	if p > n {
		copy(s.win, s.win[(s.pos-(p-n))*nin:s.pos*nin])
		copy(s.win[(p-n)*nin:], in[:n*nin])
	} else {
		copy(s.win, in[(n-p)*nin:n*nin])
	}
	s.pos = 0
	s.encode(0, p)
}

// encode runs the window's positions at..at+n−1 through the network and
// keeps the last one's residual stream.
func (s *realState) encode(at, n int) {
	m, a := s.r.m, s.r.m.arena
	C, nin := m.cfg.Dim, s.r.Spec.Inputs()
	c := s.core
	c.grow(n)
	x := c.x[:n*C]
	nn.LinearForward(x, s.win[at*nin:(at+n)*nin], s.r.win.Data(a), s.r.bin.Data(a), n, nin, C)
	wpe := m.wpe.Data(a)
	for i := range n {
		kernels.Add(x[i*C:(i+1)*C], x[i*C:(i+1)*C], wpe[(at+i)*C:(at+i+1)*C])
	}
	c.blocks(x, n, at)
	copy(s.top, x[(n-1)*C:])
	s.pos = at + n
}

// Predict returns the next step's distribution in the data's units. The
// empty history's is the head of the final LayerNorm of a zero residual
// stream.
func (s *realState) Predict() dist.Dist {
	if !s.fresh {
		m, a := s.r.m, s.r.m.arena
		if s.pos == 0 {
			clear(s.top)
		}
		layerNormRows(s.ln, s.top, m.lnfw.Data(a), m.lnfb.Data(a), 1, m.cfg.Dim)
		nn.LinearForward(s.raw, s.ln, s.r.wout.Data(a), s.r.bout.Data(a), 1, m.cfg.Dim, len(s.raw))
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
	if !ok || d.r != s.r {
		panic("gpt: CopyTo: destination is not a state of the same model")
	}
	nin := s.r.Spec.Inputs()
	copy(d.win[:s.pos*nin], s.win[:s.pos*nin])
	s.core.copyCache(d.core, s.pos)
	copy(d.top, s.top)
	d.pos = s.pos
	s.hist.CopyTo(d.hist)
	d.fresh = false
}

// Reset returns to the empty history.
func (s *realState) Reset() {
	s.pos = 0
	s.hist.Reset()
	s.fresh = false
}

// Len is the number of steps appended since Reset.
func (s *realState) Len() int { return s.hist.Len() }
