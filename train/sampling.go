package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg/dist"
)

// Scheduled sampling (Bengio, Vinyals, Jaitly and Shazeer 2015, "Scheduled
// Sampling for Sequence Prediction with Recurrent Neural Networks"): with
// teacher forcing a model only ever conditions on true histories, while
// generating it conditions on its own predictions. Scheduled sampling
// feeds it, at each input that is the previous position's true target,
// its own prediction there instead, with probability 1 − ε, ε decaying
// over training from 1 (teacher forcing) to a floor. The loss always
// targets the true next element.
//
// How the prediction is made depends on the model:
//
//   - A recurrent model (LSTM, GRU; tokens or real values) runs the window
//     token by token first, from the batch's starting state, drawing the
//     input of step t+1 from the prediction of step t given the inputs
//     already mixed (Bengio et al.'s form). The training pass then runs
//     the window on the mixed inputs.
//   - A feed-forward model (GPT) and the encoder-decoder take the two-pass
//     form of Mihaylova and Martins (2019, "Scheduled Sampling for
//     Transformers"): a first teacher-forced pass predicts every position,
//     the inputs are mixed with those predictions, and the second pass,
//     which alone is trained, reads the mixture. Training stays parallel.
//   - Real-valued models feed back a sample of the predicted distribution
//     (its mean with Greedy); the lags of later steps read the fed-back
//     value too, as they do when a forecast runs.
//
// The decision passes run without dropout and draw from a generator of
// their own (seeded from Options.Seed, saved in checkpoints), so the data
// order and the dropout masks are those of plain training, a resumed run
// continues exactly, and with ε = 1 nothing is drawn and training is bit
// for bit plain training. Token predictions never feed <s> (samplers ban
// it too).

// Sampling configures scheduled sampling (Options.ScheduledSampling).
type Sampling struct {
	// Schedule is the decay of the teacher-forcing probability ε:
	// "linear", "exp" or "sigmoid" (see Epsilon).
	Schedule string `json:"schedule"`
	// Floor is the ε the schedule decays to, in [0, 1].
	Floor float64 `json:"floor"`
	// Steps is the decay's horizon in optimizer steps; 0 means the run's.
	Steps int `json:"steps,omitempty"`
	// Greedy feeds the most probable token (a real model: the predicted
	// mean) instead of a sample.
	Greedy bool `json:"greedy,omitempty"`
}

// Schedules lists the decay schedules of Sampling.
var Schedules = []string{"linear", "exp", "sigmoid"}

// Check reports settings no run can use.
func (s *Sampling) Check() error {
	switch s.Schedule {
	case "linear", "exp", "sigmoid":
	default:
		return fmt.Errorf("train: scheduled sampling: schedule %q, want linear, exp or sigmoid", s.Schedule)
	}
	if !(s.Floor >= 0 && s.Floor <= 1) {
		return fmt.Errorf("train: scheduled sampling: floor %g, want [0, 1]", s.Floor)
	}
	if s.Steps < 0 {
		return fmt.Errorf("train: scheduled sampling: %d steps", s.Steps)
	}
	return nil
}

// Epsilon returns the teacher-forcing probability ε at the 0-based step of
// a run of steps: ε = Floor + (1 − Floor)·g(u), u = step/H, H the horizon
// (Steps, or steps), with the decay
//
//	linear   g(u) = max(0, 1 − u)
//	exp      g(u) = 0.01^u                (Bengio et al.'s k^i, k = 0.01^(1/H))
//	sigmoid  g(u) = σ(6 − 12u)/σ(6)       (their inverse sigmoid, half-way at u = ½)
//
// so ε starts at exactly 1 and is within 1% of (1 − Floor) of the floor
// by the horizon. It depends on the step alone, so a resumed run
// continues the schedule.
func (s *Sampling) Epsilon(step, steps int) float64 {
	h := s.Steps
	if h <= 0 {
		h = steps
	}
	u := float64(step) / float64(max(h, 1))
	var g float64
	switch s.Schedule {
	case "linear":
		g = max(0, 1-u)
	case "exp":
		g = math.Pow(0.01, u)
	case "sigmoid":
		sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
		g = sig(6-12*u) / sig(6)
	}
	if step == 0 {
		g = 1
	}
	return s.Floor + (1-s.Floor)*min(g, 1)
}

// ParseSampling reads a --scheduled-sampling value: a schedule, then
// comma-separated settings floor=F, steps=N and greedy
// ("sigmoid,floor=0.5,steps=4000"). The floor defaults to 0.
func ParseSampling(v string) (*Sampling, error) {
	parts := strings.Split(v, ",")
	s := &Sampling{Schedule: parts[0]}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		var err error
		switch k {
		case "floor":
			s.Floor, err = strconv.ParseFloat(val, 64)
		case "steps":
			s.Steps, err = strconv.Atoi(val)
		case "greedy":
			if val != "" {
				err = errors.New("takes no value")
			}
			s.Greedy = true
		default:
			err = errors.New("unknown setting (want floor=, steps=, greedy)")
		}
		if err != nil {
			return nil, fmt.Errorf("train: scheduled sampling %q: %s: %v", v, p, err)
		}
	}
	return s, s.Check()
}

// Predictor is a token model (a Model or a PairModel) whose last forward
// pass's predictions can be read: scheduled sampling needs it.
type Predictor interface {
	// Probs returns the next-token probabilities that the last Forward
	// or ForwardPairs predicted for row b at position t: the whole
	// vocabulary, or its first tokens when only those can follow (a
	// PixelCNN's levels); valid until the next forward or backward pass.
	Probs(b, t int) []float32
}

// RealPredictor is a RealModel whose last Forward's predictions can be
// read: scheduled sampling needs it.
type RealPredictor interface {
	// Predicted fills d (made by Head().New(Dim())) with the distribution
	// over standardized values that the last Forward predicted for
	// window b's step t.
	Predicted(d dist.Dist, b, t int)
}

// checkSampling reports a model scheduled sampling cannot drive.
func checkSampling(m Trainable, o Options) error {
	if o.ScheduledSampling == nil {
		return nil
	}
	if err := o.ScheduledSampling.Check(); err != nil {
		return err
	}
	if w, ok := m.(WholeSequences); ok && w.WholeSequences() {
		return fmt.Errorf("train: scheduled sampling: a %s reads whole sequences (its encoder would read the fed-back tokens too)", familyName(m))
	}
	switch m.(type) {
	case RealModel:
		if _, ok := m.(RealPredictor); !ok {
			return fmt.Errorf("train: scheduled sampling: a %s does not expose its predictions", familyName(m))
		}
	default:
		if _, ok := m.(Predictor); !ok {
			return fmt.Errorf("train: scheduled sampling: a %s does not expose its predictions", familyName(m))
		}
	}
	return nil
}

// exposure is the trainer's state for the remedies against exposure bias:
// scheduled sampling and input noise.
type exposure struct {
	src *rand.PCG // their generator ("expo"), saved in checkpoints
	rng *rand.Rand
	eps float64 // the current step's ε (1: plain teacher forcing)
	// The current step's counts: inputs that could be fed back and those
	// that were; noise (see noise.go).
	eligible, fed int
	noise         noiseCounts
	// fedMask marks the inputs of the last mixed micro-batch that were
	// fed from the model (B×T, row-major).
	fedMask []bool
	// Scratch of the token-by-token passes.
	x1, y1 []int32
	rx, ry []float64
	carry  []float32
	d      dist.Dist
}

// newExposureSource returns the generator of scheduled sampling and input
// noise of a run seeded with seed.
func newExposureSource(seed uint64) *rand.PCG {
	return rand.NewPCG(seed, 0x6578706f) // "expo"
}

// beginStep sets the step's ε and clears the counts.
func (t *Trainer) beginStep() {
	e := &t.exp
	e.eps = 1
	if s := t.Opts.ScheduledSampling; s != nil {
		e.eps = s.Epsilon(t.Step, t.Opts.Steps)
	}
	e.eligible, e.fed = 0, 0
	e.noise = noiseCounts{}
}

// sampling reports whether this step feeds predictions back.
func (t *Trainer) sampling() bool { return t.exp.eps < 1 }

// exposureSettings records the step's ε, the fraction of eligible inputs
// fed back and the measured noise rates among the step's loss parts.
func (t *Trainer) exposureSettings() {
	e := &t.exp
	if t.Opts.ScheduledSampling != nil {
		t.setting("ss_epsilon", e.eps)
		t.setting("ss_fed", float64(e.fed)/float64(max(e.eligible, 1)))
	}
	if n := t.Opts.InputNoise; n != nil {
		e.noise.settings(t, n)
	}
}

// setting records a named setting of the step (Point.Parts).
func (t *Trainer) setting(name string, v float64) {
	a := &t.parts
	if a.sums == nil {
		a.sums, a.settings = map[string]float64{}, map[string]float64{}
	}
	a.settings[name] = v
}

// feedable reports whether input t+1 of a row (inputs x, targets y) is the
// true target of position t, and so may be replaced by the prediction
// there: position t has a target, position t+1 has one too (not
// padding), and its input is that target.
func feedable(x, y []int32, t int) bool {
	return y[t] != Ignore && y[t+1] != Ignore && x[t+1] == y[t]
}

// draw decides whether an eligible input is fed from the model.
func (e *exposure) draw() bool {
	e.eligible++
	if e.rng.Float64() < e.eps {
		return false
	}
	e.fed++
	return true
}

// pick returns the token fed back from probabilities p: a sample (or the
// most probable token with greedy), never bos.
func (e *exposure) pick(p []float32, bos int32, greedy bool) int32 {
	if greedy {
		best := int32(-1)
		for i, v := range p {
			if int32(i) != bos && (best < 0 || v > p[best]) {
				best = int32(i)
			}
		}
		return best
	}
	var total float64
	for i, v := range p {
		if int32(i) != bos {
			total += float64(v)
		}
	}
	u := e.rng.Float64() * total
	last := int32(-1)
	for i, v := range p {
		if int32(i) == bos {
			continue
		}
		last = int32(i)
		if u -= float64(v); u < 0 {
			return int32(i)
		}
	}
	return last // rounding: the last token
}

// mixTokens replaces inputs of B rows of T (x, y row-major) by the
// model's predictions, as scheduled sampling prescribes for the model's
// kind; fresh says a recurrent model starts every row from a zero state.
// The caller's forward pass then trains on the mixture.
func (t *Trainer) mixTokens(x, y []int32, B, T int, fresh bool) {
	m := t.Model.(Model)
	if _, rec := m.(Recurrent); rec {
		t.mixRecurrent(m, x, y, B, T, fresh)
		return
	}
	m.Forward(x, y, B, T, nil)
	t.mixFrom(m.(Predictor), x, y, B, T, int32(m.Vocab().BOS()))
}

// mixFrom mixes x with the predictions of a teacher-forced first pass
// (the two-pass form): input t+1 of row b from the prediction at t.
func (t *Trainer) mixFrom(p Predictor, x, y []int32, B, T int, bos int32) {
	e := &t.exp
	greedy := t.Opts.ScheduledSampling.Greedy
	e.fedMask = grow(e.fedMask, B*T)
	clear(e.fedMask)
	for b := range B {
		xr, yr := x[b*T:(b+1)*T], y[b*T:(b+1)*T]
		for i := range T - 1 {
			if feedable(xr, yr, i) && e.draw() {
				xr[i+1] = e.pick(p.Probs(b, i), bos, greedy)
				e.fedMask[b*T+i+1] = true
			}
		}
	}
}

// mixRecurrent runs a recurrent token model one step at a time over the
// window, from the carried state (or zero), feeding each step's input
// from the previous step's prediction with probability 1 − ε, and puts
// the carried state back.
func (t *Trainer) mixRecurrent(m Model, x, y []int32, B, T int, fresh bool) {
	e := &t.exp
	r := m.(Recurrent)
	p := m.(Predictor)
	bos := int32(m.Vocab().BOS())
	greedy := t.Opts.ScheduledSampling.Greedy
	carry := r.Carry(B)
	e.carry = append(e.carry[:0], carry...)
	if fresh {
		clear(carry)
	}
	e.x1, e.y1 = grow(e.x1, B), grow(e.y1, B)
	e.fedMask = grow(e.fedMask, B*T)
	clear(e.fedMask)
	for i := range T - 1 {
		for b := range B {
			e.x1[b], e.y1[b] = x[b*T+i], y[b*T+i]
		}
		m.Forward(e.x1, e.y1, B, 1, nil)
		for b := range B {
			xr, yr := x[b*T:(b+1)*T], y[b*T:(b+1)*T]
			if feedable(xr, yr, i) && e.draw() {
				xr[i+1] = e.pick(p.Probs(b, 0), bos, greedy)
				e.fedMask[b*T+i+1] = true
			}
		}
	}
	copy(r.Carry(B), e.carry)
}

// mixPairs is the two-pass form for an encoder-decoder's batch.
func (t *Trainer) mixPairs(m PairModel, p *pairArrays) {
	m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, nil)
	t.mixFrom(m.(Predictor), p.x, p.y, p.B, p.T, int32(m.Vocab().BOS()))
}

// mixReal feeds a real-valued model's predictions back into B windows
// (x: Past()+T steps per row, y: T targets per row): input step i+1 of a
// window becomes a draw from the prediction of step i (its mean with
// Greedy) with probability 1 − ε. A missing value stays missing, and
// the targets y are not read (they stay the truth). The
// feed-forward form predicts every step in one teacher-forced pass; a
// recurrent model steps through the window from its carried state.
func (t *Trainer) mixReal(m RealModel, x, y []float64, B, T int) {
	e := &t.exp
	d, P := m.Dim(), m.Past()
	pr := m.(RealPredictor)
	if e.d == nil {
		e.d = m.Head().New(d)
	}
	mean, scale := m.Standardization()
	greedy := t.Opts.ScheduledSampling.Greedy
	e.fedMask = grow(e.fedMask, B*T)
	clear(e.fedMask)
	// feed decides input step i+1 of window b from the prediction pr
	// filled for it.
	feed := func(b, i int, rb, rt int) {
		// Input step i+1 is target step i (jittered, maybe).
		next := x[(b*(P+T)+P+i+1)*d : (b*(P+T)+P+i+2)*d]
		for j := range d {
			if math.IsNaN(next[j]) {
				return
			}
		}
		if !e.draw() {
			return
		}
		pr.Predicted(e.d, rb, rt)
		for j := range d {
			z := e.d.Mean(j)
			if !greedy {
				z = e.d.Sample(j, e.rng)
			}
			next[j] = mean[j] + scale[j]*z
		}
		e.fedMask[b*T+i+1] = true
	}
	r, rec := m.(Recurrent)
	if !rec {
		m.Forward(x, y, B, T, nil)
		for b := range B {
			for i := range T - 1 {
				feed(b, i, b, i)
			}
		}
		return
	}
	carry := r.Carry(B)
	e.carry = append(e.carry[:0], carry...)
	w := (P + 1) * d
	e.rx, e.ry = grow(e.rx, B*w), grow(e.ry, B*d)
	for i := range T - 1 {
		for b := range B {
			copy(e.rx[b*w:(b+1)*w], x[(b*(P+T)+i)*d:(b*(P+T)+i+P+1)*d])
			copy(e.ry[b*d:(b+1)*d], y[(b*T+i)*d:(b*T+i+1)*d])
		}
		m.Forward(e.rx, e.ry, B, 1, nil)
		for b := range B {
			feed(b, i, b, 0)
		}
	}
	copy(r.Carry(B), e.carry)
}
