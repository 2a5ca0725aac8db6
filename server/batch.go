package server

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/autoreg/autoreg"
)

// Batching across requests. Every sequence being generated runs in its own
// goroutine through package decode, unchanged; it sees the model through
// a seq, whose states hand each single-token Append to the model's engine
// instead of running it. When the last of the sequences the engine
// expects hands in its token, that sequence's goroutine advances all of
// them in one autoreg.Stepper call and lets the others go on: the
// sequences share one batched forward pass per token, and no goroutine
// hand-off is added (a sequence alone steps itself at once). A Stepper
// gives each state the bits it would get alone, so what a sequence
// generates never depends on the others.
//
// Which sequences the engine expects: those that have handed in a token
// before and not left since. A sequence reading its prompt (a many-token
// Append) is not expected until its first token; if an expected sequence
// is late (its client slow to take its text, say), the first sequence
// waiting steps without it after the engine's wait, and the late one is
// not expected again until it hands in its next token: a stalled sequence
// costs the others one wait, not one per token.

// engine batches the steps of the sequences generating with one model.
type engine struct {
	m       autoreg.Model
	wait    time.Duration   // longest wait for an expected sequence
	onStep  func(rows int)  // metrics, may be nil
	quit    chan struct{}   // closed by stop
	bufs    sync.Pool       // *stepRows
	mu      sync.Mutex      // guards what follows
	seqs    map[*seq]bool   // the sequences generating
	expect  int             // of them, those expected at the next step
	pending []*seq          // those whose token waits for a step
	idle    []autoreg.State // states of finished sequences, for new ones

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

// stepRows holds the rows of one batched step.
type stepRows struct {
	states []autoreg.State
	xs     []autoreg.Token
}

// newEngine returns the engine of a model (an autoreg.Stepper, or steps
// go one state at a time).
func newEngine(m autoreg.Model, wait time.Duration, onStep func(int)) *engine {
	return &engine{m: m, wait: wait, onStep: onStep, quit: make(chan struct{}), seqs: map[*seq]bool{}}
}

// stop fails the steps still waiting and any later one.
func (e *engine) stop() { close(e.quit) }

// seq is one sequence being generated: the handle its states step through.
type seq struct {
	e        *engine
	owned    []autoreg.State // the inner states made for this sequence
	expected bool
	pending  bool
	states   []autoreg.State // this step's inner states
	xs       []autoreg.Token
	ready    chan any // the step is done (nil) or failed (the panic value)
}

// join registers a new sequence; it must call leave when done.
func (e *engine) join() *seq {
	q := &seq{e: e, ready: make(chan any, 1)}
	e.mu.Lock()
	e.seqs[q] = true
	e.mu.Unlock()
	return q
}

// leave unregisters the sequence. The others may then all be waiting: the
// step runs here.
func (q *seq) leave() {
	e := q.e
	e.mu.Lock()
	delete(e.seqs, q)
	q.unexpect()
	for _, st := range q.owned {
		if len(e.idle) < maxIdle {
			e.idle = append(e.idle, st)
		}
	}
	q.owned = nil
	e.runIfReady()
}

// reading marks the sequence as busy with a prompt: not expected at the
// next step (which may then run here).
func (q *seq) reading() {
	e := q.e
	e.mu.Lock()
	q.unexpect()
	e.runIfReady()
}

// unexpect stops expecting q (e.mu held).
func (q *seq) unexpect() {
	if q.expected {
		q.expected = false
		q.e.expect--
	}
}

// runIfReady runs the pending step if every expected sequence is in. It
// is called with e.mu held and unlocks it.
func (e *engine) runIfReady() {
	if len(e.pending) == 0 || len(e.pending) < e.expect {
		e.mu.Unlock()
		return
	}
	batch := e.take()
	e.mu.Unlock()
	e.run(batch, nil)
}

// take empties the pending list (e.mu held).
func (e *engine) take() []*seq {
	batch := e.pending
	e.pending = nil
	for _, q := range batch {
		q.pending = false
	}
	return batch
}

// step appends xs[i] to the inner states[i] in a batched step with the
// other sequences, and returns when it is done.
func (q *seq) step(states []autoreg.State, xs []autoreg.Token) {
	e := q.e
	q.states, q.xs = states, xs
	e.mu.Lock()
	if !q.expected {
		q.expected = true
		e.expect++
	}
	q.pending = true
	e.pending = append(e.pending, q)
	if len(e.pending) >= e.expect {
		// The last one in: step everyone. Then yield: a sequence stepping
		// itself never blocks, and would hold its processor against
		// requests waiting to start (and join the batch) until the
		// runtime preempts it.
		batch := e.take()
		e.mu.Unlock()
		e.run(batch, q)
		runtime.Gosched()
		return
	}
	first := len(e.pending) == 1
	e.mu.Unlock()
	var late <-chan time.Time
	if first { // the first one in waits for the others at most e.wait
		t := time.NewTimer(e.wait)
		defer t.Stop()
		late = t.C
	}
	for {
		select {
		case p := <-q.ready:
			if p != nil {
				panic(p)
			}
			return
		case <-late:
			late = nil
			e.mu.Lock()
			if !q.pending { // someone took the step meanwhile
				e.mu.Unlock()
				continue
			}
			e.dropLate()
			batch := e.take()
			e.mu.Unlock()
			e.run(batch, q)
			return
		case <-e.quit:
			panic(errEngineStopped)
		}
	}
}

// errEngineStopped ends a generation that outlived the server.
var errEngineStopped = errors.New("server: the model's engine has stopped")

// dropLate marks the expected sequences that did not hand in a token as
// not expected (e.mu held).
func (e *engine) dropLate() {
	for q := range e.seqs {
		if q.expected && !q.pending {
			q.unexpect()
		}
	}
}

// run steps the sequences of batch on the calling goroutine (that of
// self, one of them, or of a sequence leaving or reading a prompt) and
// releases them.
func (e *engine) run(batch []*seq, self *seq) {
	r, _ := e.bufs.Get().(*stepRows)
	if r == nil {
		r = &stepRows{}
	}
	for _, q := range batch {
		r.states = append(r.states, q.states...)
		r.xs = append(r.xs, q.xs...)
	}
	var failure any
	func() {
		defer func() { failure = recover() }()
		autoreg.Step(e.m, r.states, r.xs)
	}()
	if e.onStep != nil {
		e.onStep(len(r.states))
	}
	clear(r.states)
	r.states, r.xs = r.states[:0], r.xs[:0]
	e.bufs.Put(r)
	for _, q := range batch {
		if q != self {
			q.ready <- failure
		}
	}
	if failure != nil && self != nil {
		panic(failure)
	}
}

// seqModel is the model as one sequence's generation sees it: its states
// step through the engine. m is the engine's model, or a model
// conditioned from it (an encoder-decoder given a source) whose States
// the engine's model steps.
type seqModel struct {
	q *seq
	m autoreg.Model
}

func (m seqModel) Vocab() autoreg.Vocab { return m.m.Vocab() }

func (m seqModel) NewState() autoreg.State {
	if m.m != m.q.e.m {
		// A conditioned state holds its condition even after Reset: it is
		// not for the engine's idle states.
		return &seqState{q: m.q, inner: m.m.NewState()}
	}
	inner := m.q.e.newState()
	m.q.owned = append(m.q.owned, inner)
	return &seqState{q: m.q, inner: inner}
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
	s.q.reading()
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
