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
// through State.CopyTo.
func BeamSearch(ctx context.Context, m autoreg.Model, prompt []autoreg.Token, cfg Config, d Detokenizer) ([]Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := m.Vocab()
	if err := cfg.CheckVocab(v); err != nil {
		return nil, err
	}
	for _, t := range prompt {
		if !v.Valid(t) {
			return nil, fmt.Errorf("decode: prompt token %d outside the vocabulary of %d", t, v.Size())
		}
	}
	cond, err := condition(v, prompt, cfg.Control)
	if err != nil {
		return nil, err
	}
	W := max(cfg.Beams, 1)
	nret := min(max(cfg.NumReturn, 1), W)
	maxTok := cfg.MaxTokens
	if maxTok == 0 {
		maxTok = DefaultMaxTokens
	}
	alpha := cfg.LengthPenalty
	V := v.Size()
	eos := v.EOS()
	parent := ctx
	ctx, cancel := maxTimeContext(ctx, cfg.MaxTime)
	defer cancel()

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
	cur, next := newBeams(true), newBeams(true)
	fin := newBeams(false)
	nfin := 0
	lp := make([]float32, V)
	per := min(2*W, V) // extensions kept per beam
	pool := make([]extension, 0, W*per)
	top := make([]pair, 0, V)
	stepStates := make([]autoreg.State, W)
	stepToks := make([]autoreg.Token, W)
	banned := cfg.contextOnly(v)

	cur[0].st.Reset()
	if len(cond) > 0 {
		cur[0].st.Append(cond...)
	}
	cur[0].toks = cur[0].toks[:0]
	cur[0].logp = 0
	nlive := 1
	stop := StopMaxTokens

	// worstFin returns the index of the worst finished hypothesis.
	worstFin := func() int {
		w := 0
		for i := 1; i < nfin; i++ {
			if fin[i].score < fin[w].score {
				w = i
			}
		}
		return w
	}
	// addFinished offers a hypothesis: the parent's tokens plus tail.
	addFinished := func(b *beam, tail autoreg.Token, hasTail bool, logp float64, isEOS bool) {
		n := len(b.toks)
		if hasTail {
			n++
		}
		score := normScore(logp, n, alpha)
		slot := nfin
		if nfin == W {
			slot = worstFin()
			if !(score > fin[slot].score) {
				return
			}
		} else {
			nfin++
		}
		f := &fin[slot]
		f.toks = append(f.toks[:0], b.toks...)
		if hasTail {
			f.toks = append(f.toks, tail)
		}
		f.logp, f.score, f.eos = logp, score, isEOS
	}

	for step := 0; step < maxTok; step++ {
		if ctx.Err() != nil {
			if parent.Err() != nil {
				return nil, parent.Err()
			}
			stop = StopMaxTime
			break
		}
		// Pool the best extensions of every live beam.
		pool = pool[:0]
		for i := range nlive {
			b := &cur[i]
			b.st.LogProbs(lp)
			for j := range lp {
				if lp[j] != lp[j] {
					lp[j] = negInf
				}
			}
			for _, t := range banned {
				lp[t] = negInf
			}
			for _, q := range topKDense(top[:0], lp, per) {
				pool = append(pool, extension{b.logp + float64(q.v), int32(i), autoreg.Token(q.id)})
			}
		}
		if len(pool) == 0 {
			break
		}
		slices.SortFunc(pool, func(a, b extension) int {
			switch {
			case a.logp > b.logp:
				return -1
			case a.logp < b.logp:
				return 1
			case a.from != b.from:
				return int(a.from - b.from)
			}
			return int(a.tok - b.tok)
		})
		nnext := 0
		for rank, e := range pool {
			if nnext == W {
				break
			}
			b := &cur[e.from]
			exact := b.logp + b.st.LogProb(e.tok)
			if e.tok == eos {
				if rank < W {
					addFinished(b, eos, true, exact, true)
				}
				continue
			}
			nb := &next[nnext]
			b.st.CopyTo(nb.st)
			stepStates[nnext], stepToks[nnext] = nb.st, e.tok
			nb.toks = append(append(nb.toks[:0], b.toks...), e.tok)
			nb.logp = exact
			nnext++
		}
		// The new beams take their tokens together: one batched pass for
		// a model that steps many states at once (autoreg.Stepper).
		autoreg.Step(m, stepStates[:nnext], stepToks[:nnext])
		cur, next = next, cur
		nlive = nnext
		if nlive == 0 {
			stop = StopEOS
			break
		}
		if nfin == W {
			if cfg.EarlyStopping {
				stop = StopEOS
				break
			}
			// Best score any live beam can still reach.
			best := math.Inf(-1)
			for i := range nlive {
				n := len(cur[i].toks)
				if alpha > 0 {
					n = maxTok
				}
				best = max(best, normScore(cur[i].logp, n, alpha))
			}
			if best <= fin[worstFin()].score {
				stop = StopEOS
				break
			}
		}
	}
	// Live beams compete with the finished hypotheses.
	for i := range nlive {
		addFinished(&cur[i], 0, false, cur[i].logp, false)
	}
	order := make([]int, nfin)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case fin[a].score > fin[b].score:
			return -1
		case fin[a].score < fin[b].score:
			return 1
		}
		return 0
	})
	if len(order) > nret {
		order = order[:nret]
	}
	out := make([]Result, 0, len(order))
	for _, i := range order {
		f := &fin[i]
		r := Result{Tokens: slices.Clone(f.toks), LogProb: f.logp, Score: f.score, Stop: StopMaxTokens}
		if f.eos {
			r.Stop = StopEOS
		} else if stop == StopMaxTime {
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
	return out, nil
}
