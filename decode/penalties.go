package decode

import (
	"math"

	"github.com/autoreg/autoreg"
)

// Bias is one logit-bias entry: Bias is added to the score of Token.
type Bias struct {
	Token autoreg.Token
	Bias  float32
}

// LogitBias adds a fixed bias to the score of chosen tokens,
//
//	s_t ← s_t + b_t,
//
// so p_t is multiplied by e^{b_t} before renormalization; b_t = −Inf bans
// t. A removed token stays removed whatever its bias.
//
// Source: the OpenAI completions API's logit_bias; llama.cpp --logit-bias
// (llama_sampler_logit_bias); Hugging Face SequenceBiasLogitsProcessor
// (its length-1 case).
type LogitBias struct{ Biases []Bias }

// Name implements [Processor].
func (LogitBias) Name() string { return NameLogitBias }

// Process implements [Processor].
func (p LogitBias) Process(c *Candidates) {
	for _, b := range p.Biases {
		if int(b.Token) < 0 || int(b.Token) >= len(c.LogP) {
			continue
		}
		c.Set(b.Token, c.LogP[b.Token]+b.Bias)
	}
}

// RepetitionPenalty is CTRL's multiplicative penalty on every token that
// occurs in the penalty window, applied to normalized log-probabilities:
//
//	s_t ← L + θ · (s_t − L),   L = log Σ_j e^{s_j},
//
// i.e. the token's log-probability ℓ_t = s_t − L is multiplied by θ, so
// p_t ∝ p_t^θ before renormalization. Each distinct token is penalized once,
// whatever its count. θ > 1 discourages repeats, 0 < θ < 1 encourages them,
// θ = 1 (or 0, "unset") disables it.
//
// Why this form. CTRL divides a logit by θ; Hugging Face and llama.cpp
// divide positive logits and multiply negative ones, so that the penalty
// always lowers the score. On raw logits that rule depends on where the
// logit's zero happens to be (a logit of +0.1 and one of −0.1 are treated
// oppositely, and adding a constant to every logit, which changes no
// probability, changes the penalty). Log-probabilities are all ≤ 0, so only
// the "multiply" branch ever applies, and applied to ℓ_t it is
// shift-invariant and has a clean meaning: raise the token's probability to
// the power θ. For θ > 1 and 0 < p_t < 1 the renormalized p_t always drops;
// a certain token (p_t = 1) stays certain. This is Hugging Face's
// RepetitionPenaltyLogitsProcessor with normalize=True. The window is the
// last PenaltyWindow tokens of prompt plus output (llama.cpp's
// penalty_last_n); Hugging Face uses the whole sequence.
//
// Source: Keskar, McCann, Varshney, Xiong & Socher, "CTRL: A Conditional
// Transformer Language Model for Controllable Generation" (2019,
// arXiv:1909.05858), §4.1; Hugging Face RepetitionPenaltyLogitsProcessor;
// llama.cpp llama_sampler_penalties.
type RepetitionPenalty struct{ Penalty float64 }

// Name implements [Processor].
func (RepetitionPenalty) Name() string { return NameRepetitionPenalty }

// Process implements [Processor].
func (p RepetitionPenalty) Process(c *Candidates) {
	if p.Penalty == 1 || p.Penalty <= 0 || c.History == nil {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	th := p.Penalty
	c.History.EachRecent(func(t autoreg.Token, _ int) {
		v := c.LogP[t]
		if v > negInf {
			c.Set(t, float32(lse+th*(float64(v)-lse)))
		}
	})
}

// PresencePenalty subtracts a constant from the score of every token that
// occurs in the penalty window:
//
//	s_t ← s_t − α · [count_t > 0],
//
// so p_t is divided by e^α before renormalization. α = 0 disables it;
// negative α rewards repeats.
//
// Source: the OpenAI API's presence_penalty; llama.cpp
// llama_sampler_penalties (penalty_present).
type PresencePenalty struct{ Penalty float64 }

// Name implements [Processor].
func (PresencePenalty) Name() string { return NamePresencePenalty }

// Process implements [Processor].
func (p PresencePenalty) Process(c *Candidates) {
	if p.Penalty == 0 || c.History == nil {
		return
	}
	a := float32(p.Penalty)
	c.History.EachRecent(func(t autoreg.Token, _ int) {
		c.Set(t, c.LogP[t]-a)
	})
}

// FrequencyPenalty subtracts a constant per occurrence in the penalty
// window:
//
//	s_t ← s_t − α · count_t,
//
// so p_t is divided by e^{α·count_t} before renormalization. α = 0 disables
// it.
//
// Source: the OpenAI API's frequency_penalty; llama.cpp
// llama_sampler_penalties (penalty_freq).
type FrequencyPenalty struct{ Penalty float64 }

// Name implements [Processor].
func (FrequencyPenalty) Name() string { return NameFrequencyPenalty }

// Process implements [Processor].
func (p FrequencyPenalty) Process(c *Candidates) {
	if p.Penalty == 0 || c.History == nil {
		return
	}
	a := p.Penalty
	c.History.EachRecent(func(t autoreg.Token, n int) {
		c.Set(t, c.LogP[t]-float32(a*float64(n)))
	})
}

// NoRepeatNGram bans every token that would complete an n-gram already
// present in the history (prompt and output):
//
//	s_t ← −Inf  if  (x_{T−N+2}, …, x_T, t) occurs in x_1..x_T.
//
// N = 1 bans every token seen; N ≤ 0 disables it. Only the length-(N−1)
// suffix is matched against every window, O(T·N) per step with no memory.
// This is a ban, not a truncation: MinKeep does not apply (nor does it to a
// −Inf logit bias), and if every token is banned the sampler ends the
// sequence.
//
// Source: Paulus, Xiong & Socher, "A Deep Reinforced Model for Abstractive
// Summarization" (ICLR 2018, trigram blocking); fairseq and Hugging Face
// NoRepeatNGramLogitsProcessor (no_repeat_ngram_size).
type NoRepeatNGram struct{ N int }

// Name implements [Processor].
func (NoRepeatNGram) Name() string { return NameNoRepeatNGram }

// Process implements [Processor].
func (p NoRepeatNGram) Process(c *Candidates) {
	n := p.N
	if n <= 0 || c.History == nil {
		return
	}
	h := c.History.Tokens
	T := len(h)
	if T < n-1 || T == 0 && n > 1 {
		return
	}
	suffix := h[T-(n-1):]
	// A window h[i : i+n] ends before T, so its last token is known.
	for i := 0; i+n <= T; i++ {
		match := true
		for j, s := range suffix {
			if h[i+j] != s {
				match = false
				break
			}
		}
		if match {
			c.Remove(h[i+n-1])
		}
	}
}

// DRY ("Don't Repeat Yourself") penalizes the token that would extend a
// repetition of the recent text, by an amount growing exponentially with the
// repetition's length:
//
//	L(t) = the largest L such that the last L tokens also occur earlier in
//	       the window immediately followed by t (the match never reaches
//	       back across a sequence breaker);
//	s_t ← s_t − m · b^{L(t) − A}   when L(t) ≥ A,
//
// with multiplier m, base b and allowed length A. Sequence breakers (for
// text: newline, ':', '"', '*', as tokens) cut matches: if the last token
// is a breaker nothing is penalized, and a breaker is never penalized as a
// continuation. The exponent is capped so the penalty stays finite. Match
// lengths come from the Z-function of the reversed window, O(window) per
// step. m ≤ 0 disables it. The window (prompt included) is DRY's own.
//
// Source: p-e-w, "DRY: A modern repetition penalty that reliably prevents
// looping", text-generation-webui PR #5677 (2024); koboldcpp and llama.cpp
// llama_sampler_dry (the Z-function formulation).
type DRY struct {
	Multiplier    float64
	Base          float64 // default 1.75
	AllowedLength int     // default 2
	// Breakers are the sequence-breaker tokens (see [BreakerTokens]).
	Breakers []autoreg.Token
	// Window is how many recent tokens DRY searches (0: the whole
	// sequence, llama.cpp's default); it is independent of the penalty
	// window, since DRY is after long loops.
	Window int

	brk    []bool  // breaker flags by token, built on first use
	z      []int32 // Z-function scratch
	maxLen []int32 // best L per token, -1 = none
	seen   []int32 // tokens with maxLen set
}

// Name implements [Processor].
func (*DRY) Name() string { return NameDRY }

// Process implements [Processor].
func (p *DRY) Process(c *Candidates) {
	if p.Multiplier <= 0 || c.History == nil {
		return
	}
	V := len(c.LogP)
	if len(p.brk) != V {
		p.brk = make([]bool, V)
		for _, t := range p.Breakers {
			if int(t) >= 0 && int(t) < V {
				p.brk[t] = true
			}
		}
		p.maxLen = make([]int32, V)
		for i := range p.maxLen {
			p.maxLen[i] = -1
		}
	}
	w := c.History.Tokens
	if p.Window > 0 && len(w) > p.Window {
		w = w[len(w)-p.Window:]
	}
	n := len(w)
	A := max(p.AllowedLength, 1)
	if n < 2 || p.brk[w[n-1]] {
		return
	}
	// limit: the number of trailing tokens before the last breaker; no
	// match may reach further back.
	limit := 0
	for limit < n && !p.brk[w[n-1-limit]] {
		limit++
	}
	if limit < A {
		return
	}
	// Z-function of r = reverse(w): z[k] = longest common prefix of r and
	// r[k:], i.e. the longest common suffix of w[:n-k] and w.
	if cap(p.z) < n {
		p.z = make([]int32, n, max(2*cap(p.z), n, 1024)) // grows with the text, geometrically
	}
	z := p.z[:n]
	r := func(i int) autoreg.Token { return w[n-1-i] }
	z[0] = int32(n)
	lo, hi := 0, 0
	for k := 1; k < n; k++ {
		var zk int
		if k < hi {
			zk = min(hi-k, int(z[k-lo]))
		}
		for k+zk < n && r(zk) == r(k+zk) {
			zk++
		}
		z[k] = int32(zk)
		if k+zk > hi {
			lo, hi = k, k+zk
		}
	}
	// Position i = n-1-k ends a match of length z[k]; w[i+1] would extend it.
	seen := p.seen[:0]
	for k := 1; k < n; k++ {
		L := min(int(z[k]), limit)
		if L < A {
			continue
		}
		next := w[n-k]
		if p.brk[next] {
			continue
		}
		if p.maxLen[next] < 0 {
			seen = append(seen, int32(next))
		}
		p.maxLen[next] = max(p.maxLen[next], int32(L))
	}
	base := p.Base
	if base <= 0 {
		base = 1.75
	}
	// Cap the exponent so m·b^e stays far below float32's range.
	maxExp := 1 << 20
	if base > 1 {
		maxExp = int(80 / math.Log(base))
	}
	for _, t := range seen {
		e := min(int(p.maxLen[t])-A, maxExp)
		pen := p.Multiplier * math.Pow(base, float64(e))
		c.Set(autoreg.Token(t), c.LogP[t]-float32(pen))
		p.maxLen[t] = -1
	}
	p.seen = seen[:0]
}
