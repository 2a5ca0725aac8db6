package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
)

// Minimum risk training (Shen, Cheng, He, He, Wu, Sun and Liu 2016,
// "Minimum Risk Training for Neural Machine Translation"): instead of the
// likelihood of the reference, minimize the expected cost of the model's
// own outputs. For each source x the trainer samples K candidate outputs
// from the current model (ancestral sampling at temperature 1, distinct
// candidates kept), S(x), and weights them by their renormalized,
// sharpened probabilities
//
//	Q(y | x) = P(y | x)^α / Σ_{y' ∈ S(x)} P(y' | x)^α
//
// The loss is the mean over sources of the risk R(x) = Σ_{y∈S(x)} Q(y|x)
// Δ(y, y*), Δ the cost of y against the reference y*: the token edit
// distance for an encoder-decoder. Its gradient is
//
//	∂R/∂θ = Σ_y α Q(y) (Δ(y) − R) ∂ log P(y | x)/∂θ
//
// so one teacher-forced pass over the candidates, its backward pass
// weighting candidate y's summed log-loss by −α Q(y)(Δ(y) − R), gives it
// exactly (for the sampled set; the sampling itself is not
// differentiated). With MLE > 0 the mean token log-loss of the
// references, times MLE, is added (Shen et al.'s combination, which
// keeps the model close to the data). MRT fine-tunes a model trained by
// likelihood: from scratch the samples carry no signal.
//
// The candidates are drawn with the model's inference states (its
// batched step), from the generator scheduled sampling uses, so a run is
// reproducible and resumes exactly. The history's loss is the step's
// objective; its parts give the risk ("mrt_risk", the mean expected cost
// per source), the references' log-loss ("mrt_mle") and the mean number
// of distinct candidates ("mrt_candidates"). Validation stays the
// references' log-loss.

// MRT configures minimum risk training (Options.MRT).
type MRT struct {
	Candidates int     `json:"candidates"`    // samples K per source
	Alpha      float64 `json:"alpha"`         // sharpness α of Q
	MLE        float64 `json:"mle,omitempty"` // weight of the references' log-loss added
	// Horizon is the length in steps of a real-valued model's sampled
	// paths (see mrt_real.go); 0 means half the context.
	Horizon int `json:"horizon,omitempty"`
}

// Check reports settings no run can use.
func (r *MRT) Check() error {
	if r.Candidates < 2 || r.Candidates > 1024 {
		return fmt.Errorf("train: mrt: %d candidates, want 2..1024", r.Candidates)
	}
	if !(r.Alpha > 0) || math.IsInf(r.Alpha, 0) {
		return fmt.Errorf("train: mrt: sharpness α %g, want > 0", r.Alpha)
	}
	if !(r.MLE >= 0) || math.IsInf(r.MLE, 0) {
		return fmt.Errorf("train: mrt: MLE weight %g, want ≥ 0", r.MLE)
	}
	if r.Horizon < 0 {
		return fmt.Errorf("train: mrt: horizon %d, want ≥ 1 (or 0: half the context)", r.Horizon)
	}
	return nil
}

// ParseMRT reads an --mrt value: comma-separated candidates=K, alpha=A,
// mle=W and, for series, horizon=H, each optional (defaults K = 8, α = 1,
// W = 0, H half the context).
func ParseMRT(v string) (*MRT, error) {
	r := &MRT{Candidates: 8, Alpha: 1}
	if v != "" {
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(p, "=")
			var err error
			switch k {
			case "candidates":
				r.Candidates, err = strconv.Atoi(val)
			case "alpha":
				r.Alpha, err = strconv.ParseFloat(val, 64)
			case "mle":
				r.MLE, err = strconv.ParseFloat(val, 64)
			case "horizon":
				r.Horizon, err = strconv.Atoi(val)
			default:
				ok = false
			}
			if !ok || err != nil {
				return nil, fmt.Errorf("train: mrt %q: %q: want candidates=K, alpha=A, mle=W or horizon=H", v, p)
			}
		}
	}
	return r, r.Check()
}

// RowWeighted is a model whose backward pass can weight each sequence of
// its last forward pass: minimum risk training needs it.
type RowWeighted interface {
	// Losses returns the per-position losses of the last forward pass
	// (B×T, row-major, 0 where no target).
	Losses() []float32
	// BackwardRows accumulates the gradient of Σ_b w[b]·(summed loss of
	// row b of the last forward pass).
	BackwardRows(w []float32)
}

// checkMRT reports a model or a run minimum risk training cannot drive.
func checkMRT(m Trainable, o Options) error {
	if o.MRT == nil {
		return nil
	}
	if err := o.MRT.Check(); err != nil {
		return err
	}
	if o.ScheduledSampling != nil || o.InputNoise != nil {
		return errors.New("train: mrt: scheduled sampling and input noise are for likelihood training")
	}
	switch m.(type) {
	case PairModel:
		if o.MRT.Horizon != 0 {
			return errors.New("train: mrt: horizon is for real-valued models (an encoder-decoder samples whole outputs)")
		}
		if _, ok := m.(autoreg.Conditional); !ok {
			return fmt.Errorf("train: mrt: a %T cannot be sampled given a source", m)
		}
	case RealModel:
		if h := o.MRT.Horizon; h >= o.Context {
			return fmt.Errorf("train: mrt: horizon %d must be shorter than the context (%d steps)", h, o.Context)
		}
	default:
		return fmt.Errorf("train: mrt: minimum risk training needs a cost of an output against its reference: it is for encoder-decoders (edit distance) and real-valued models (CRPS of forecast paths), not a %s", familyName(m))
	}
	if _, ok := m.(RowWeighted); !ok {
		return fmt.Errorf("train: mrt: a %T cannot weight its sequences", m)
	}
	return nil
}

// mrtWeights turns candidates' log-probabilities logp and costs into the
// risk of each source (group[i] is candidate i's source, among n) and
// writes into w each candidate's BackwardRows weight, −scale·α·Q(Δ − R),
// for the gradient of scale·Σ R.
func mrtWeights(w []float32, logp, cost []float64, group []int, n int, alpha, scale float64) (risk []float64) {
	q := mrtQ(logp, group, n, alpha)
	risk = make([]float64, n)
	for i, g := range group {
		risk[g] += q[i] * cost[i]
	}
	mrtGrad(w, q, cost, group, n, alpha, scale)
	return risk
}

// mrtQ returns the candidates' renormalized, sharpened probabilities
// Q(y) = P(y)^α / Σ_{y'} P(y')^α over the candidates of each source
// (group[i] is candidate i's source, among n), from log-probabilities logp.
func mrtQ(logp []float64, group []int, n int, alpha float64) []float64 {
	mx := make([]float64, n)
	for i := range mx {
		mx[i] = math.Inf(-1)
	}
	for i, g := range group {
		mx[g] = max(mx[g], alpha*logp[i])
	}
	z := make([]float64, n)
	q := make([]float64, len(group))
	for i, g := range group {
		q[i] = math.Exp(alpha*logp[i] - mx[g])
		z[g] += q[i]
	}
	for i, g := range group {
		q[i] /= z[g]
	}
	return q
}

// mrtGrad writes into w each candidate's BackwardRows weight for the
// gradient of scale·Σ R, given Q and c, the derivative of a source's risk
// R with respect to each of its candidates' Q: since
// ∂Q(y')/∂log P(y) = α Q(y')(δ − Q(y)), ∂R/∂log P(y) = α Q(y)(c(y) − c̄),
// c̄ = Σ_y' Q(y') c(y'), and the loss a backward pass weights is −log P,
// the weight is −scale·α·Q(y)(c(y) − c̄). For a risk linear in Q, c is
// the cost Δ and c̄ the risk.
func mrtGrad(w []float32, q, c []float64, group []int, n int, alpha, scale float64) {
	mean := make([]float64, n)
	for i, g := range group {
		mean[g] += q[i] * c[i]
	}
	for i, g := range group {
		w[i] = float32(-scale * alpha * q[i] * (c[i] - mean[g]))
	}
}

// mrtBatch is a step's scratch: the candidates of a micro-batch as pairs.
type mrtBatch struct {
	cands  []corpus.Pair
	group  []int
	cost   []float64
	logp   []float64
	w      []float32
	idx    []int32
	arrays pairArrays
	lp     []float32
}

// sampleCandidates draws K outputs for each source from the model (its
// states, stepped together) and returns the distinct ones per source as
// pairs, with each one's source index.
func (t *Trainer) sampleCandidates(b *mrtBatch, c autoreg.Conditional, srcs [][]autoreg.Token, K, maxLen int) error {
	models, err := autoreg.ConditionAll(c, srcs)
	if err != nil {
		return err
	}
	v := c.Vocab()
	bos, eos := v.BOS(), v.EOS()
	n := len(srcs) * K
	states := make([]autoreg.State, n)
	outs := make([][]autoreg.Token, n)
	xs := make([]autoreg.Token, n)
	for i := range states {
		states[i] = models[i/K].NewState()
		xs[i] = bos
	}
	autoreg.Step(models[0], states, xs)
	if cap(b.lp) < v.Size() {
		b.lp = make([]float32, v.Size())
	}
	lp := b.lp[:v.Size()]
	active := make([]int, n)
	for i := range active {
		active[i] = i
	}
	for len(active) > 0 {
		var next []int
		var step []autoreg.State
		xs = xs[:0]
		for _, i := range active {
			states[i].LogProbs(lp)
			tok := sampleLog(lp, bos, t.exp.rng.Float64())
			if tok == eos || len(outs[i]) >= maxLen {
				continue
			}
			outs[i] = append(outs[i], tok)
			if len(outs[i]) == maxLen {
				continue
			}
			next = append(next, i)
			step = append(step, states[i])
			xs = append(xs, tok)
		}
		if len(step) > 0 {
			autoreg.Step(models[0], step, xs)
		}
		active = next
	}
	b.cands, b.group = b.cands[:0], b.group[:0]
	for s := range srcs {
		seen := map[string]bool{}
		for k := range K {
			o := outs[s*K+k]
			key := fmt.Sprint(o)
			if seen[key] {
				continue
			}
			seen[key] = true
			b.cands = append(b.cands, corpus.Pair{Src: srcs[s], Tgt: o})
			b.group = append(b.group, s)
		}
	}
	return nil
}

// sampleLog draws a token from log-probabilities lp given a uniform u in
// [0, 1), never bos.
func sampleLog(lp []float32, bos autoreg.Token, u float64) autoreg.Token {
	var total float64
	for i, l := range lp {
		if autoreg.Token(i) != bos {
			total += math.Exp(float64(l))
		}
	}
	u *= total
	last := autoreg.Token(0)
	for i, l := range lp {
		if autoreg.Token(i) == bos {
			continue
		}
		last = autoreg.Token(i)
		if u -= math.Exp(float64(l)); u < 0 {
			break
		}
	}
	return last
}

// mrtStep runs one optimizer step of minimum risk training over the
// micro-batches batches (indices into pairs), leaving the gradient of the
// step's objective in the arena, and returns the objective (as a sum over
// one unit) and the target tokens run.
func (t *Trainer) mrtStep(m PairModel, pairs []corpus.Pair, batches [][]int32, gold []pairArrays, mb *mrtBatch) (float64, int, int64) {
	r := t.Opts.MRT
	rw := m.(RowWeighted)
	sources, refTokens := 0, 0
	for k, idx := range batches {
		sources += len(idx)
		refTokens += gold[k].fill(pairs, idx, m)
	}
	var risk, mle, cands float64
	var tokens int64
	for k, idx := range batches {
		srcs := make([][]autoreg.Token, len(idx))
		for i, j := range idx {
			srcs[i] = pairs[j].Src
		}
		if err := t.sampleCandidates(mb, m.(autoreg.Conditional), srcs, r.Candidates, m.ContextLen()-1); err != nil {
			panic(err) // the sources were checked against the model
		}
		n := len(mb.cands)
		cands += float64(n)
		mb.idx = mb.idx[:0]
		mb.cost = mb.cost[:0]
		for i, c := range mb.cands {
			mb.idx = append(mb.idx, int32(i))
			mb.cost = append(mb.cost, float64(eval.EditDistance(c.Tgt, pairs[idx[mb.group[i]]].Tgt)))
		}
		p := &mb.arrays
		tokens += int64(p.fill(mb.cands, mb.idx, m))
		m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, t.dropRng)
		mb.logp = rowLogProbs(mb.logp, rw.Losses(), p.B, p.T)
		mb.w = slices.Grow(mb.w[:0], n)[:n]
		for _, v := range mrtWeights(mb.w, mb.logp, mb.cost, mb.group, len(idx), r.Alpha, 1/float64(sources)) {
			risk += v
		}
		rw.BackwardRows(mb.w)
		if r.MLE > 0 {
			g := &gold[k]
			s, _ := m.ForwardPairs(g.src, g.srcLen, g.S, g.x, g.y, g.B, g.T, t.dropRng)
			mle += s
			m.Backward(float32(r.MLE / float64(refTokens)))
			tokens += int64(refTokens)
		}
	}
	risk /= float64(sources)
	mle /= float64(max(refTokens, 1))
	t.setting("mrt_risk", risk)
	t.setting("mrt_candidates", cands/float64(sources))
	if r.MLE > 0 {
		t.setting("mrt_mle", mle)
	}
	return risk + r.MLE*mle, 1, tokens
}

// rowLogProbs returns the log-probability of each of B rows, minus its
// summed per-position losses (B×T).
func rowLogProbs(dst []float64, losses []float32, B, T int) []float64 {
	dst = slices.Grow(dst[:0], B)[:B]
	for b := range B {
		var s float64
		for _, l := range losses[b*T : (b+1)*T] {
			s += float64(l)
		}
		dst[b] = -s
	}
	return dst
}
