package decode

import (
	"math"
)

// Processor transforms the candidates of one step in place. Processors are
// the links of a sampler chain (see [Sampler]); each one's doc states its
// formula and its source. Scores are log-probabilities (or what earlier
// links made of them), p_i denotes the softmax of the current scores over the
// tokens in play, H = −Σ p_i log p_i its entropy in nats, and every
// truncation keeps at least [Candidates.MinKeep] tokens by its own ranking.
type Processor interface {
	// Name is the processor's name in a sampler order ("top-k", ...).
	Name() string
	// Process transforms c.
	Process(c *Candidates)
}

// Accepter is implemented by processors with state that follows the
// sequence (Mirostat): Accept is told every token chosen.
type Accepter interface {
	Accept(c *Candidates, t int32)
}

// Resetter is implemented by processors with state that a new sequence
// clears.
type Resetter interface {
	Reset()
}

// Names of the processors, as used in sampler orders and on the command line
// (each is also the flag that sets it, without the dashes).
const (
	NameLogitBias         = "logit-bias"
	NameRepetitionPenalty = "repetition-penalty"
	NamePresencePenalty   = "presence-penalty"
	NameFrequencyPenalty  = "frequency-penalty"
	NameNoRepeatNGram     = "no-repeat-ngram"
	NameDRY               = "dry"
	NameTemperature       = "temperature"
	NameTopK              = "top-k"
	NameTopP              = "top-p"
	NameMinP              = "min-p"
	NameTypicalP          = "typical-p"
	NameEpsilon           = "epsilon"
	NameEta               = "eta"
	NameTopNSigma         = "top-n-sigma"
	NameXTC               = "xtc"
	NameMirostat          = "mirostat"
	NameGreedy            = "greedy"
)

// Temperature divides every score by T,
//
//	s_i ← s_i / T,  so  p_i ∝ p_i^(1/T),
//
// sharpening the distribution for T < 1 and flattening it for T > 1; T = 1
// changes nothing. T ≤ 0 is greedy decoding: only the most probable token
// stays (ties: lowest id), whatever MinKeep says.
//
// Source: the Boltzmann temperature of Ackley, Hinton & Sejnowski (1985);
// Hugging Face TemperatureLogitsWarper; llama.cpp llama_sampler_temp (which
// also maps T ≤ 0 to greedy).
type Temperature struct{ T float64 }

// Name implements [Processor].
func (Temperature) Name() string { return NameTemperature }

// Process implements [Processor].
func (p Temperature) Process(c *Candidates) {
	if p.T <= 0 {
		Greedy{}.Process(c)
		return
	}
	if p.T == 1 {
		return
	}
	inv := float32(1 / p.T)
	if c.sparse {
		for _, id := range c.ids {
			c.LogP[id] *= inv // −Inf stays −Inf
		}
	} else {
		lp := c.LogP
		for i := range lp {
			lp[i] *= inv
		}
	}
	c.lseOK = false // the ranking is unchanged: T > 0 is monotone
}

// Greedy keeps only the most probable token (ties: lowest id): argmax
// decoding. It is what Temperature{0} does.
type Greedy struct{}

// Name implements [Processor].
func (Greedy) Name() string { return NameGreedy }

// Process implements [Processor].
func (Greedy) Process(c *Candidates) {
	t, ok := c.argmax()
	if !ok {
		return
	}
	ps := append(c.pairs2[:0], pair{c.LogP[t], int32(t)})
	c.keep(ps, true)
}

// TopK keeps the K most probable tokens, and at least MinKeep. K ≤ 0
// disables it. Exactly K stay: ties at the K-th place go to the lower ids
// (Hugging Face keeps every token tied with the K-th).
//
// Source: Fan, Lewis & Dauphin, "Hierarchical Neural Story Generation"
// (ACL 2018); Hugging Face TopKLogitsWarper (k = max(K, min_tokens_to_keep));
// llama.cpp llama_sampler_top_k.
type TopK struct{ K int }

// Name implements [Processor].
func (TopK) Name() string { return NameTopK }

// Process implements [Processor].
func (p TopK) Process(c *Candidates) {
	if p.K <= 0 {
		return
	}
	c.KeepTop(max(p.K, c.minKeep()))
}

// TopP (nucleus sampling) keeps the smallest set of most probable tokens
// whose probability mass reaches P:
//
//	keep the first k tokens in order of decreasing p_i, k minimal with
//	Σ_{j≤k} p_(j) ≥ P  (and k ≥ MinKeep),
//
// equivalently: a token stays iff the mass of the tokens ranked above it is
// below P. P ≥ 1 disables it; P ≤ 0 keeps MinKeep tokens.
//
// Source: Holtzman, Buys, Du, Forbes & Choi, "The Curious Case of Neural
// Text Degeneration" (ICLR 2020); Hugging Face TopPLogitsWarper; llama.cpp
// llama_sampler_top_p.
type TopP struct{ P float64 }

// Name implements [Processor].
func (TopP) Name() string { return NameTopP }

// Process implements [Processor].
func (p TopP) Process(c *Candidates) {
	if p.P >= 1 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	if c.sparse && c.sorted {
		c.cutMass(c.gather(), lse, p.P) // already in ranking order
		return
	}
	// The tokens with p_i < τ = (1−P)/V carry less than 1−P together, so
	// the nucleus lies inside {p_i ≥ τ}: gather only those (one pass, no
	// exponentials).
	ks := c.gatherKeysAbove(float32(lse + math.Log((1-p.P)/float64(len(c.LogP)))))
	if len(ks) < c.minKeep() {
		ks = c.gatherKeysAbove(negInf)
	}
	c.cutMassKeys(ks, lse, p.P)
}

// MinP keeps the tokens at least P times as probable as the most probable
// one:
//
//	keep i iff p_i ≥ P · max_j p_j  ⇔  s_i ≥ max_j s_j + ln P.
//
// P ≤ 0 disables it.
//
// Source: Nguyen, Baker, Neo, Roush, Kirsch & Shwartz-Ziv, "Turning Up the
// Heat: Min-p Sampling for Creative and Coherent LLM Outputs" (2024,
// arXiv:2407.01082); Hugging Face MinPLogitsWarper; llama.cpp
// llama_sampler_min_p.
type MinP struct{ P float64 }

// Name implements [Processor].
func (MinP) Name() string { return NameMinP }

// Process implements [Processor].
func (p MinP) Process(c *Candidates) {
	if p.P <= 0 {
		return
	}
	m := c.Max()
	if m == negInf {
		return
	}
	c.keepAbove(float32(float64(m)+math.Log(min(p.P, 1))), true)
}

// TypicalP (locally typical sampling) ranks tokens by how close their
// surprisal is to the entropy and keeps the smallest such set reaching mass
// P:
//
//	key_i = | −log p_i − H |,  keep the k tokens of smallest key, k minimal
//	with their mass ≥ P (and k ≥ MinKeep).
//
// The most probable token may be dropped. P ≥ 1 disables it.
//
// Source: Meister, Pimentel, Wiher & Cotterell, "Locally Typical Sampling"
// (TACL 2023, arXiv:2202.00666); Hugging Face TypicalLogitsWarper;
// llama.cpp llama_sampler_typical.
type TypicalP struct{ P float64 }

// Name implements [Processor].
func (TypicalP) Name() string { return NameTypicalP }

// Process implements [Processor].
func (p TypicalP) Process(c *Candidates) {
	if p.P >= 1 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	h := c.entropy(lse)
	ps := c.gather()
	ks := c.keys[:len(ps)]
	for i, q := range ps {
		// Ranking key: larger is better, so negate the distance.
		ks[i] = rankKey(pair{-float32(math.Abs(-(float64(q.v) - lse) - h)), q.id})
	}
	c.cutMassKeys(ks, lse, p.P)
}

// Epsilon (ε-sampling) keeps the tokens of probability at least ε:
//
//	keep i iff p_i ≥ ε  ⇔  s_i ≥ log Σ_j e^{s_j} + ln ε,
//
// or the MinKeep most probable if fewer qualify. ε ≤ 0 disables it.
//
// Source: Hewitt, Manning & Liang, "Truncation Sampling as Language Model
// Desmoothing" (Findings of EMNLP 2022, arXiv:2210.15191); Hugging Face
// EpsilonLogitsWarper (paper's range: 3e-4 to 9e-4).
type Epsilon struct{ Epsilon float64 }

// Name implements [Processor].
func (Epsilon) Name() string { return NameEpsilon }

// Process implements [Processor].
func (p Epsilon) Process(c *Candidates) {
	if p.Epsilon <= 0 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	c.KeepAbove(float32(lse + math.Log(p.Epsilon)))
}

// Eta (η-sampling) is ε-sampling with a cutoff that falls as the entropy
// rises:
//
//	η = min(ε, √ε · e^{−H}),  keep i iff p_i ≥ η,
//
// or the MinKeep most probable if fewer qualify. ε ≤ 0 disables it.
//
// Source: Hewitt, Manning & Liang, "Truncation Sampling as Language Model
// Desmoothing" (Findings of EMNLP 2022, arXiv:2210.15191), §5; Hugging
// Face EtaLogitsWarper (paper's range: 3e-4 to 4e-3).
type Eta struct{ Epsilon float64 }

// Name implements [Processor].
func (Eta) Name() string { return NameEta }

// Process implements [Processor].
func (p Eta) Process(c *Candidates) {
	if p.Epsilon <= 0 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	h := c.entropy(lse)
	eta := min(p.Epsilon, math.Sqrt(p.Epsilon)*math.Exp(-h))
	c.KeepAbove(float32(lse + math.Log(eta)))
}

// TopNSigma keeps the tokens whose score is within N standard deviations of
// the best:
//
//	keep i iff s_i ≥ max_j s_j − N·σ,  σ² = (1/n) Σ_j (s_j − s̄)²,
//
// over the n tokens in play (population deviation, removed tokens left out).
// Log-probabilities differ from logits by one constant per step, which
// cancels in both max − s_i and σ, so this is exactly the paper's rule on
// logits; since both sides scale with 1/T, the kept set does not depend on
// a temperature applied before it. N ≤ 0 disables it.
//
// Source: Tang, Zheng, Li, Liu & Mao, "Top-nσ: Not All Logits Are You Need"
// (2024, arXiv:2411.07641); llama.cpp llama_sampler_top_n_sigma.
type TopNSigma struct{ N float64 }

// Name implements [Processor].
func (TopNSigma) Name() string { return NameTopNSigma }

// Process implements [Processor].
func (p TopNSigma) Process(c *Candidates) {
	if p.N <= 0 {
		return
	}
	m, sd, n := c.moments()
	if n < 2 {
		return
	}
	c.keepAbove(float32(float64(m)-p.N*sd), true)
}

// entropy returns H = −Σ p_i log p_i over the tokens in play, given lse.
func (c *Candidates) entropy(lse float64) float64 {
	// H = lse − Σ p_i s_i, with p_i = e^{s_i − lse}.
	m := float32(lse)
	var h0, h1 float64
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v > negInf {
				h0 += float64(expf(v-m)) * float64(v)
			}
		}
	} else {
		lp := c.LogP
		i := 0
		for ; i+2 <= len(lp); i += 2 {
			if v := lp[i]; v > negInf {
				h0 += float64(expf(v-m)) * float64(v)
			}
			if v := lp[i+1]; v > negInf {
				h1 += float64(expf(v-m)) * float64(v)
			}
		}
		if i < len(lp) {
			if v := lp[i]; v > negInf {
				h0 += float64(expf(v-m)) * float64(v)
			}
		}
	}
	// expf(v − float32(lse)) is relative to the rounded lse; correct for it.
	corr := math.Exp(float64(m) - lse)
	return lse - (h0+h1)*corr
}

// moments returns the max and population standard deviation of the scores
// in play, and their number, in one pass (Σs and Σs² in float64: scores are
// log-probabilities of modest size, so the cancellation in E[s²] − E[s]²
// costs a few bits of float64's 53). Dense sets run in four lanes, since a
// single float64 accumulator would make the pass latency-bound.
func (c *Candidates) moments() (m float32, sd float64, n int) {
	m = negInf
	var s, q float64
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v > negInf {
				f := float64(v)
				s += f
				q += f * f
				n++
				if v > m {
					m = v
				}
			}
		}
	} else {
		// Two lanes in scalar variables (arrays would live in memory).
		var s0, s1, q0, q1 float64
		var n0, n1 int
		m0, m1 := negInf, negInf
		lp := c.LogP
		i := 0
		for ; i+2 <= len(lp); i += 2 {
			if v := lp[i]; v > negInf {
				f := float64(v)
				s0 += f
				q0 += f * f
				n0++
				if v > m0 {
					m0 = v
				}
			}
			if v := lp[i+1]; v > negInf {
				f := float64(v)
				s1 += f
				q1 += f * f
				n1++
				if v > m1 {
					m1 = v
				}
			}
		}
		if i < len(lp) {
			if v := lp[i]; v > negInf {
				f := float64(v)
				s0 += f
				q0 += f * f
				n0++
				if v > m0 {
					m0 = v
				}
			}
		}
		s, q, n = s0+s1, q0+q1, n0+n1
		m = m0
		if m1 > m {
			m = m1
		}
	}
	if n == 0 {
		return m, 0, 0
	}
	mean := s / float64(n)
	return m, math.Sqrt(max(q/float64(n)-mean*mean, 0)), n
}
