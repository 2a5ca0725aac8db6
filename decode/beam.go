package decode

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/autoreg/autoreg"
)

// Beam search keeps the W best partial sequences (beams) by model
// log-probability. Each step extends every live beam by its 2W best tokens,
// ranks the pooled extensions by the log-probability of the extended
// sequence, and walks them best first: an extension ending in EOS among the W
// best becomes a finished hypothesis, any other fills the next generation of
// beams until W are live. This is Hugging Face's beam search (2W candidates
// so that finished beams never starve the live ones).
//
// Length penalty (Hugging Face's, not GNMT's): a hypothesis of n generated
// tokens (its EOS included) with log-probability S scores
//
//	score = S / n^α,
//
// α = Config.LengthPenalty; α = 0 ranks by S itself, α > 0 favours longer
// sequences (S < 0), α < 0 shorter ones. GNMT's ((5+n)/6)^α is not used.
// Live beams are always ranked by S; the penalty only ranks finished ones.
//
// Beam search ranks by the model's own probabilities: the sampling
// processors do not apply (Validate rejects them with Beams > 1), but
// context-only specials are never chosen, nor EOS with IgnoreEOS.
//
// Stopping: at MaxTokens, or once W hypotheses have finished and either
// EarlyStopping is set (Hugging Face early_stopping=True) or no live beam can
// still reach a better score than the worst of them. The bound is exact:
// since S only falls as a beam grows, a live beam's best reachable score is
// S/n^α at its current length for α ≤ 0 and S/MaxTokens^α for α > 0
// (Hugging Face early_stopping="never"). Live beams at MaxTokens compete with
// the finished ones. Results come best first; their LogProb is exactly the
// model's log-probability of the returned tokens, Σ State.LogProb along the
// sequence.

// beam is one live or finished hypothesis.
type beam struct {
	st    autoreg.State // nil for finished hypotheses
	toks  []autoreg.Token
	logp  float64
	score float64
	eos   bool
	from  int32         // while a generation is filled: the parent's index
	tok   autoreg.Token // and the token appended to it
}

// extension is a candidate for the next generation.
type extension struct {
	logp float64 // ranking value: parent log-prob + float32 token log-prob
	from int32
	tok  autoreg.Token
}

// normScore is the length-penalized score S / n^α.
func normScore(logp float64, n int, alpha float64) float64 {
	if alpha == 0 || n <= 0 {
		return logp
	}
	return logp / math.Pow(float64(n), alpha)
}

// BeamSearch returns the cfg.NumReturn (at least 1) best continuations of
// prompt found by a beam search of width cfg.Beams (at least 1), best first.
// The prompt, with cfg.Control inserted, goes into the first state in one
// Append. d renders Text (cut at the first stop string, which search does not
// otherwise see); it may be nil. Steps allocate nothing: states are recycled
// through State.CopyTo. A model that is an autoreg.Stepper advances all
// beams of a step in one batched pass (the same bits as one by one).
func BeamSearch(ctx context.Context, m autoreg.Model, prompt []autoreg.Token, cfg Config, d Detokenizer) ([]Result, error) {
	rs, err := BeamSearchBatch(ctx, []autoreg.Model{m}, [][]autoreg.Token{prompt}, cfg, d)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// BeamSearchBatch runs the beam searches of BeamSearch for many inputs at
// once: models[i] continues prompts[i] (typically the models of many
// sources of one autoreg.Conditional model, or one model repeated). When
// models[0] is an autoreg.Stepper, every step advances the live beams
// of all inputs in one batched pass, which must accept the states of every
// model given (see autoreg.Stepper); the results are those of
// BeamSearch on each input alone, bit for bit. cfg.MaxTime bounds the
// whole batch.
func BeamSearchBatch(ctx context.Context, models []autoreg.Model, prompts [][]autoreg.Token, cfg Config, d Detokenizer) ([][]Result, error) {
	if len(models) != len(prompts) {
		return nil, fmt.Errorf("decode: %d models for %d prompts", len(models), len(prompts))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	searches := make([]*beamSearch, len(models))
	for i, m := range models {
		b, err := newBeamSearch(m, prompts[i], cfg)
		if err != nil {
			return nil, err
		}
		searches[i] = b
	}
	return runBeams(ctx, models, searches, cfg, d)
}

// runBeams runs searches (of models) to the end, stepping their beams
// together, and returns their results.
func runBeams(ctx context.Context, models []autoreg.Model, searches []*beamSearch, cfg Config, d Detokenizer) ([][]Result, error) {
	parent := ctx
	ctx, cancel := maxTimeContext(ctx, cfg.MaxTime)
	defer cancel()
	var states []autoreg.State
	var toks []autoreg.Token
	for {
		if ctx.Err() != nil {
			if parent.Err() != nil {
				return nil, parent.Err()
			}
			for _, b := range searches {
				b.timeUp()
			}
			break
		}
		states, toks = states[:0], toks[:0]
		for _, b := range searches {
			states, toks = b.expand(states, toks)
		}
		if len(states) == 0 {
			break
		}
		// The new beams of every search take their tokens together: one
		// batched pass when the models step many states at once.
		autoreg.Step(models[0], states, toks)
		for _, b := range searches {
			b.advance()
		}
	}
	out := make([][]Result, len(searches))
	for i, b := range searches {
		out[i] = b.results(cfg, d)
	}
	return out, nil
}

// beamSearch is the search of one input, stepped from outside: expand
// picks the next generation and queues its appends, the caller runs them
// (batched or not), advance moves to the new generation.
type beamSearch struct {
	W, maxTok, per int
	alpha          float64
	eos            autoreg.Token
	cur, next, fin []beam
	nfin, nlive    int
	nnext          int
	lp             []float32
	pool           []extension
	taken          []int32 // children of each live beam in the next generation
	top            []pair
	banned         []autoreg.Token
	earlyStopping  bool
	step           int
	done           bool
	stop           StopReason
}

func newBeamSearch(m autoreg.Model, prompt []autoreg.Token, cfg Config) (*beamSearch, error) {
	v := m.Vocab()
	if err := cfg.CheckVocab(v); err != nil {
		return nil, err
	}
	W := max(cfg.Beams, 1)
	maxTok := cfg.MaxTokens
	if maxTok == 0 {
		maxTok = DefaultMaxTokens
	}
	V := v.Size()
	b := &beamSearch{W: W, maxTok: maxTok, alpha: cfg.LengthPenalty, eos: v.EOS(), per: min(2*W, V),
		lp: make([]float32, V), top: make([]pair, 0, V), banned: cfg.contextOnly(v),
		earlyStopping: cfg.EarlyStopping}
	b.pool = make([]extension, 0, W*b.per)
	b.taken = make([]int32, W)
	// Preallocate everything: two generations of W live beams and W
	// finished slots, each with room for maxTok tokens (up to maxReserve;
	// longer searches grow them as they go).
	newBeams := func(withState bool) []beam {
		bs := make([]beam, W)
		for i := range bs {
			bs[i].toks = make([]autoreg.Token, 0, min(maxTok, maxReserve))
			if withState {
				bs[i].st = m.NewState()
			}
		}
		return bs
	}
	b.cur, b.next = newBeams(true), newBeams(true)
	b.fin = newBeams(false)
	if err := b.start(m, prompt, cfg); err != nil {
		return nil, err
	}
	return b, nil
}

// start (re)starts the search on m from prompt, reusing the beams' states:
// m must be the model they were made by, or one whose States may be
// copied into theirs (the conditioned models of one autoreg.Conditional).
func (b *beamSearch) start(m autoreg.Model, prompt []autoreg.Token, cfg Config) error {
	v := m.Vocab()
	for _, t := range prompt {
		if !v.Valid(t) {
			return fmt.Errorf("decode: prompt token %d outside the vocabulary of %d", t, v.Size())
		}
	}
	cond, err := condition(v, prompt, cfg.Control)
	if err != nil {
		return err
	}
	m.NewState().CopyTo(b.cur[0].st)
	if len(cond) > 0 {
		b.cur[0].st.Append(cond...)
	}
	b.cur[0].toks = b.cur[0].toks[:0]
	b.cur[0].logp = 0
	b.nlive, b.nfin, b.nnext, b.step = 1, 0, 0, 0
	b.done, b.stop = false, StopMaxTokens
	return nil
}

// worstFin returns the index of the worst finished hypothesis.
func (b *beamSearch) worstFin() int {
	w := 0
	for i := 1; i < b.nfin; i++ {
		if b.fin[i].score < b.fin[w].score {
			w = i
		}
	}
	return w
}

// addFinished offers a hypothesis: the parent's tokens plus tail.
func (b *beamSearch) addFinished(p *beam, tail autoreg.Token, hasTail bool, logp float64, isEOS bool) {
	n := len(p.toks)
	if hasTail {
		n++
	}
	score := normScore(logp, n, b.alpha)
	slot := b.nfin
	if b.nfin == b.W {
		slot = b.worstFin()
		if !(score > b.fin[slot].score) {
			return
		}
	} else {
		b.nfin++
	}
	f := &b.fin[slot]
	f.toks = append(f.toks[:0], p.toks...)
	if hasTail {
		f.toks = append(f.toks, tail)
	}
	f.logp, f.score, f.eos = logp, score, isEOS
}

// timeUp ends a search that ran out of time.
func (b *beamSearch) timeUp() {
	if !b.done {
		b.done, b.stop = true, StopMaxTime
	}
}

// expand pools the best extensions of every live beam and fills the next
// generation: copies of their parents, whose appended tokens it queues on
// states and toks (returned) for the caller to run.
func (b *beamSearch) expand(states []autoreg.State, toks []autoreg.Token) ([]autoreg.State, []autoreg.Token) {
	b.nnext = 0
	if b.done {
		return states, toks
	}
	if b.step >= b.maxTok {
		b.done = true
		return states, toks
	}
	b.pool = b.pool[:0]
	for i := range b.nlive {
		p := &b.cur[i]
		p.st.LogProbs(b.lp)
		for j := range b.lp {
			if b.lp[j] != b.lp[j] {
				b.lp[j] = negInf
			}
		}
		for _, t := range b.banned {
			b.lp[t] = negInf
		}
		for _, q := range topKDense(b.top[:0], b.lp, b.per) {
			b.pool = append(b.pool, extension{p.logp + float64(q.v), int32(i), autoreg.Token(q.id)})
		}
	}
	if len(b.pool) == 0 {
		b.done = true
		return states, toks
	}
	slices.SortFunc(b.pool, func(x, y extension) int {
		switch {
		case x.logp > y.logp:
			return -1
		case x.logp < y.logp:
			return 1
		case x.from != y.from:
			return int(x.from - y.from)
		}
		return int(x.tok - y.tok)
	})
	// Choose the next generation, then fill it: a parent's last child
	// takes over its state (the states of the two generations are
	// exchanged), its other children get copies.
	clear(b.taken[:b.nlive])
	for rank, e := range b.pool {
		if b.nnext == b.W {
			break
		}
		p := &b.cur[e.from]
		exact := p.logp + p.st.LogProb(e.tok)
		if e.tok == b.eos {
			if rank < b.W {
				b.addFinished(p, b.eos, true, exact, true)
			}
			continue
		}
		nb := &b.next[b.nnext]
		nb.from, nb.tok = e.from, e.tok
		nb.toks = append(append(nb.toks[:0], p.toks...), e.tok)
		nb.logp = exact
		b.taken[e.from]++
		b.nnext++
	}
	for i := range b.nnext {
		nb := &b.next[i]
		p := &b.cur[nb.from]
		if b.taken[nb.from]--; b.taken[nb.from] == 0 {
			nb.st, p.st = p.st, nb.st
		} else {
			p.st.CopyTo(nb.st)
		}
		states, toks = append(states, nb.st), append(toks, nb.tok)
	}
	if b.nnext == 0 {
		b.nlive, b.done, b.stop = 0, true, StopEOS
	}
	return states, toks
}

// advance makes the generation expand filled (its appends done) the live
// one and decides whether the search is over.
func (b *beamSearch) advance() {
	if b.done {
		return
	}
	b.step++
	b.cur, b.next = b.next, b.cur
	b.nlive = b.nnext
	if b.nfin == b.W {
		if b.earlyStopping {
			b.done, b.stop = true, StopEOS
			return
		}
		// Best score any live beam can still reach.
		best := math.Inf(-1)
		for i := range b.nlive {
			n := len(b.cur[i].toks)
			if b.alpha > 0 {
				n = b.maxTok
			}
			best = max(best, normScore(b.cur[i].logp, n, b.alpha))
		}
		if best <= b.fin[b.worstFin()].score {
			b.done, b.stop = true, StopEOS
		}
	}
}

// results returns the best cfg.NumReturn hypotheses, live beams competing
// with the finished ones.
func (b *beamSearch) results(cfg Config, d Detokenizer) []Result {
	for i := range b.nlive {
		b.addFinished(&b.cur[i], 0, false, b.cur[i].logp, false)
	}
	b.nlive = 0
	nret := min(max(cfg.NumReturn, 1), b.W)
	order := make([]int, b.nfin)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case b.fin[x].score > b.fin[y].score:
			return -1
		case b.fin[x].score < b.fin[y].score:
			return 1
		}
		return 0
	})
	if len(order) > nret {
		order = order[:nret]
	}
	out := make([]Result, 0, len(order))
	for _, i := range order {
		f := &b.fin[i]
		r := Result{Tokens: slices.Clone(f.toks), LogProb: f.logp, Score: f.score, Stop: StopMaxTokens}
		if f.eos {
			r.Stop = StopEOS
		} else if b.stop == StopMaxTime {
			r.Stop = StopMaxTime
		}
		if d != nil {
			var text []byte
			for _, t := range f.toks {
				text = d.AppendText(text, t)
			}
			if cut, ok := cutAtStop(text, cfg.Stop); ok {
				text, r.Stop = cut, StopString
			}
			r.Text = text
		}
		out = append(out, r)
	}
	return out
}
