package decode

import (
	"math"

	"github.com/autoreg/autoreg"
)

// XTC ("Exclude Top Choices") sometimes removes the most probable tokens, to
// push generation off its most predictable path:
//
//	with probability P (one uniform draw u < P from Candidates.Rand):
//	  T = { i : p_i ≥ threshold };  if |T| ≥ 2, remove T except its least
//	  probable member (ties: the highest id stays).
//
// At least one viable token always remains, since the least probable of the
// top set is kept. Nothing happens when a removal would take a protected
// token (the original protects newline and end-of-sequence, so XTC never
// prolongs or cuts text by itself; the sampler protects EOS) or leave fewer
// than MinKeep tokens. A threshold above 0.5 can never select two tokens, so
// it disables the processor, as does P ≤ 0. The draw is taken at XTC's place
// in the chain on every step where P > 0, so the random stream does not
// depend on the distribution.
//
// Source: p-e-w, "Exclude Top Choices (XTC): A sampler that boosts
// creativity, breaks writing clichés, and inhibits non-verbatim repetition",
// text-generation-webui PR #6335 (2024); llama.cpp llama_sampler_xtc.
type XTC struct {
	Probability float64
	Threshold   float64
	// Protect lists tokens XTC must never remove.
	Protect []autoreg.Token
}

// Name implements [Processor].
func (XTC) Name() string { return NameXTC }

// Process implements [Processor].
func (p XTC) Process(c *Candidates) {
	if p.Probability <= 0 || c.Rand == nil {
		return
	}
	u := c.Rand.Float64()
	if u >= p.Probability || p.Threshold > 0.5 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	th := float32(lse + math.Log(max(p.Threshold, 0)))
	ps := c.gatherAbove(th)
	if len(ps) < 2 {
		return
	}
	// The least probable of the top set stays (ties: highest id, the last in
	// ranking order).
	worst := ps[0]
	for _, q := range ps[1:] {
		if better(worst, q) {
			worst = q
		}
	}
	for _, q := range ps {
		if q.id == worst.id {
			continue
		}
		for _, t := range p.Protect {
			if int32(t) == q.id {
				return
			}
		}
	}
	if c.Len()-(len(ps)-1) < c.minKeep() {
		return
	}
	for _, q := range ps {
		if q.id != worst.id {
			c.Remove(autoreg.Token(q.id))
		}
	}
}

// Mirostat is Mirostat 2.0, a feedback controller that keeps the surprise
// of the generated text near a target τ (bits per token):
//
//	keep i iff −log₂ p_i ≤ μ  (at least the MinKeep most probable);
//	after the draw of x:  μ ← μ − η · (−log₂ p̃_x − τ),
//
// where p̃ is the distribution renormalized over the kept tokens and μ starts
// at 2τ. The truncation takes place where Mirostat stands in the chain (put
// it last for the classic setup: its own distribution is then the one drawn
// from); the update uses the chosen token's probability as Mirostat saw it.
// τ ≤ 0 disables it. Reset restores μ = 2τ.
//
// Source: Basu, Ramachandran, Keskar & Varshney, "Mirostat: A Neural Text
// Decoding Algorithm that Directly Controls Perplexity" (ICLR 2021,
// arXiv:2007.14966), and the authors' "mirostat_v2" variant; llama.cpp
// llama_sampler_mirostat_v2 (defaults τ = 5, η = 0.1).
type Mirostat struct {
	Tau float64
	Eta float64
	// Mu is the current truncation bound in bits; 0 means "not started"
	// and is set to 2τ at the first step.
	Mu float64

	started bool
	ids     []int32   // kept tokens (when cut)
	vals    []float32 // their scores as Mirostat left them
	dense   []float32 // all scores, when nothing was cut
	isDense bool
	lse     float64 // log-normalizer of the kept set
}

// Name implements [Processor].
func (*Mirostat) Name() string { return NameMirostat }

// Reset implements [Resetter].
func (p *Mirostat) Reset() { p.started = false }

// Process implements [Processor].
func (p *Mirostat) Process(c *Candidates) {
	if p.Tau <= 0 {
		return
	}
	if !p.started {
		p.Mu = 2 * p.Tau
		p.started = true
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	// −log₂ p_i ≤ μ  ⇔  s_i ≥ lse − μ·ln 2.
	c.KeepAbove(float32(lse - p.Mu*math.Ln2))
	p.lse = c.LogSumExp()
	// Remember the kept scores for Accept, in case later links change them.
	p.isDense = !c.sparse
	if p.isDense {
		if len(p.dense) != len(c.LogP) {
			p.dense = make([]float32, len(c.LogP))
		}
		copy(p.dense, c.LogP)
		return
	}
	if cap(p.ids) < len(c.LogP) {
		p.ids = make([]int32, 0, len(c.LogP))
		p.vals = make([]float32, 0, len(c.LogP))
	}
	p.ids = append(p.ids[:0], c.ids...)
	p.vals = p.vals[:0]
	for _, id := range c.ids {
		p.vals = append(p.vals, c.LogP[id])
	}
}

// Accept implements [Accepter]: the μ update.
func (p *Mirostat) Accept(_ *Candidates, t int32) {
	if p.Tau <= 0 || !p.started {
		return
	}
	v := negInf
	if p.isDense {
		if int(t) < len(p.dense) {
			v = p.dense[t]
		}
	} else {
		for i, id := range p.ids {
			if id == t {
				v = p.vals[i]
				break
			}
		}
	}
	if v > negInf {
		surprise := -(float64(v) - p.lse) / math.Ln2
		p.Mu -= p.Eta * (surprise - p.Tau)
	}
}
