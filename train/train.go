// Package train fits neural autoregressive models by maximum likelihood
// with teacher forcing: every position of a training window predicts its
// next token from the true history, and the mean negative log-likelihood
//
//	L(θ) = −(1/N) Σ_t log P_θ(x_(t+1) | x≤t)
//
// is minimized with AdamW (decoupled weight decay on matrices only),
// gradient clipping by global norm, linear warmup then cosine decay of the
// learning rate over the planned steps, and gradient accumulation.
//
// The loop is family-agnostic: a family implements [Model] (batched Forward
// and Backward over a flat parameter arena). Feed-forward families (GPT)
// get independent windows at random offsets, drawn from the seed; families
// that implement [Recurrent] (LSTM, GRU) get truncated backpropagation
// through time: B contiguous streams, consecutive windows, the hidden state
// carried from one batch to the next. With Options.Sentences every row of
// a batch is one whole sequence instead, from a zero state
// (sentence-level language models, and models that read whole sequences:
// a VAE). [NewModel] builds a model of any trainable family from one
// [Arch].
//
// Against exposure bias (a model trained on true histories generates from
// its own) the loop offers three variants of teacher forcing: scheduled
// sampling (Bengio et al. 2015; the two-pass form of Mihaylova and
// Martins 2019 for feed-forward models), input noise, and minimum risk
// training (Shen et al. 2016) of encoder-decoders and of real-valued
// forecasting models; see sampling.go, noise.go, mrt.go and mrt_real.go.
//
// Checkpoints are ordinary model files (package modelfile) with extra
// sections holding the optimizer moments, the generators' states, the data
// position and the history, so `eval` and `sample` read them and a resumed
// run continues exactly — the same losses, bit for bit, for any GOMAXPROCS —
// as if it had never stopped ([ReadCheckpoint]). The package never prints:
// progress goes to a callback.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/optim"
	"github.com/autoreg/autoreg/tensor"
)

// Trainable is what every trainable model has, whatever its data: a
// payload, parameters, and a backward pass. A Trainer's Model is a Model
// (token streams), a RealModel (real-valued series) or a PairModel
// ((source, target) pairs).
type Trainable interface {
	// WriterTo writes the family's model-file payload.
	io.WriterTo
	// Arena holds the parameters and their gradients.
	Arena() *tensor.Arena
	// Backward accumulates into the arena's gradients the gradient of
	// scale × the summed loss of the last Forward.
	Backward(scale float32)
}

// Model is what a token family implements to be trained.
type Model interface {
	Trainable
	autoreg.Model
	// Forward runs B sequences of T inputs x (B×T, row-major) against
	// targets y (Ignore marks positions without one) and returns the
	// summed loss in nats and the number of targets. rng drives dropout;
	// nil means evaluation (no dropout). Activations stay for Backward.
	Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int)
}

// LabelSmoother is a model that trains with label smoothing
// (Options.LabelSmoothing): its Backward takes the gradient of the
// smoothed cross-entropy, ε = 0 being the plain one.
type LabelSmoother interface {
	SetLabelSmoothing(eps float64)
}

// Recurrent is a model whose Forward starts from the hidden state the
// previous Forward ended with (truncated BPTT).
type Recurrent interface {
	Trainable
	// Carry returns the carried hidden state for batch size B (the model
	// owns it; its length depends only on B). The trainer zeroes it at the
	// start of an epoch, saves and restores it around validation, and
	// stores it in checkpoints.
	Carry(B int) []float32
}

// Ignore is the target of a position that has none.
const Ignore = -1

// Options are the settings of a run. They are stored in checkpoints; a
// resumed run keeps them (only MaxTime may change).
type Options struct {
	Batch       int     `json:"batch"`        // sequences per micro-batch (B)
	Context     int     `json:"context"`      // window / BPTT length (T)
	Steps       int     `json:"steps"`        // optimizer steps; the schedule spans them
	Accum       int     `json:"accum"`        // micro-batches per step
	LR          float64 `json:"lr"`           // peak learning rate
	MinLR       float64 `json:"min_lr"`       // floor of the cosine (default LR/10)
	Warmup      int     `json:"warmup"`       // warmup steps
	WeightDecay float64 `json:"weight_decay"` // AdamW decoupled decay on matrices
	Beta2       float64 `json:"beta2"`        // AdamW β₂ (default 0.95)
	Clip        float64 `json:"clip"`         // global-norm clip (0 = off)
	Seed        uint64  `json:"seed"`         // data order and dropout
	EvalEvery   int     `json:"eval_every"`   // validate every N steps (0 = 20 times per run)
	EvalTokens  int     `json:"eval_tokens"`  // validation tokens per evaluation (0 = all)
	SaveEvery   int     `json:"save_every"`   // checkpoint every N steps (0 = at each evaluation)
	// ControlWindows starts every window of a feed-forward model that
	// does not start at a sequence's <s> with <s> and the sequence's
	// control code in place of its first two inputs, in training and
	// validation, so the code is in view at every position, as in CTRL;
	// see control.go. Recurrent models carry the code in their state and
	// ignore it.
	ControlWindows bool `json:"control_windows,omitempty"`
	// Sentences trains on whole sequences, one per row of a batch, each
	// from a zero state (see sentences.go); Context must hold the longest.
	// A model that reads whole sequences (WholeSequences) needs it.
	Sentences bool `json:"sentences,omitempty"`
	// FIMRate makes a feed-forward model's training window a
	// fill-in-the-middle example with this probability, FIMSPMRate of
	// them in SPM order (see fim.go); validation stays left to right.
	// The vocabulary must hold the sentinels (package fim).
	FIMRate    float64 `json:"fim_rate,omitempty"`
	FIMSPMRate float64 `json:"fim_spm_rate,omitempty"`
	// LabelSmoothing ε trains on the cross-entropy against
	// (1−ε)·onehot(target) + ε/V (Szegedy et al. 2016) instead of the
	// target alone; the model must be a LabelSmoother. Reported losses stay
	// negative log-likelihoods.
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`
	// ScheduledSampling feeds the model its own predictions in place of
	// true inputs, ever more often (see sampling.go); nil is teacher
	// forcing.
	ScheduledSampling *Sampling `json:"scheduled_sampling,omitempty"`
	// InputNoise corrupts the inputs, the targets staying clean (see
	// noise.go); nil is none.
	InputNoise *Noise `json:"input_noise,omitempty"`
	// MRT replaces the likelihood of an encoder-decoder's references, or
	// of a series' continuations, by the expected cost of the model's own
	// samples (minimum risk training, see mrt.go and mrt_real.go); nil is
	// maximum likelihood.
	MRT *MRT `json:"mrt,omitempty"`
	// MaxTime stops the run early (the schedule still follows Steps).
	MaxTime time.Duration `json:"-"`
}

func (o *Options) defaults() error {
	if o.Batch < 1 || o.Context < 1 || o.Steps < 1 {
		return fmt.Errorf("train: batch %d, context %d, steps %d: all must be positive", o.Batch, o.Context, o.Steps)
	}
	if o.Accum < 1 {
		o.Accum = 1
	}
	if !(o.LR > 0) {
		return fmt.Errorf("train: learning rate %g must be positive", o.LR)
	}
	if o.MinLR == 0 {
		o.MinLR = o.LR / 10
	}
	if o.Warmup < 0 {
		o.Warmup = o.Steps / 20
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.95
	}
	if !(o.FIMRate >= 0 && o.FIMRate <= 1 && o.FIMSPMRate >= 0 && o.FIMSPMRate <= 1) {
		return fmt.Errorf("train: FIM rate %g and SPM rate %g must be in [0, 1]", o.FIMRate, o.FIMSPMRate)
	}
	if !(o.LabelSmoothing >= 0 && o.LabelSmoothing < 1) {
		return fmt.Errorf("train: label smoothing %g must be in [0, 1)", o.LabelSmoothing)
	}
	if o.InputNoise != nil && *o.InputNoise == (Noise{}) {
		o.InputNoise = nil
	}
	if o.EvalEvery <= 0 {
		o.EvalEvery = max(1, o.Steps/20)
	}
	if o.SaveEvery <= 0 {
		o.SaveEvery = o.EvalEvery
	}
	return nil
}

// Point is one step of the history.
type Point struct {
	Step    int     `json:"step"`   // 1-based
	Tokens  int64   `json:"tokens"` // training tokens consumed so far
	Loss    float64 `json:"loss"`   // mean training loss of the step, nats
	LR      float64 `json:"lr"`
	ValLoss float64 `json:"val_loss,omitempty"` // mean validation loss, on evaluation steps
	HasVal  bool    `json:"has_val,omitempty"`
	// Parts and ValParts are the parts of the training and validation
	// losses of a model with LossParts, by name (see Term).
	Parts    map[string]float64 `json:"parts,omitempty"`
	ValParts map[string]float64 `json:"val_parts,omitempty"`
}

// Progress is what the callback receives after every step.
type Progress struct {
	Point
	Steps        int           // planned steps
	GradNorm     float64       // before clipping
	TokensPerSec float64       // over the last step
	Elapsed      time.Duration // training time across resumes
	BestVal      float64       // best validation loss so far (NaN if none)
	Saved        string        // path of a checkpoint written at this step, if any
}

// Data is the data of a run: token streams, or whole sequences (images;
// see seqs.go), for a Model; series for a RealModel; pairs for a
// PairModel.
type Data struct {
	Train []autoreg.Token
	Valid []autoreg.Token // may be empty
	// TrainSeqs, if set, replaces Train: every batch row is one whole
	// sequence, and Options.Context must be its length − 1.
	TrainSeqs corpus.Sequences
	// ValidSeqs are the validation sequences of a TrainSeqs run (may be
	// nil).
	ValidSeqs corpus.Sequences
	// Series are a RealModel's data, each with its training and
	// validation parts (see Series).
	Series []Series
	// TrainPairs and ValidPairs are a PairModel's data.
	TrainPairs []corpus.Pair
	ValidPairs []corpus.Pair // may be empty
}

// Trainer runs and checkpoints one training run.
type Trainer struct {
	// Model is a Model, a RealModel or a PairModel.
	Model Trainable
	Opt   *optim.AdamW
	Opts  Options
	// Checkpoint, if set, is called to save: the trainer passes its
	// sections; best marks a new best validation loss.
	Checkpoint func(t *Trainer, reason SaveReason) (path string, err error)
	// OnStep, if set, receives progress after every step.
	OnStep func(Progress)
	// FIMSplit, if set, says whether a fill-in-the-middle split may fall
	// before a token (with the byte tokenizer: not inside a UTF-8
	// character); nil allows every position.
	FIMSplit func(autoreg.Token) bool

	Step    int           // steps done
	Tokens  int64         // training tokens consumed
	Elapsed time.Duration // training time of previous invocations plus this one
	BestVal float64       // NaN until the first validation
	History []Point

	dataSrc, dropSrc *rand.PCG
	dataRng, dropRng *rand.Rand
	pos              int64        // recurrent, sentences, pairs: micro-batches drawn in the current epoch; whole sequences: sequences drawn
	epoch            int64        // sentences, pairs: epochs completed
	sents            sentenceRun  // sentences: the training sequences and the epoch's batches
	pairs            pairBatcher  // pairs: the current epoch's batches
	fim              fimState     // FIMRate: the sentinels and a window's buffer
	seq              seqRun       // whole-sequence data
	parts            partsAcc     // LossParts: the parts of the current step or validation
	ctl              controlIndex // ControlWindows: the training stream's sequences
	sched            optim.Schedule
	xb, yb           []int32
	real             realFeed     // a RealModel's windows
	exp              exposure     // scheduled sampling and input noise
	sentBufs         []pairArrays // sentences with input noise: a step's batches
}

// SaveReason says why a checkpoint is written.
type SaveReason int

const (
	SavePeriodic SaveReason = iota // every Options.SaveEvery steps
	SaveBest                       // a new best validation loss (write the best model)
	SaveFinal                      // the last step, --max-time, or a stop request
)

// New returns a trainer at step 0 for a freshly initialized model, a
// Model, a RealModel or a PairModel.
func New(m Trainable, opts Options) (*Trainer, error) {
	if err := checkKind(m); err != nil {
		return nil, err
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if _, ok := m.(LabelSmoother); opts.LabelSmoothing > 0 && !ok {
		return nil, fmt.Errorf("train: label smoothing is for the Transformer families (a %T has none)", m)
	}
	if w, ok := m.(WholeSequences); ok && w.WholeSequences() && !opts.Sentences {
		return nil, errors.New("train: the model reads whole sequences: train it on sentence batches (Options.Sentences)")
	}
	if err := checkSampling(m, opts); err != nil {
		return nil, err
	}
	if err := checkNoise(m, opts); err != nil {
		return nil, err
	}
	if _, real := m.(RealModel); real && opts.MRT != nil && opts.MRT.Horizon == 0 {
		r := *opts.MRT
		r.Horizon = max(1, opts.Context/2)
		opts.MRT = &r
	}
	if err := checkMRT(m, opts); err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Opts: opts, BestVal: math.NaN()}
	t.Opt = optim.NewAdamW(m.Arena(), float32(opts.WeightDecay))
	t.Opt.Beta2 = float32(opts.Beta2)
	t.dataSrc = rand.NewPCG(opts.Seed, 0x64617461) // "data"
	t.dropSrc = rand.NewPCG(opts.Seed, 0x64726f70) // "drop"
	t.exp.src = newExposureSource(opts.Seed)
	t.init()
	return t, nil
}

func (t *Trainer) init() {
	t.dataRng, t.dropRng = rand.New(t.dataSrc), rand.New(t.dropSrc)
	t.exp.rng = rand.New(t.exp.src)
	o := t.Opts
	t.sched = optim.Schedule{Peak: o.LR, Min: o.MinLR, Warmup: o.Warmup, Total: o.Steps}
	if ls, ok := t.Model.(LabelSmoother); ok {
		ls.SetLabelSmoothing(o.LabelSmoothing)
	}
	switch m := t.Model.(type) {
	case RealModel:
		t.real.init(m, o)
		return
	case PairModel:
		return // batches of their own shapes (pairArrays)
	}
	n := o.Accum * o.Batch * o.Context
	t.xb, t.yb = make([]int32, n), make([]int32, n)
}

// checkKind reports a model that is not a Model, a RealModel or a
// PairModel.
func checkKind(m Trainable) error {
	switch m.(type) {
	case Model, RealModel, PairModel:
		return nil
	}
	return fmt.Errorf("train: a %T is neither a token Model, a RealModel nor a PairModel", m)
}

// ErrNonFinite reports a NaN or infinite loss or gradient.
var ErrNonFinite = errors.New("train: loss is not finite")

// Run trains until Opts.Steps, MaxTime or ctx's cancellation, saving
// checkpoints along the way and a final one when it stops. A cancelled ctx
// returns ctx.Err() after the checkpoint is written. A NaN or infinite
// loss stops without saving (the last good checkpoint stays) and returns
// an error wrapping ErrNonFinite that names the step.
func (t *Trainer) Run(ctx context.Context, data Data) error {
	o := t.Opts
	switch t.Model.(type) {
	case PairModel:
		return t.runPairs(ctx, data)
	case RealModel:
		if err := t.real.prepare(data.Series, o); err != nil {
			return err
		}
		if o.MRT != nil {
			var s mrtReal
			return t.loop(ctx, func() (float64, int, int64) { return t.mrtRealStep(&t.real, &s) },
				hasValidSeries(data.Series), func() float64 { return t.ValidateReal(data.Series) })
		}
		return t.loop(ctx, func() (float64, int, int64) {
			sum, n := t.real.step(t)
			return sum, n, int64(o.Accum * o.Batch * o.Context)
		}, hasValidSeries(data.Series), func() float64 { return t.ValidateReal(data.Series) })
	}
	if err := t.prepare(data); err != nil {
		return err
	}
	if err := t.initFIM(); err != nil {
		return err
	}
	B, T := o.Batch, o.Context
	seqs := data.TrainSeqs != nil
	return t.loop(ctx, func() (float64, int, int64) {
		if o.Sentences {
			sum, n := t.sentenceStep(data.Train)
			return sum, n, int64(n)
		}
		var n int
		if seqs {
			n = t.fillSeqBatch(data.TrainSeqs)
		} else {
			n = t.fillBatch(data.Train)
		}
		if o.InputNoise.tokens() {
			base := int32(t.Model.(Model).Vocab().Base)
			n = max(1, t.noiseTokens(t.xb, t.yb, o.Accum*B, T, base, seqs))
		}
		var sum float64
		for k := range o.Accum {
			x, y := t.xb[k*B*T:(k+1)*B*T], t.yb[k*B*T:(k+1)*B*T]
			if r, rec := t.Model.(Recurrent); rec && seqs {
				clear(r.Carry(B)) // every row is a new sequence
			}
			if t.sampling() {
				t.mixTokens(x, y, B, T, seqs)
			}
			s, _ := t.forward(x, y, B, T, t.dropRng)
			sum += s
			t.Model.Backward(float32(1 / float64(n)))
		}
		return sum, n, int64(o.Accum * B * T)
	}, len(data.Valid) > 0 || data.ValidSeqs != nil, func() float64 {
		if seqs {
			return t.validateSeqs(data.ValidSeqs)
		}
		return t.Validate(data.Valid)
	})
}

// loop runs optimizer steps until Opts.Steps, MaxTime or ctx's
// cancellation. step runs the micro-batches of one step (the gradients
// zeroed) and returns their summed loss, the number of targets and the
// training tokens consumed; val, when validate is set, returns the
// validation loss.
func (t *Trainer) loop(ctx context.Context, step func() (sum float64, n int, tokens int64), validate bool, val func() float64) error {
	o := t.Opts
	a := t.Model.Arena()
	start := time.Now()
	base := t.Elapsed
	for t.Step < o.Steps {
		if err := ctx.Err(); err != nil {
			t.Elapsed = base + time.Since(start)
			if _, serr := t.save(SaveFinal); serr != nil {
				return serr
			}
			return err
		}
		stepStart := time.Now()
		lr := t.sched.LR(t.Step)
		fused.Zero(a.Grads) // parallel; the same zeros as a.ZeroGrad
		if sm, ok := t.Model.(Scheduled); ok {
			sm.SetStep(t.Step, o.Steps)
		}
		t.beginStep()
		sum, n, tokens := step()
		t.exposureSettings()
		loss := sum / float64(n)
		norm := optim.ClipGlobalNorm(a.Grads, o.Clip)
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
			return fmt.Errorf("%w at step %d (loss %v, gradient norm %v); stopped, the last checkpoint is kept", ErrNonFinite, t.Step+1, loss, norm)
		}
		t.Opt.Update(a, float32(lr))
		t.Step++
		t.Tokens += tokens
		p := Point{Step: t.Step, Tokens: t.Tokens, Loss: loss, LR: lr, Parts: t.takeParts()}
		var saved string
		final := t.Step == o.Steps || (o.MaxTime > 0 && time.Since(start) >= o.MaxTime)
		best := false
		if validate && (t.Step%o.EvalEvery == 0 || final) {
			p.ValLoss, p.HasVal = val(), true
			p.ValParts = t.takeParts()
			if math.IsNaN(t.BestVal) || p.ValLoss < t.BestVal {
				t.BestVal, best = p.ValLoss, true
			}
		}
		t.History = append(t.History, p)
		t.Elapsed = base + time.Since(start)
		if best {
			path, err := t.save(SaveBest)
			if err != nil {
				return err
			}
			saved = path
		}
		if final || t.Step%o.SaveEvery == 0 {
			reason := SavePeriodic
			if final {
				reason = SaveFinal
			}
			path, err := t.save(reason)
			if err != nil {
				return err
			}
			saved = path
		}
		if t.OnStep != nil {
			t.OnStep(Progress{Point: p, Steps: o.Steps, GradNorm: norm,
				TokensPerSec: float64(tokens) / time.Since(stepStart).Seconds(),
				Elapsed:      t.Elapsed, BestVal: t.BestVal, Saved: saved})
		}
		if final {
			break
		}
	}
	return nil
}

// prepare checks a token model's data against the options and sets up
// the feed of a run.
func (t *Trainer) prepare(data Data) error {
	o := t.Opts
	t.ctl = controlIndex{}
	if o.Sentences {
		if data.TrainSeqs != nil {
			return errors.New("train: Options.Sentences cuts the training stream into sentences; Data.TrainSeqs holds whole sequences already")
		}
		return t.prepareSentences(data)
	}
	if data.TrainSeqs != nil {
		return t.checkSeqs(data)
	}
	need := o.Context + 1
	if _, rec := t.Model.(Recurrent); rec {
		need = o.Batch * (o.Context + 1)
	}
	if len(data.Train) < need {
		return fmt.Errorf("train: %d training tokens, need at least %d for batch %d × context %d", len(data.Train), need, o.Batch, o.Context)
	}
	if len(data.Valid) > 0 && len(data.Valid) < 2 {
		return errors.New("train: validation text too short")
	}
	t.ctl = controlIndex{}
	if _, rec := t.Model.(Recurrent); o.ControlWindows && !rec {
		t.ctl = newControlIndex(data.Train, t.Model.(Model).Vocab())
	}
	return nil
}

func (t *Trainer) save(r SaveReason) (string, error) {
	if t.Checkpoint == nil {
		return "", nil
	}
	return t.Checkpoint(t, r)
}

// fillBatch draws the Accum micro-batches of one step into xb, yb and
// returns the number of targets. A target that is BOS (the start of the
// next document, never predicted) is ignored.
func (t *Trainer) fillBatch(tokens []autoreg.Token) int {
	o := t.Opts
	B, T := o.Batch, o.Context
	bos := int32(t.Model.(Model).Vocab().BOS())
	if r, ok := t.Model.(Recurrent); ok {
		// B contiguous streams; window w of an epoch starts at w·T in each.
		part := len(tokens) / B
		windows := int64((part - 1) / T)
		for k := range o.Accum {
			if t.pos >= windows {
				t.pos = 0
				clear(r.Carry(B))
			}
			for b := range B {
				off := b*part + int(t.pos)*T
				row := (k*B + b) * T
				for i := range T {
					t.xb[row+i] = int32(tokens[off+i])
					t.yb[row+i] = int32(tokens[off+i+1])
				}
			}
			t.pos++
		}
	} else {
		hi := len(tokens) - T
		for r := range o.Accum * B {
			off := t.dataRng.IntN(hi)
			if t.fimWindow(tokens, off, t.xb[r*T:(r+1)*T], t.yb[r*T:(r+1)*T]) {
				continue
			}
			for i := range T {
				t.xb[r*T+i] = int32(tokens[off+i])
				t.yb[r*T+i] = int32(tokens[off+i+1])
			}
			t.ctl.prefix(t.xb[r*T:(r+1)*T], t.yb[r*T:(r+1)*T], off)
		}
	}
	n := 0
	for i, y := range t.yb {
		if y == bos {
			t.yb[i] = Ignore
		} else {
			n++
		}
	}
	return max(n, 1)
}

// Validate returns the mean loss on the validation tokens (the first
// Opts.EvalTokens of them if set), without dropout. Feed-forward models
// score consecutive non-overlapping windows of Context tokens (each window
// starts without history, as in nanoGPT); recurrent models run B streams
// from a zero state, and their training state is restored afterwards.
func (t *Trainer) Validate(valid []autoreg.Token) float64 {
	o := t.Opts
	if o.Sentences {
		return t.validateSentences(valid)
	}
	if o.EvalTokens > 0 && len(valid) > o.EvalTokens+1 {
		valid = valid[:o.EvalTokens+1]
	}
	B, T := o.Batch, o.Context
	m := t.Model.(Model)
	bos := int32(m.Vocab().BOS())
	x, y := t.xb[:B*T], t.yb[:B*T]
	var sum float64
	var n int
	if r, ok := t.Model.(Recurrent); ok {
		saved := append([]float32(nil), r.Carry(B)...)
		clear(r.Carry(B))
		part := (len(valid) - 1) / B
		if part < 1 {
			B, part = 1, len(valid)-1
		}
		for w := 0; w < part; w += T {
			tt := min(T, part-w)
			for b := range B {
				for i := range tt {
					x[b*tt+i] = int32(valid[b*part+w+i])
					y[b*tt+i] = int32(valid[b*part+w+i+1])
					if y[b*tt+i] == bos {
						y[b*tt+i] = Ignore
					}
				}
			}
			s, c := t.forward(x[:B*tt], y[:B*tt], B, tt, nil)
			sum += s
			n += c
		}
		copy(r.Carry(o.Batch), saved)
		return sum / float64(max(n, 1))
	}
	var ctl controlIndex
	if o.ControlWindows {
		ctl = newControlIndex(valid, m.Vocab())
	}
	windows := (len(valid) - 1) / T
	tail := (len(valid) - 1) % T
	for w := 0; w < windows; w += B {
		bb := min(B, windows-w)
		for b := range bb {
			off := (w + b) * T
			for i := range T {
				x[b*T+i] = int32(valid[off+i])
				y[b*T+i] = int32(valid[off+i+1])
				if y[b*T+i] == bos {
					y[b*T+i] = Ignore
				}
			}
			ctl.prefix(x[b*T:(b+1)*T], y[b*T:(b+1)*T], off)
		}
		s, c := t.forward(x[:bb*T], y[:bb*T], bb, T, nil)
		sum += s
		n += c
	}
	if tail > 0 {
		off := windows * T
		for i := range tail {
			x[i] = int32(valid[off+i])
			y[i] = int32(valid[off+i+1])
			if y[i] == bos {
				y[i] = Ignore
			}
		}
		ctl.prefix(x[:tail], y[:tail], off)
		s, c := t.forward(x[:tail], y[:tail], 1, tail, nil)
		sum += s
		n += c
	}
	return sum / float64(max(n, 1))
}

// state is the JSON of the TRST checkpoint section.
type state struct {
	Version int      `json:"version"`
	Options Options  `json:"options"`
	Step    int      `json:"step"`
	Tokens  int64    `json:"tokens"`
	Elapsed float64  `json:"elapsed_seconds"`
	BestVal *float64 `json:"best_val,omitempty"`
	Pos     int64    `json:"data_pos"`
	Epoch   int64    `json:"data_epoch,omitempty"`
	DataRNG []byte   `json:"data_rng"`
	DropRNG []byte   `json:"drop_rng"`
	ExpoRNG []byte   `json:"expo_rng,omitempty"` // scheduled sampling and input noise
	History []Point  `json:"history"`
}

// MarshalState encodes the trainer's state (everything but the model and
// the optimizer moments).
func (t *Trainer) MarshalState() ([]byte, error) {
	d, err := t.dataSrc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	r, err := t.dropSrc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	s := state{Version: 1, Options: t.Opts, Step: t.Step, Tokens: t.Tokens, Elapsed: t.Elapsed.Seconds(),
		Pos: t.pos, Epoch: t.epoch, DataRNG: d, DropRNG: r, History: t.History}
	if t.Opts.ScheduledSampling != nil || t.Opts.InputNoise != nil || t.Opts.MRT != nil {
		if s.ExpoRNG, err = t.exp.src.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	if !math.IsNaN(t.BestVal) {
		b := t.BestVal
		s.BestVal = &b
	}
	return json.Marshal(s)
}
