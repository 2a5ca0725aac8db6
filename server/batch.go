package server

import (
	"errors"
	"sync"
	"time"

	"github.com/autoreg/autoreg"
)

// Batching across requests. Every sequence being generated runs in its own
// goroutine through package decode, unchanged; it sees the model through
// a seq, whose states hand each single-token Append to the model's engine
// instead of running it. The engine waits until every sequence it expects
// has handed in its token (or a short wait has passed), then advances all
// of them in one autoreg.Stepper call and lets them go on: the sequences
// share one batched forward pass per token. A Stepper gives each state
// the bits it would get alone, so what a sequence generates never depends
// on the others.
//
// Which sequences the engine expects: those that have handed in a token
// before and not left since. A sequence reading its prompt (a many-token
// Append) is not expected until its first token; one that kept the others
// waiting past the wait (a client slow to take its text) is not expected
// again until it hands in its next token, so a stalled sequence costs the
// others one wait, not one per token.

// engine batches the steps of the sequences generating with one model.
type engine struct {
	m       autoreg.Model
	stepper autoreg.Stepper
	wait    time.Duration   // longest wait for an expected sequence
	onStep  func(rows int)  // metrics, may be nil
	kick    chan struct{}   // something changed (buffered 1)
	quit    chan struct{}   // closed by stop
	done    chan struct{}   // closed when run returns
	mu      sync.Mutex      // guards what follows
	seqs    map[*seq]bool   // the sequences generating
	expect  int             // of them, those expected at the next step
	pending []*seq          // those whose token waits for a step
	states  []autoreg.State // the step's rows (engine goroutine only)
	xs      []autoreg.Token
}

// newEngine starts the engine of a Stepper model.
func newEngine(m autoreg.Model, s autoreg.Stepper, wait time.Duration, onStep func(int)) *engine {
	e := &engine{m: m, stepper: s, wait: wait, onStep: onStep,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		seqs: map[*seq]bool{}}
	go e.run()
	return e
}

// stop ends the engine goroutine once the sequences have left.
func (e *engine) stop() {
	close(e.quit)
	<-e.done
}

func (e *engine) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// seq is one sequence being generated: the handle its states step through.
type seq struct {
	e        *engine
	expected bool
	states   []autoreg.State // this step's inner states
	xs       []autoreg.Token
	ready    chan any // the step is done (nil) or panicked (the value)
}

// join registers a new sequence; it must call leave when done.
func (e *engine) join() *seq {
	q := &seq{e: e, ready: make(chan any, 1)}
	e.mu.Lock()
	e.seqs[q] = true
	e.mu.Unlock()
	return q
}

// leave unregisters the sequence.
func (q *seq) leave() {
	e := q.e
	e.mu.Lock()
	delete(e.seqs, q)
	if q.expected {
		q.expected = false
		e.expect--
	}
	e.mu.Unlock()
	e.poke()
}

// reading marks the sequence as busy with a prompt: not expected at the
// next step.
func (q *seq) reading() {
	e := q.e
	e.mu.Lock()
	if q.expected {
		q.expected = false
		e.expect--
	}
	e.mu.Unlock()
	e.poke()
}

// step appends xs[i] to the inner states[i] in the engine's next batched
// step, and returns when it is done.
func (q *seq) step(states []autoreg.State, xs []autoreg.Token) {
	e := q.e
	q.states, q.xs = states, xs
	e.mu.Lock()
	if !q.expected {
		q.expected = true
		e.expect++
	}
	e.pending = append(e.pending, q)
	e.mu.Unlock()
	e.poke()
	select {
	case p := <-q.ready:
		if p != nil {
			panic(p)
		}
	case <-e.quit:
		panic(errEngineStopped)
	}
}

// errEngineStopped ends a generation that outlived the server.
var errEngineStopped = errors.New("server: the model's engine has stopped")

// run is the engine goroutine: gather, step, release.
func (e *engine) run() {
	defer close(e.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-e.kick:
		case <-e.quit:
			return
		}
		// Gather: until every expected sequence is in, or the wait is over
		// (then those still out are not expected until they come back).
		var deadline time.Time
		for {
			e.mu.Lock()
			n, all := len(e.pending), len(e.pending) >= e.expect
			e.mu.Unlock()
			if n == 0 {
				break
			}
			if all {
				break
			}
			if deadline.IsZero() {
				deadline = time.Now().Add(e.wait)
			}
			left := time.Until(deadline)
			if left <= 0 {
				e.dropLate()
				break
			}
			timer.Reset(left)
			select {
			case <-e.kick:
			case <-timer.C:
			case <-e.quit:
				timer.Stop()
				e.release(errEngineStopped)
				return
			}
			timer.Stop()
		}
		e.stepPending()
	}
}

// dropLate marks the expected sequences that did not hand in a token as
// not expected.
func (e *engine) dropLate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := make(map[*seq]bool, len(e.pending))
	for _, q := range e.pending {
		in[q] = true
	}
	for q := range e.seqs {
		if q.expected && !in[q] {
			q.expected = false
			e.expect--
		}
	}
}

// stepPending runs one batched step of the pending sequences.
func (e *engine) stepPending() {
	e.mu.Lock()
	batch := e.pending
	e.pending = nil
	e.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	e.states, e.xs = e.states[:0], e.xs[:0]
	for _, q := range batch {
		e.states = append(e.states, q.states...)
		e.xs = append(e.xs, q.xs...)
	}
	var failure any
	func() {
		defer func() { failure = recover() }()
		autoreg.Step(e.m, e.states, e.xs)
	}()
	if e.onStep != nil {
		e.onStep(len(e.states))
	}
	clear(e.states)
	for _, q := range batch {
		q.ready <- failure
	}
	// Keep the pending slice's array for the next gather.
	e.mu.Lock()
	if e.pending == nil {
		e.pending = batch[:0]
	}
	e.mu.Unlock()
}

// release fails every pending sequence.
func (e *engine) release(err error) {
	e.mu.Lock()
	batch := e.pending
	e.pending = nil
	e.mu.Unlock()
	for _, q := range batch {
		q.ready <- err
	}
}

// seqModel is the model as one sequence's generation sees it: its states
// step through the engine.
type seqModel struct {
	q *seq
}

func (m seqModel) Vocab() autoreg.Vocab { return m.q.e.m.Vocab() }

func (m seqModel) NewState() autoreg.State {
	return &seqState{q: m.q, inner: m.q.e.m.NewState()}
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
	s.inner.Append(xs...)
}

func (s *seqState) LogProbs(dst []float32)          { s.inner.LogProbs(dst) }
func (s *seqState) LogProb(x autoreg.Token) float64 { return s.inner.LogProb(x) }
func (s *seqState) CopyTo(dst autoreg.State)        { s.inner.CopyTo(dst.(*seqState).inner) }
func (s *seqState) Reset()                          { s.inner.Reset() }
func (s *seqState) Len() int                        { return s.inner.Len() }
