package decode

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
)

// Detokenizer renders tokens as text. The tokenizers of package tokenize
// satisfy it; specials render as nothing unless a tokenizer is asked
// otherwise.
type Detokenizer interface {
	// AppendText appends the text of token t to dst.
	AppendText(dst []byte, t autoreg.Token) []byte
}

// StopReason says why a generation ended.
type StopReason int

// Stop reasons.
const (
	StopEOS       StopReason = iota // the model produced end-of-sequence
	StopString                      // a stop string appeared in the text
	StopMaxTokens                   // MaxTokens tokens were generated
	StopMaxTime                     // the MaxTime budget ran out
	StopCanceled                    // the caller's context ended (Generate returns its error)
)

var stopNames = [...]string{"eos", "stop-string", "max-tokens", "max-time", "canceled"}

// String returns "eos", "stop-string", "max-tokens", "max-time" or "canceled".
func (r StopReason) String() string {
	if r >= 0 && int(r) < len(stopNames) {
		return stopNames[r]
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// Result is one generated sequence.
type Result struct {
	// Tokens are the generated tokens (not the prompt), including a final
	// EOS when the model produced one and the token that completed a stop
	// string.
	Tokens []autoreg.Token
	// Text is the rendered text of Tokens, cut before the first stop string.
	Text []byte
	// LogProb is the model's log-probability of Tokens given the prompt, in
	// nats: Σ log P(x_t | prompt, x_<t) under the seam, unaffected by any
	// processor.
	LogProb float64
	// Score is what search ranked by: LogProb for samples, the
	// length-normalized score for beams.
	Score float64
	// Stop says why generation ended.
	Stop StopReason
}

// Chunk is one step of a streamed generation.
type Chunk struct {
	// Seq numbers the sequence when several are generated (0, 1, ...).
	Seq int
	// Token is the token just generated.
	Token autoreg.Token
	// Text is the text released by this token. It may be empty while text
	// is held back (it could start a stop string, or ends inside a UTF-8
	// character) and may include text held back earlier. In callbacks it
	// is only valid during the call.
	Text []byte
	// Final marks the last chunk of a sequence: its Text holds whatever was
	// still held back, and Token is meaningless.
	Final bool
	// LogProbs, in a chunk that is not Final, are the model's
	// log-probabilities of the step that chose Token (Vocab().Size()
	// entries, Token's among them; under classifier-free guidance, the
	// conditioned model's own, not the guided scores): what a caller
	// reports as the token's log-probability and its alternatives. In
	// callbacks it is only valid during the call; nil in Final chunks.
	LogProbs []float32
}

// Generator samples continuations of prompts from a model, streaming the
// text as it goes. It owns every buffer a step needs (model state,
// log-probabilities, sampler, text), so after the first generation a step
// allocates nothing. Its random generator is seeded once from Config.Seed and
// advances across calls: the k-th Generate after NewGenerator is the same on
// every run and for any GOMAXPROCS. A Generator is used by one goroutine at a
// time.
type Generator struct {
	model   autoreg.Model
	vocab   autoreg.Vocab
	cfg     Config
	detok   Detokenizer
	sampler *Sampler
	rng     *rand.Rand
	st      autoreg.State
	lp      []float32
	one     []autoreg.Token // a 1-token slice for State.Append without allocating
	prompt  []autoreg.Token
	stop    *stopper
	text    []byte
	tokText []byte
	control autoreg.Token
	hasCtl  bool

	// Classifier-free guidance (nil when off): the negative branch's
	// state, its log-probabilities, the guided scores, its condition.
	negSt     autoreg.State
	ln        []float32
	guided    []float32
	negPrompt []autoreg.Token
	banned    []autoreg.Token

	sess Session // the generation running (see Begin)
}

// NewGenerator checks cfg against m's vocabulary and returns a generator. d
// renders tokens; it may be nil when no text is wanted (then stop strings
// cannot match and Text stays empty).
func NewGenerator(m autoreg.Model, cfg Config, d Detokenizer) (*Generator, error) {
	v := m.Vocab()
	s, err := NewSampler(cfg, v)
	if err != nil {
		return nil, err
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	g := &Generator{
		model:   m,
		vocab:   v,
		cfg:     cfg,
		detok:   d,
		sampler: s,
		rng:     NewRand(cfg.Seed),
		st:      m.NewState(),
		lp:      make([]float32, v.Size()),
		one:     make([]autoreg.Token, 1),
		stop:    newStopper(cfg.Stop),
	}
	if cfg.Control != "" {
		g.control, g.hasCtl = v.Control(cfg.Control)
	}
	if cfg.cfgOn() {
		g.negSt = m.NewState()
		g.ln = make([]float32, v.Size())
		g.guided = make([]float32, v.Size())
		g.banned = cfg.contextOnly(v)
	}
	return g, nil
}

// Sampler returns the generator's sampler (to inspect its chain).
func (g *Generator) Sampler() *Sampler { return g.sampler }

// Condition returns the token sequence the model is conditioned on: the
// prompt with the control code (Config.Control) inserted at its front, after
// a leading BOS if there is one. The result aliases a buffer of g.
func (g *Generator) Condition(prompt []autoreg.Token) []autoreg.Token {
	if !g.hasCtl {
		return prompt
	}
	p := g.prompt[:0]
	if len(prompt) > 0 && prompt[0] == g.vocab.BOS() {
		p = append(p, prompt[0], g.control)
		p = append(p, prompt[1:]...)
	} else {
		p = append(p, g.control)
		p = append(p, prompt...)
	}
	g.prompt = p
	return p
}

// NegativeCondition returns the token sequence the negative branch of
// classifier-free guidance is conditioned on for prompt (see the package
// documentation), or nil when guidance is off. The result aliases a buffer
// of g.
func (g *Generator) NegativeCondition(prompt []autoreg.Token) []autoreg.Token {
	if g.negSt == nil {
		return nil
	}
	g.negPrompt = negCondition(g.negPrompt, g.vocab, prompt, &g.cfg)
	return g.negPrompt
}

// Generate samples one continuation of prompt. The conditioned prompt goes
// into the model state in one Append call. emit, if non-nil, is called for
// every generated token and once more with Final set; an error from emit
// stops generation and is returned. Generation ends at EOS, at a stop string
// (after the first token whose text completes one; the text ends before the
// earliest stop string in it, and neither that nor anything after it is ever
// emitted), after MaxTokens
// tokens or when MaxTime runs out (both normal endings), or when ctx ends
// (then the partial result comes back with ctx's error). With
// classifier-free guidance (Config.CFGScale) the negative branch runs beside
// the model and the sampler draws from the guided scores; Result.LogProb
// stays the model's.
func (g *Generator) Generate(ctx context.Context, prompt []autoreg.Token, emit func(Chunk) error) (Result, error) {
	return g.generate(ctx, prompt, 0, emit)
}

func (g *Generator) generate(ctx context.Context, prompt []autoreg.Token, seq int, emit func(Chunk) error) (Result, error) {
	s, err := g.begin(ctx, prompt, seq, emit)
	if err != nil {
		return Result{}, err
	}
	for {
		t, ok := s.Next()
		if !ok {
			break
		}
		g.one[0] = t
		g.st.Append(g.one...)
		if g.negSt != nil {
			g.negSt.Append(g.one...)
		}
	}
	return s.Finish()
}

// A Session is one generation whose model steps the caller runs: Begin
// reads the prompt into the generator's states, each Next chooses a
// token from their distribution and releases its text, and the caller
// appends that token to every state of States before the next Next, alone
// or in one batched autoreg.Step beside other sessions' states (a server
// steps its concurrent sequences so). Generate is exactly this loop with
// State.Append. Finish ends the session.
type Session struct {
	g       *Generator
	ctx     context.Context // the caller's, with MaxTime's deadline
	parent  context.Context // the caller's
	cancel  context.CancelFunc
	seq     int
	emit    func(Chunk) error
	res     Result
	maxTok  int
	err     error
	over    bool
	started bool
}

// Begin starts a generation of prompt's continuation, as Generate does:
// the conditioned prompt goes into the model state in one Append call
// (and into guidance's negative state); emit, if non-nil, receives the
// chunks. The session belongs to g (one at a time; Begin again abandons
// the previous one) and must end with Finish.
func (g *Generator) Begin(ctx context.Context, prompt []autoreg.Token, emit func(Chunk) error) (*Session, error) {
	return g.begin(ctx, prompt, 0, emit)
}

func (g *Generator) begin(ctx context.Context, prompt []autoreg.Token, seq int, emit func(Chunk) error) (*Session, error) {
	for _, t := range prompt {
		if !g.vocab.Valid(t) {
			return nil, fmt.Errorf("decode: prompt token %d outside the vocabulary of %d", t, g.vocab.Size())
		}
	}
	s := &g.sess
	if s.started && s.cancel != nil {
		s.cancel()
	}
	*s = Session{g: g, ctx: ctx, parent: ctx, seq: seq, emit: emit, maxTok: g.cfg.MaxTokens, started: true}
	if g.cfg.MaxTime > 0 {
		s.ctx, s.cancel = context.WithTimeout(ctx, g.cfg.MaxTime)
	}
	cond := g.Condition(prompt)
	g.st.Reset()
	if len(cond) > 0 {
		g.st.Append(cond...)
	}
	if g.negSt != nil {
		g.negSt.Reset()
		if neg := g.NegativeCondition(prompt); len(neg) > 0 {
			g.negSt.Append(neg...)
		}
	}
	room := min(s.maxTok, maxReserve) // beyond this, buffers grow as needed
	g.sampler.Reset(cond, room)
	g.stop.reset()
	s.res = Result{Tokens: make([]autoreg.Token, 0, room), Stop: StopMaxTokens}
	g.text = g.text[:0]
	return s, nil
}

// States returns the states the token of each Next must be appended to:
// the model's, and classifier-free guidance's negative branch (nil when
// guidance is off). They are states of the model the generator was made
// with.
func (s *Session) States() (st, neg autoreg.State) { return s.g.st, s.g.negSt }

// release records text and hands it to emit (a Final chunk when lp is nil).
func (s *Session) release(tok autoreg.Token, text []byte, lp []float32) error {
	g := s.g
	g.text = append(g.text, text...)
	if s.emit == nil {
		return nil
	}
	return s.emit(Chunk{Seq: s.seq, Token: tok, Text: text, Final: lp == nil, LogProbs: lp})
}

// Next chooses the next token from the states' distribution and releases
// its text through emit. It returns the token the states must read before
// the next call, or false when the generation has ended: at EOS, a stop
// string, MaxTokens, MaxTime, the context's end, or an error from emit
// (then call Finish).
func (s *Session) Next() (autoreg.Token, bool) {
	if s.over {
		return 0, false
	}
	g, res := s.g, &s.res
	if len(res.Tokens) >= s.maxTok {
		s.over = true
		return 0, false
	}
	if s.ctx.Err() != nil {
		if s.parent.Err() != nil {
			res.Stop, s.err = StopCanceled, s.parent.Err()
		} else {
			res.Stop = StopMaxTime
		}
		s.over = true
		return 0, false
	}
	g.st.LogProbs(g.lp)
	var t autoreg.Token
	if g.negSt == nil {
		t = g.sampler.Sample(g.lp, g.rng)
	} else {
		g.negSt.LogProbs(g.ln)
		if guide(g.guided, g.lp, g.ln, g.cfg.CFGScale, g.banned) {
			t = g.sampler.Sample(g.guided, g.rng)
		} else {
			t = g.vocab.EOS() // nothing left: as when the chain removes every token
		}
	}
	g.sampler.Accept(t)
	res.LogProb += float64(g.lp[t])
	res.Tokens = append(res.Tokens, t)
	if t == g.vocab.EOS() {
		res.Stop = StopEOS
		s.over = true
		return 0, false
	}
	// The token's text goes out before the model reads the token: a
	// streaming client sees it one model step sooner, and the last token
	// (a stop string's, or the MaxTokens-th) is never read at all:
	// nothing follows it.
	if g.detok != nil {
		g.tokText = g.detok.AppendText(g.tokText[:0], t)
		out, stopped := g.stop.push(g.tokText)
		if s.err = s.release(t, out, g.lp); s.err != nil {
			s.over = true
			return 0, false
		}
		if stopped {
			res.Stop = StopString
			s.over = true
			return 0, false
		}
	}
	if len(res.Tokens) == s.maxTok {
		s.over = true
		return 0, false
	}
	return t, true
}

// Finish ends the session: it releases the text still held back (a Final
// chunk) and returns the result, with the context's error when it ended
// the generation or emit's when that failed.
func (s *Session) Finish() (Result, error) {
	g, err := s.g, s.err
	if err == nil || s.res.Stop == StopCanceled {
		if ferr := s.release(0, g.stop.flush(), nil); err == nil {
			err = ferr
		}
	}
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.over, s.started = true, false
	res := s.res
	res.Text = slices.Clone(g.text)
	res.Score = res.LogProb
	s.res = Result{}
	return res, err
}

// Stream is Generate with a channel: it runs the generation in a goroutine
// and sends every chunk (Text and LogProbs copied, so they stay valid) on the returned
// channel, which is closed at the end; wait blocks until then and returns
// the result. Cancel ctx to abandon a stream that is no longer read.
func (g *Generator) Stream(ctx context.Context, prompt []autoreg.Token) (chunks <-chan Chunk, wait func() (Result, error)) {
	ch := make(chan Chunk, 16)
	done := make(chan struct{})
	var res Result
	var err error
	go func() {
		defer close(done)
		defer close(ch)
		res, err = g.Generate(ctx, prompt, func(c Chunk) error {
			c.Text = slices.Clone(c.Text)
			c.LogProbs = slices.Clone(c.LogProbs)
			select {
			case ch <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return ch, func() (Result, error) {
		<-done
		return res, err
	}
}

// Rerank is robust decoding: it draws n samples of prompt's continuation
// (guided when Config.CFGScale is on) and returns them best first by model
// log-probability (the model's own, never the guided score), length-normalized as
// beam search is (Score = LogProb / len^α, α = Config.LengthPenalty; α = 0
// ranks by the raw log-probability, which favours short samples). Ties keep
// the drawing order. Nothing is streamed.
func (g *Generator) Rerank(ctx context.Context, prompt []autoreg.Token, n int) ([]Result, error) {
	out := make([]Result, 0, n)
	for i := range n {
		r, err := g.generate(ctx, prompt, i, nil)
		if err != nil {
			return out, err
		}
		r.Score = normScore(r.LogProb, len(r.Tokens), g.cfg.LengthPenalty)
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Result) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out, nil
}

// Run is the whole of `autoreg sample` minus the printing: beam search when
// cfg.Beams > 1, reranked sampling when cfg.Rerank > 1, otherwise
// cfg.NumReturn independent samples streamed through emit (which may be
// nil) one after the other. It returns at most max(1, cfg.NumReturn)
// results, best first for beams and rerank.
func Run(ctx context.Context, m autoreg.Model, prompt []autoreg.Token, cfg Config, d Detokenizer, emit func(Chunk) error) ([]Result, error) {
	nret := max(cfg.NumReturn, 1)
	if cfg.Beams > 1 {
		return BeamSearch(ctx, m, prompt, cfg, d)
	}
	g, err := NewGenerator(m, cfg, d)
	if err != nil {
		return nil, err
	}
	if cfg.Rerank > 1 {
		rs, err := g.Rerank(ctx, prompt, cfg.Rerank)
		if len(rs) > nret {
			rs = rs[:nret]
		}
		return rs, err
	}
	var out []Result
	for i := range nret {
		r, err := g.generate(ctx, prompt, i, emit)
		out = append(out, r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// condition inserts the control code of tag into prompt (after a leading
// BOS), returning a new slice.
func condition(v autoreg.Vocab, prompt []autoreg.Token, tag string) ([]autoreg.Token, error) {
	if tag == "" {
		return prompt, nil
	}
	ctl, ok := v.Control(tag)
	if !ok {
		return nil, fmt.Errorf("decode: --control %q: the model has no such control code (it has: %s)",
			tag, strings.Join(v.Controls, ", "))
	}
	out := make([]autoreg.Token, 0, len(prompt)+1)
	if len(prompt) > 0 && prompt[0] == v.BOS() {
		out = append(out, prompt[0], ctl)
		return append(out, prompt[1:]...), nil
	}
	out = append(out, ctl)
	return append(out, prompt...), nil
}

// maxTimeContext derives the MaxTime deadline; the returned cancel must be
// called.
func maxTimeContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}

// BreakerTokens returns the ordinary tokens of v whose rendered text
// contains one of strs: DRY's sequence breakers for a tokenizer (pass
// DefaultBreakers for the usual set). This is llama.cpp's rule for breakers
// that fit in one token; for byte and character tokenizers it selects exactly
// the tokens of those characters. Breakers spanning several tokens are not
// supported.
func BreakerTokens(d Detokenizer, v autoreg.Vocab, strs []string) []autoreg.Token {
	var out []autoreg.Token
	var buf []byte
	for t := range v.Base {
		buf = d.AppendText(buf[:0], autoreg.Token(t))
		for _, s := range strs {
			if s != "" && strings.Contains(string(buf), s) {
				out = append(out, autoreg.Token(t))
				break
			}
		}
	}
	return out
}
