package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/fim"
)

// completion is the response body (and, with Choices of one and Usage
// usually nil, each event of a stream).
type completion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
	Choices           []choiceJSON `json:"choices"`
	Usage             *usage       `json:"usage,omitempty"`
	Seed              *uint64      `json:"seed,omitempty"` // autoreg: the seed of choice 0
}

type choiceJSON struct {
	Text         string        `json:"text"`
	Index        int           `json:"index"`
	Logprobs     *logprobsJSON `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// choice is one generated sequence as it builds up.
type choice struct {
	index  int
	text   []byte      // the choice's text (the prompt's first, with echo)
	toks   []tokenInfo // its logprobs entries
	finish string      // "stop" or "length"
	ntok   int         // tokens generated
}

// finishReason maps why decode stopped to OpenAI's finish_reason.
func finishReason(r decode.StopReason) string {
	switch r {
	case decode.StopEOS, decode.StopString:
		return "stop"
	}
	return "length"
}

// run is one completion request being served.
type run struct {
	s       *Server
	p       *plan
	start   time.Time
	id      string
	created int64
	events  *eventStream // nil unless streaming
	first   sync.Once    // time to first token recorded
	gen     atomic.Int64 // tokens generated
	echoes  [][]tokenInfo
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return "cmpl-" + hex.EncodeToString(b[:])
}

// completions serves POST /v1/completions.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) *apiError {
	start := time.Now()
	t, end, e := s.begin(w, "completions")
	if e != nil {
		return e
	}
	defer end()
	var req completionRequest
	if e := readJSON(w, r, s.opts.MaxBodyBytes, &req); e != nil {
		return e
	}
	p, e := s.plan(&req)
	if e != nil {
		return e
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	ru := &run{s: s, p: p, start: start, id: newID(), created: start.Unix()}
	if p.stream {
		ru.events = startEvents(w, s.opts.KeepAlive, cancel)
		defer ru.events.close()
	}
	if err := t.wait(ctx); err != nil {
		return ru.fail(s.ctxError(ctx, err))
	}
	choices, err := ru.generate(ctx)
	if err != nil {
		return ru.fail(s.ctxError(ctx, err))
	}
	u := ru.usage(choices)
	if p.stream {
		if p.includeUsage {
			c := ru.chunk(nil)
			c.Usage = &u
			ru.events.event(c)
		}
		ru.events.finish()
		return nil
	}
	out := ru.chunk(nil)
	out.Usage = &u
	seed := p.cfg.Seed
	out.Seed = &seed
	for _, c := range choices {
		f := c.finish
		cj := choiceJSON{Text: string(c.text), Index: c.index, FinishReason: &f}
		if p.logprobs >= 0 {
			cj.Logprobs = render(c.toks)
		}
		out.Choices = append(out.Choices, cj)
	}
	return writeJSON(w, out)
}

// begin counts a request that generates in flight (so that Close waits
// for it) and gives it a slot or a place in the queue, or refuses it with
// 503 and Retry-After. It comes first, so a request the server has no
// room for is refused before any work is spent on it. end gives back
// what begin took.
func (s *Server) begin(w http.ResponseWriter, endpoint string) (t *ticket, end func(), e *apiError) {
	if !s.enter() {
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, kind: "unavailable", message: "the server is shutting down"}
	}
	t, err := s.slots.admit()
	if err != nil {
		s.wg.Done()
		s.metrics.rejected.add(endpoint, 1)
		w.Header().Set("Retry-After", "1")
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, kind: "server_overloaded", code: "queue_full",
			message: "every slot is busy and the queue is full: retry later"}
	}
	return t, func() {
		t.done()
		s.wg.Done()
	}, nil
}

// enter counts a request in flight, unless the server is closing.
func (s *Server) enter() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ctx.Err() != nil {
		return false
	}
	s.wg.Add(1)
	return true
}

// ctxError says why a completion's context ended.
func (s *Server) ctxError(ctx context.Context, err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case s.ctx.Err() != nil:
		return &apiError{status: http.StatusServiceUnavailable, kind: "unavailable", message: "the server is shutting down"}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &apiError{status: http.StatusGatewayTimeout, kind: "timeout",
			message: fmt.Sprintf("the request took longer than the server's limit of %v", s.opts.Timeout)}
	case ctx.Err() != nil:
		return &apiError{status: http.StatusServiceUnavailable, kind: "canceled", message: "the request was canceled"}
	}
	return &apiError{status: http.StatusInternalServerError, kind: "server_error", message: err.Error()}
}

// fail reports e: as the response, or as an error event of a stream
// whose headers are sent.
func (ru *run) fail(e *apiError) *apiError {
	if ru.events == nil {
		return e
	}
	ru.events.event(e.body())
	return nil
}

// chunk is a completion object holding choices (an event of a stream, or
// the body).
func (ru *run) chunk(cs []choiceJSON) completion {
	sm := ru.p.model
	c := completion{ID: ru.id, Object: "text_completion", Created: ru.created, Model: sm.Name, Choices: cs}
	if c.Choices == nil {
		c.Choices = []choiceJSON{}
	}
	if len(sm.sha) >= 12 {
		c.SystemFingerprint = "autoreg-" + sm.sha[:12]
	}
	return c
}

// send streams one event for choice index: text and, with logprobs, the
// entries of the tokens it holds; finish ends the choice. The event is
// queued: the stream's writer encodes and writes it. toks must not change
// after.
func (ru *run) send(index int, text []byte, toks []tokenInfo, finish string) error {
	return ru.events.send(streamEvent{ru: ru, index: index, text: string(text), toks: toks, finish: finish})
}

// choiceEvent is the event of send's arguments.
func (ru *run) choiceEvent(index int, text string, toks []tokenInfo, finish string) completion {
	cj := choiceJSON{Text: text, Index: index}
	if ru.p.logprobs >= 0 {
		cj.Logprobs = render(toks)
	}
	if finish != "" {
		cj.FinishReason = &finish
	}
	return ru.chunk([]choiceJSON{cj})
}

// usage counts the request's tokens (prompts once, as OpenAI counts) and
// records them in the metrics.
func (ru *run) usage(choices []*choice) usage {
	var u usage
	for _, p := range ru.p.prompts {
		u.PromptTokens += len(p.tokens) - 1
	}
	for _, c := range choices {
		u.CompletionTokens += c.ntok
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	name := ru.p.model.Name
	ru.s.metrics.promptTokens.add(name, int64(u.PromptTokens))
	return u
}

// tokenDone counts a generated token and the time to the first.
func (ru *run) tokenDone() {
	ru.gen.Add(1)
	ru.first.Do(func() { ru.s.metrics.ttft.observe(ru.p.model.Name, since(ru.start)) })
}

// generate runs every choice of the request, concurrently, and returns
// them in index order.
func (ru *run) generate(ctx context.Context) ([]*choice, error) {
	p := ru.p
	n := p.n
	out := make([]*choice, len(p.prompts)*n)
	if p.echo {
		ru.echoes = make([][]tokenInfo, len(p.prompts))
		if p.logprobs >= 0 {
			for i, pr := range p.prompts {
				m, _, err := ru.condition(i, 0)
				if err != nil {
					return nil, err
				}
				ru.echoes[i] = p.model.promptInfos(m, pr.tokens, p.cfg.Control, p.logprobs)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	spawn := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					if ru.s.opts.Logf != nil && r != errEngineStopped {
						ru.s.opts.Logf("server: completion %s: panic: %v", ru.id, r)
					}
					fail(fmt.Errorf("server: generation failed: %v", r))
				}
			}()
			if err := f(); err != nil {
				fail(err)
			}
		}()
	}
	for i := range p.prompts {
		switch {
		case p.cfg.MaxTokens == 0:
			// Nothing to generate (decode would take 0 for its default):
			// the prompt alone, with echo.
			for j := range n {
				c := ru.newChoice(i, i*n+j)
				c.finish = "length"
				out[i*n+j] = c
				if ru.events != nil {
					if err := ru.send(c.index, c.text, c.toks, c.finish); err != nil {
						return nil, err
					}
				}
			}
		case p.cfg.Beams > 1 || p.bestOf > 1:
			spawn(func() error { return ru.search(ctx, i, out[i*n:(i+1)*n]) })
		default:
			for j := range n {
				spawn(func() error {
					c, err := ru.sample(ctx, i, j)
					out[i*n+j] = c
					return err
				})
			}
		}
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	ru.s.metrics.genTokens.add(p.model.Name, ru.gen.Load())
	return out, nil
}

// condition returns the model choice j of prompt i generates with (the
// served model, or the model the request's condition builds from it) and
// the prompt to start it from.
func (ru *run) condition(i, j int) (autoreg.Model, []autoreg.Token, error) {
	p, sm, c := ru.p, ru.p.model, ru.p.cond
	m, ids := sm.m, p.prompts[i].tokens
	if c.model != nil {
		m = c.model
	}
	switch {
	case c.prior:
		lat := sm.m.(autoreg.Latent)
		z := priorCode(lat.LatentDim(), p.cfg.Seed+uint64(j))
		g, err := lat.WithLatent(z)
		if err != nil {
			return nil, nil, err
		}
		m = g
	case c.hasSuffix:
		// The prompt and the suffix are cut to leave the middle room in
		// the window, as `autoreg sample --suffix` cuts them.
		budget := len(ids) + len(c.suffix)
		if T := sm.context; T > 0 {
			budget = T - fim.Overhead - min(p.cfg.MaxTokens, T/2)
		}
		pre, suf := fim.Fit(ids, c.suffix, budget)
		im, err := fim.Infill(m, pre, suf, c.order)
		if err != nil {
			return nil, nil, badRequest("suffix", "%v", err)
		}
		return im, nil, nil
	}
	return m, ids, nil
}

// join returns the batching engine's handle for a sequence generating
// with its condition's model m, or nil when it steps alone, and the
// function that ends the sequence. The engine steps the served model's
// own states and an encoder-decoder's states of any source; other
// conditioned models step their sequences alone.
func (ru *run) join(m autoreg.Model) (*seq, func()) {
	sm := ru.p.model
	ru.s.active.Add(1)
	if sm.engine == nil || (m != sm.m && !ru.p.cond.hasSource) {
		return nil, func() { ru.s.active.Add(-1) }
	}
	q := sm.engine.join()
	return q, func() {
		q.leave()
		ru.s.active.Add(-1)
	}
}

// newChoice starts choice index of prompt i: with echo, its text and
// entries begin with the prompt's.
func (ru *run) newChoice(i, index int) *choice {
	c := &choice{index: index}
	if ru.p.echo {
		c.text = []byte(ru.p.prompts[i].text)
		c.toks = append(c.toks, ru.echoes[i]...)
	}
	return c
}

// sample generates choice j of prompt i with seed + j, streaming it when
// the request streams.
func (ru *run) sample(ctx context.Context, i, j int) (*choice, error) {
	p, sm := ru.p, ru.p.model
	cm, ids, err := ru.condition(i, j)
	if err != nil {
		return nil, err
	}
	q, leave := ru.join(cm)
	defer leave()
	m := cm
	if q != nil {
		m = pooled{q, cm}
	}
	cfg := p.cfg
	cfg.Seed += uint64(j)
	cfg.NumReturn = 1
	g, err := decode.NewGenerator(m, cfg, sm.tok)
	if err != nil {
		return nil, badRequest("", "%v", err)
	}
	c := ru.newChoice(i, i*p.n+j)
	if ru.events != nil && p.echo {
		if err := ru.send(c.index, c.text, c.toks, ""); err != nil {
			return nil, err
		}
	}
	offset := len(c.text)
	emit := func(ch decode.Chunk) error {
		if ch.Final {
			if ru.events != nil && len(ch.Text) > 0 {
				return ru.send(c.index, ch.Text, nil, "")
			}
			return nil
		}
		ru.tokenDone()
		var toks []tokenInfo
		if p.logprobs >= 0 {
			c.toks = append(c.toks, sm.info(ch.Token, ch.LogProbs, p.logprobs, offset))
			_, n := sm.piece(ch.Token)
			offset += n
			toks = c.toks[len(c.toks)-1:] // never written again
		}
		if ru.events != nil {
			return ru.send(c.index, ch.Text, toks, "")
		}
		return nil
	}
	var res decode.Result
	if q == nil {
		res, err = g.Generate(ctx, ids, emit)
	} else {
		res, err = ru.drive(ctx, q, g, ids, emit)
	}
	if err != nil {
		return nil, err
	}
	if res.Stop == decode.StopEOS {
		ru.tokenDone() // the end-of-sequence token is generated too
	}
	c.text = append(c.text, res.Text...)
	c.finish = finishReason(res.Stop)
	c.ntok = len(res.Tokens)
	if res.Stop == decode.StopString {
		c.toks = trimToText(c.toks, len(c.text))
	}
	if ru.events != nil {
		return c, ru.send(c.index, nil, nil, c.finish)
	}
	return c, nil
}

// drive runs a generation on the batching engine: the prompt is read and
// the first token chosen here, then the engine steps and samples the
// sequence with the others until it ends.
func (ru *run) drive(ctx context.Context, q *seq, g *decode.Generator, prompt []autoreg.Token, emit func(decode.Chunk) error) (decode.Result, error) {
	if len(prompt) <= maxQueuedRead {
		q.e.reads.Lock()
	}
	sess, err := g.Begin(ctx, prompt, emit)
	if len(prompt) <= maxQueuedRead {
		q.e.reads.Unlock()
	}
	if err != nil {
		return decode.Result{}, err
	}
	first, ok := sess.Next()
	if !ok {
		return sess.Finish()
	}
	paused := func() bool { return false }
	if ru.events != nil {
		paused = ru.events.behind
	}
	if failure := q.drive(sess, first, paused, func() bool { return ctx.Err() != nil }); failure != nil {
		sess.Finish()
		panic(failure)
	}
	return sess.Finish()
}

// trimToText drops the entries of tokens that start past the end of the
// text: those whose text a stop string cut away.
func trimToText(ts []tokenInfo, n int) []tokenInfo {
	for len(ts) > 0 && ts[len(ts)-1].offset >= n {
		ts = ts[:len(ts)-1]
	}
	return ts
}

// search runs a beam search (beams) or reranked sampling (best_of) for
// prompt i, filling its choices best first. Nothing is streamed before
// the search ends; then each choice goes out as one event.
func (ru *run) search(ctx context.Context, i int, out []*choice) error {
	p, sm := ru.p, ru.p.model
	cm, ids, err := ru.condition(i, 0)
	if err != nil {
		return err
	}
	q, leave := ru.join(cm)
	defer leave()
	m := cm
	if q != nil {
		m = seqModel{pooled{q, cm}}
	}
	var results []decode.Result
	if p.cfg.Beams > 1 {
		results, err = decode.BeamSearch(ctx, m, ids, p.cfg, sm.tok)
	} else {
		results, err = decode.Run(ctx, m, ids, p.cfg, sm.tok, nil)
	}
	if err != nil {
		return err
	}
	for j, r := range results {
		if j >= len(out) {
			break
		}
		for range r.Tokens {
			ru.tokenDone()
		}
		c := ru.newChoice(i, i*p.n+j)
		start := len(c.text)
		c.text = append(c.text, r.Text...)
		c.finish = finishReason(r.Stop)
		c.ntok = len(r.Tokens)
		if p.logprobs >= 0 {
			c.toks = append(c.toks, ru.replay(cm, ids, r.Tokens, start)...)
			if r.Stop == decode.StopString {
				c.toks = trimToText(c.toks, len(c.text))
			}
		}
		out[j] = c
		if ru.events != nil {
			if err := ru.send(c.index, c.text, c.toks, c.finish); err != nil {
				return err
			}
		}
	}
	return nil
}

// replay describes generated tokens (a beam's, a reranked sample's) by
// stepping a state of m along them as generation did: the prompt in one
// Append, then token by token. A final </s> has no entry, as in sampling.
func (ru *run) replay(m autoreg.Model, prompt, toks []autoreg.Token, offset int) []tokenInfo {
	p, sm := ru.p, ru.p.model
	v := sm.tok.Vocab()
	st := m.NewState()
	if cond := conditioned(v, prompt, p.cfg.Control); len(cond) > 0 {
		st.Append(cond...)
	}
	lp := make([]float32, v.Size())
	out := make([]tokenInfo, 0, len(toks))
	for k, t := range toks {
		if t == v.EOS() && k == len(toks)-1 {
			break
		}
		st.LogProbs(lp)
		out = append(out, sm.info(t, lp, p.logprobs, offset))
		_, n := sm.piece(t)
		offset += n
		st.Append(t)
	}
	return out
}
