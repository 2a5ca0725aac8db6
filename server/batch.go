package server

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
)

// Batching across requests (continuous batching). Each model that steps
// states in batches (an autoreg.Stepper) has an engine: one goroutine that
// loops over the sequences generating with the model. Each round it asks
// every sequence for its next token (decode.Session.Next: sampling, stop
// strings, and handing the token's event to the request's writer), then
// advances all of them in one autoreg.Step, and goes round again at once.
// Nothing between two steps waits on another goroutine: the JSON and the
// socket writes of the events happen on each request's writer goroutine
// while the engine runs the next step, so the cores hold the step's
// products and the writes at the same time.
//
// A sequence joins after reading its prompt and choosing its first token
// on its own goroutine (beside the steps: the first token does not wait
// for a round), and leaves when its session ends: the engine then wakes its
// goroutine, which finishes the response. A sequence whose writer is far
// behind (its client reads slowly) sits out the steps until the writer
// catches up, so a slow client never slows the others; one whose request
// is canceled (the client went away, its deadline passed) ends at its next
// round, before another token is computed.
//
// Beam search and best_of run on their request's goroutine and hand their
// steps in through a seqModel; the engine adds them to its next step.
//
// A Stepper gives each state the bits it would get alone, at any place in
// any batch, so what a sequence generates never depends on the others.

// engine runs the batched steps of the sequences generating with one model.
type engine struct {
	m      autoreg.Model
	onStep func(rows int) // metrics, may be nil
	quit   chan struct{}  // closed by stop
	wake   chan struct{}  // something joined (capacity 1)

	mu      sync.Mutex // guards what follows
	closed  bool       // the loop has ended
	joining []*seq     // sequences to drive from the next round
	handed  []*seq     // steps handed in for the next step
	idle    []autoreg.State

	// reads serializes the reading of short prompts. k prompts read at
	// once on the cores would all end near k times one's time; read one
	// after another, each with the cores to itself, the i-th ends after i
	// times it: the same last first token, the others sooner. A long
	// prompt reads beside them rather than hold the short ones up.
	reads sync.Mutex
}

// maxQueuedRead is the longest prompt, in tokens, that waits for the
// prompts before it to be read.
const maxQueuedRead = 512

// maxIdle bounds the idle states an engine keeps. A state (a GPT's
// key/value cache) is reused rather than made anew for each sequence:
// fresh memory costs its allocation, its zeroing, and page faults on the
// first writes to its cache while the batch waits.
const maxIdle = 64

// pausedPoll is how often the engine looks again at sequences sitting out
// the steps when nothing else runs.
const pausedPoll = time.Millisecond

// newEngine starts the engine of a model (an autoreg.Stepper, or steps go
// one state at a time).
func newEngine(m autoreg.Model, onStep func(int)) *engine {
	e := &engine{m: m, onStep: onStep, quit: make(chan struct{}), wake: make(chan struct{}, 1)}
	go e.loop()
	return e
}

// stop ends the loop; the sequences it held and any later one fail with
// errEngineStopped.
func (e *engine) stop() { close(e.quit) }

// errEngineStopped ends a generation that outlived the server.
var errEngineStopped = errors.New("server: the model's engine has stopped")

// newState returns an idle state, reset, or a new one.
func (e *engine) newState() autoreg.State {
	e.mu.Lock()
	if n := len(e.idle); n > 0 {
		st := e.idle[n-1]
		e.idle[n-1] = nil
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		st.Reset()
		return st
	}
	e.mu.Unlock()
	return e.m.NewState()
}

// seq is one sequence generating with an engine's model.
type seq struct {
	e     *engine
	owned []autoreg.State // the engine's states made for this sequence
	ready chan any        // the engine is done with it: nil, or the failure

	// A driven sequence: its session, whether its writer is too far
	// behind for it to step, and whether its request has ended; first is
	// a token its session gave before it joined, for its first step.
	sess     *decode.Session
	paused   func() bool
	ended    func() bool
	first    autoreg.Token
	hasFirst bool

	// A step handed in: states[i] reads xs[i].
	states []autoreg.State
	xs     []autoreg.Token
}

// join registers a new sequence; it must call leave when done.
func (e *engine) join() *seq { return &seq{e: e, ready: make(chan any, 1)} }

// leave gives the sequence's states back to the engine's idle ones.
func (q *seq) leave() {
	e := q.e
	e.mu.Lock()
	for _, st := range q.owned {
		if len(e.idle) < maxIdle {
			e.idle = append(e.idle, st)
		}
	}
	e.mu.Unlock()
	q.owned = nil
}

// submit adds q to list (joining or handed) and waits for the engine to
// let it go; it returns the failure, if any.
func (q *seq) submit(list *[]*seq) any {
	e := q.e
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return errEngineStopped
	}
	*list = append(*list, q)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return <-q.ready
}

// drive has the engine run the session to its end: each round, its Next,
// then its states step with the others'. The session has read its
// prompt, and Next has given first, which the states read in the first
// step; paused and ended are polled before each of its rounds (ended
// true: one more Next, which sees the context's end).
func (q *seq) drive(s *decode.Session, first autoreg.Token, paused, ended func() bool) any {
	q.sess, q.paused, q.ended = s, paused, ended
	q.first, q.hasFirst = first, true
	return q.submit(&q.e.joining)
}

// step has the engine append xs[i] to the engine model's states[i] in
// its next batched step, and returns when it is done.
func (q *seq) step(states []autoreg.State, xs []autoreg.Token) {
	q.states, q.xs = states, xs
	if p := q.submit(&q.e.handed); p != nil {
		panic(p)
	}
}

// round is the scratch of one round of the loop.
type round struct {
	rows    []*seq // driven sequences
	stepped []*seq // of them, those in this step
	handed  []*seq
	states  []autoreg.State
	xs      []autoreg.Token
}

// loop is the engine's goroutine.
func (e *engine) loop() {
	var r round
	poll := time.NewTimer(time.Hour)
	poll.Stop()
	for {
		e.mu.Lock()
		r.rows = append(r.rows, e.joining...)
		clear(e.joining)
		e.joining = e.joining[:0]
		r.handed, e.handed = e.handed, r.handed[:0]
		e.mu.Unlock()

		paused := e.next(&r)
		for _, q := range r.handed {
			r.states = append(r.states, q.states...)
			r.xs = append(r.xs, q.xs...)
		}
		if len(r.states) > 0 {
			failure := e.run(r.states, r.xs)
			for _, q := range r.handed {
				q.ready <- failure
			}
			if failure != nil {
				e.drop(&r, failure)
			}
			clear(r.states)
			clear(r.handed)
			r.states, r.xs, r.handed = r.states[:0], r.xs[:0], r.handed[:0]
			select {
			case <-e.quit:
				e.close(&r)
				return
			default:
			}
			// Yield between rounds: the loop never blocks while it has
			// sequences, and would otherwise hold its processor against
			// the writers and the requests waiting to join until the
			// runtime preempts it.
			runtime.Gosched()
			continue
		}
		// Nothing to step: wait for a sequence to join, or for a paused
		// one's writer to catch up.
		var tick <-chan time.Time
		if paused {
			poll.Reset(pausedPoll)
			tick = poll.C
		}
		select {
		case <-e.wake:
		case <-tick:
		case <-e.quit:
			e.close(&r)
			return
		}
		if paused && !poll.Stop() {
			select {
			case <-poll.C:
			default:
			}
		}
	}
}

// next asks every driven sequence for its next token, collecting the
// step's rows in r; a sequence whose session ends is let go. It reports
// whether a sequence sat out.
func (e *engine) next(r *round) (paused bool) {
	kept := r.rows[:0]
	r.stepped = r.stepped[:0]
	for _, q := range r.rows {
		if !q.ended() && q.paused() {
			kept = append(kept, q)
			paused = true
			continue
		}
		x, ok, failure := q.next()
		if !ok {
			q.ready <- failure
			continue
		}
		kept = append(kept, q)
		r.stepped = append(r.stepped, q)
		st, neg := q.sess.States()
		r.states, r.xs = append(r.states, st), append(r.xs, x)
		if neg != nil {
			r.states, r.xs = append(r.states, neg), append(r.xs, x)
		}
	}
	clear(r.rows[len(kept):])
	r.rows = kept
	return paused
}

// next is the session's Next (or the token it gave before joining), a
// panic in it returned as the failure.
func (q *seq) next() (x autoreg.Token, ok bool, failure any) {
	if q.hasFirst {
		q.hasFirst = false
		return q.first, true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			x, ok, failure = 0, false, p
		}
	}()
	x, ok = q.sess.Next()
	return x, ok, nil
}

// run steps the rows, returning a panic of the model's as the failure.
func (e *engine) run(states []autoreg.State, xs []autoreg.Token) (failure any) {
	defer func() { failure = recover() }()
	autoreg.Step(e.m, states, xs)
	if e.onStep != nil {
		e.onStep(len(states))
	}
	return nil
}

// drop lets go of the sequences of a failed step.
func (e *engine) drop(r *round, failure any) {
	for _, q := range r.stepped {
		q.ready <- failure
	}
	kept := r.rows[:0]
	for _, q := range r.rows {
		stepped := false
		for _, s := range r.stepped {
			stepped = stepped || s == q
		}
		if !stepped {
			kept = append(kept, q)
		}
	}
	clear(r.rows[len(kept):])
	r.rows = kept
}

// close ends the loop: every sequence it holds or that waits to join
// fails, and so does any later one.
func (e *engine) close(r *round) {
	e.mu.Lock()
	e.closed = true
	r.rows = append(r.rows, e.joining...)
	r.handed = append(r.handed, e.handed...)
	e.joining, e.handed = nil, nil
	e.mu.Unlock()
	for _, q := range r.rows {
		q.ready <- errEngineStopped
	}
	for _, q := range r.handed {
		q.ready <- errEngineStopped
	}
}

// pooled is the engine's model as a sampled sequence sees it: its states
// come from the engine's idle ones and go back when the sequence leaves.
// m is the engine's model, or a model conditioned from it (an
// encoder-decoder given a source) whose states the engine's model steps.
type pooled struct {
	q *seq
	m autoreg.Model
}

func (m pooled) Vocab() autoreg.Vocab { return m.m.Vocab() }

func (m pooled) NewState() autoreg.State {
	if m.m != m.q.e.m {
		// A conditioned state holds its condition even after Reset: it is
		// not for the engine's idle states.
		return m.m.NewState()
	}
	st := m.q.e.newState()
	m.q.owned = append(m.q.owned, st)
	return st
}

// seqModel is the model as a search (beam search, best_of) sees it: its
// states' single-token Appends and its Steps go to the engine's next
// step. m is as in pooled.
type seqModel struct {
	pooled
}

func (m seqModel) NewState() autoreg.State {
	return &seqState{q: m.q, inner: m.pooled.NewState()}
}

// Step implements autoreg.Stepper (beam search hands in all its beams'
// tokens at once).
func (m seqModel) Step(states []autoreg.State, xs []autoreg.Token) {
	inner := make([]autoreg.State, len(states))
	for i, s := range states {
		inner[i] = s.(*seqState).inner
	}
	m.q.step(inner, xs)
}

// seqState is a state of a seqModel.
type seqState struct {
	q     *seq
	inner autoreg.State
	one   [1]autoreg.State
}

// Append sends a single token to the engine's next step; a prompt (several
// tokens) goes straight into the state.
func (s *seqState) Append(xs ...autoreg.Token) {
	if len(xs) == 1 {
		s.one[0] = s.inner
		s.q.step(s.one[:], xs)
		return
	}
	if len(xs) <= maxQueuedRead {
		s.q.e.reads.Lock()
		defer s.q.e.reads.Unlock()
	}
	s.inner.Append(xs...)
}

func (s *seqState) LogProbs(dst []float32)          { s.inner.LogProbs(dst) }
func (s *seqState) LogProb(x autoreg.Token) float64 { return s.inner.LogProb(x) }
func (s *seqState) CopyTo(dst autoreg.State)        { s.inner.CopyTo(dst.(*seqState).inner) }
func (s *seqState) Reset()                          { s.inner.Reset() }
func (s *seqState) Len() int                        { return s.inner.Len() }
