package decode

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autoreg/autoreg"
)

// Sampler is a chain of processors followed by a draw: the per-step
// decision of sampling-based generation. Build one with [NewSampler] from a
// [Config] (which fixes the order) or with [NewChain] from processors;
// [Sampler.Reset] at the start of a sequence, then per step [Sampler.Sample]
// and [Sampler.Accept]. After the first step a Sampler allocates nothing.
// A Sampler is used by one goroutine at a time.
type Sampler struct {
	vocab autoreg.Vocab
	chain []Processor
	c     *Candidates
	hist  *History
	buf   []float32 // working copy of the scores
	// banned tokens are removed before the chain (context-only specials).
	banned []autoreg.Token
}

// NewChain returns a sampler running ps in order over vocabulary v, keeping
// at least minKeep tokens at every truncation and giving the penalties a
// window of the last window tokens (0: the whole sequence).
func NewChain(v autoreg.Vocab, minKeep, window int, ps ...Processor) *Sampler {
	n := v.Size()
	s := &Sampler{
		vocab: v,
		chain: ps,
		c:     NewCandidates(n),
		hist:  NewHistory(n, window),
		buf:   make([]float32, n),
	}
	s.c.MinKeep = max(minKeep, 1)
	s.c.History = s.hist
	return s
}

// NewSampler builds the chain cfg describes for vocabulary v: the enabled
// processors, in cfg.Order. A processor that is on but missing from a custom
// order is an error, so that no setting is silently ignored.
func NewSampler(cfg Config, v autoreg.Vocab) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckVocab(v); err != nil {
		return nil, err
	}
	order, _ := ParseOrder(cfg.Order)
	enabled := cfg.processors(v)
	var chain []Processor
	for _, name := range order {
		if p, ok := enabled[name]; ok {
			chain = append(chain, p)
			delete(enabled, name)
		}
	}
	if len(enabled) > 0 {
		var missing []string
		for _, n := range ProcessorNames { // fixed order for a stable message
			if _, ok := enabled[n]; ok {
				missing = append(missing, n)
			}
		}
		return nil, fmt.Errorf("decode: --sampler-order %q leaves out %s, which is set",
			cfg.Order, strings.Join(missing, ", "))
	}
	s := NewChain(v, cfg.MinKeep, cfg.PenaltyWindow, chain...)
	s.banned = cfg.contextOnly(v)
	return s, nil
}

// processors returns the processors cfg turns on, by name.
func (cfg *Config) processors(v autoreg.Vocab) map[string]Processor {
	enabled := map[string]Processor{}
	if len(cfg.LogitBias) > 0 {
		enabled[NameLogitBias] = LogitBias{Biases: cfg.LogitBias}
	}
	if cfg.RepetitionPenalty > 0 && cfg.RepetitionPenalty != 1 {
		enabled[NameRepetitionPenalty] = RepetitionPenalty{cfg.RepetitionPenalty}
	}
	if cfg.PresencePenalty != 0 {
		enabled[NamePresencePenalty] = PresencePenalty{cfg.PresencePenalty}
	}
	if cfg.FrequencyPenalty != 0 {
		enabled[NameFrequencyPenalty] = FrequencyPenalty{cfg.FrequencyPenalty}
	}
	if cfg.NoRepeatNGram > 0 {
		enabled[NameNoRepeatNGram] = NoRepeatNGram{cfg.NoRepeatNGram}
	}
	if cfg.DRYMultiplier > 0 {
		enabled[NameDRY] = &DRY{Multiplier: cfg.DRYMultiplier, Base: cfg.DRYBase,
			AllowedLength: cfg.DRYAllowedLength, Breakers: cfg.DRYBreakers, Window: cfg.DRYWindow}
	}
	if cfg.Temperature != 1 {
		enabled[NameTemperature] = Temperature{cfg.Temperature}
	}
	if cfg.TopK > 0 {
		enabled[NameTopK] = TopK{cfg.TopK}
	}
	if cfg.TopP > 0 && cfg.TopP < 1 {
		enabled[NameTopP] = TopP{cfg.TopP}
	}
	if cfg.MinP > 0 {
		enabled[NameMinP] = MinP{cfg.MinP}
	}
	if cfg.TypicalP > 0 && cfg.TypicalP < 1 {
		enabled[NameTypicalP] = TypicalP{cfg.TypicalP}
	}
	if cfg.Epsilon > 0 {
		enabled[NameEpsilon] = Epsilon{cfg.Epsilon}
	}
	if cfg.Eta > 0 {
		enabled[NameEta] = Eta{cfg.Eta}
	}
	if cfg.TopNSigma > 0 {
		enabled[NameTopNSigma] = TopNSigma{cfg.TopNSigma}
	}
	if cfg.XTCProbability > 0 {
		enabled[NameXTC] = XTC{Probability: cfg.XTCProbability, Threshold: cfg.XTCThreshold,
			Protect: []autoreg.Token{v.EOS()}}
	}
	if cfg.MirostatTau > 0 {
		enabled[NameMirostat] = &Mirostat{Tau: cfg.MirostatTau, Eta: cfg.MirostatEta}
	}
	return enabled
}

// enabledNames lists the processors cfg turns on, in ProcessorNames order.
func (cfg *Config) enabledNames() []string {
	on := cfg.processors(autoreg.Vocab{Base: 1})
	var names []string
	for _, n := range ProcessorNames {
		if _, ok := on[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// Chain returns the processors in order.
func (s *Sampler) Chain() []Processor { return s.chain }

// Order returns the names of the processors in order, comma-separated.
func (s *Sampler) Order() string {
	names := make([]string, len(s.chain))
	for i, p := range s.chain {
		names[i] = p.Name()
	}
	return strings.Join(names, ",")
}

// History returns the sequence the penalties see.
func (s *Sampler) History() *History { return s.hist }

// Reset starts a new sequence whose history is tokens (normally the prompt),
// reserving room for extra more tokens, and resets stateful processors.
func (s *Sampler) Reset(tokens []autoreg.Token, extra int) {
	s.hist.Reset(tokens, extra)
	for _, p := range s.chain {
		if r, ok := p.(Resetter); ok {
			r.Reset()
		}
	}
}

// Process runs the chain on the model's log-probabilities lp (not modified)
// and returns the resulting candidates, valid until the next call. lp must be
// normalized (log Σ e^{lp} = 0, as State.LogProbs guarantees): processors
// rely on it instead of recomputing the normalizer. A sampler built by
// NewSampler first removes the context-only specials (see
// Config.SampleSpecials). rng is the random source of processors that draw
// (XTC); it may be nil.
func (s *Sampler) Process(lp []float32, rng *rand.Rand) *Candidates {
	if len(lp) != len(s.buf) {
		panic(fmt.Sprintf("decode: %d log-probabilities for a vocabulary of %d", len(lp), len(s.buf)))
	}
	for i, v := range lp { // copy, with NaN → −Inf
		if v != v {
			v = negInf
		}
		s.buf[i] = v
	}
	s.c.reset(s.buf, true)
	for _, t := range s.banned {
		s.c.Remove(t)
	}
	s.c.Rand = rng
	for _, p := range s.chain {
		p.Process(s.c)
	}
	return s.c
}

// Sample runs the chain on lp (not modified) and draws the next token with
// one rng.Float64() from the resulting distribution (inverse CDF over the
// tokens in play in a fixed order, so a seed reproduces the draw for any
// GOMAXPROCS). A nil rng picks the most probable token instead. If the chain
// removed every token, Sample returns EOS, ending the sequence.
func (s *Sampler) Sample(lp []float32, rng *rand.Rand) autoreg.Token {
	c := s.Process(lp, rng)
	var t autoreg.Token
	var ok bool
	if rng == nil {
		t, ok = c.argmax()
	} else {
		t, ok = c.draw(rng.Float64())
	}
	if !ok {
		return s.vocab.EOS()
	}
	return t
}

// Accept records that t was chosen: it joins the history, and stateful
// processors (Mirostat) update.
func (s *Sampler) Accept(t autoreg.Token) {
	for _, p := range s.chain {
		if a, ok := p.(Accepter); ok {
			a.Accept(s.c, int32(t))
		}
	}
	s.hist.Push(t)
}

// NewRand returns the generator every random draw of a decode run uses: PCG
// seeded from seed (math/rand/v2), whose state is portable and serializable.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6175746f72656721)) // "autoreg!"
}
