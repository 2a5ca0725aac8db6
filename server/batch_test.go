package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
)

// engineCase is one sequence for the engine tests: a prompt and a seed.
func engineCase(t *testing.T, m Model, i int) ([]autoreg.Token, decode.Config) {
	t.Helper()
	ids := []autoreg.Token{m.Model.Vocab().BOS()}
	ids = append(ids, encodeIDs(t, m.Tokenizer, fmt.Sprintf("case %d: ", i))...)
	cfg := decode.DefaultConfig()
	cfg.Seed, cfg.MaxTokens, cfg.IgnoreEOS = uint64(i), 20+7*i, true
	cfg.Temperature, cfg.TopK = 0.9, 20
	return ids, cfg
}

// TestEngineDrivesSessions: sequences the engine samples and steps
// together give exactly what each gives alone, and share steps.
func TestEngineDrivesSessions(t *testing.T) {
	m := tinyGPT(t, 64)
	var rows []int
	var mu sync.Mutex
	e := newEngine(m.Model, func(n int) {
		mu.Lock()
		rows = append(rows, n)
		mu.Unlock()
	})
	defer e.stop()
	const n = 6
	want := make([]decode.Result, n)
	for i := range n {
		ids, cfg := engineCase(t, m, i)
		g, err := decode.NewGenerator(m.Model, cfg, m.Tokenizer)
		if err != nil {
			t.Fatal(err)
		}
		if want[i], err = g.Generate(context.Background(), ids, nil); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]decode.Result, n)
	var wg sync.WaitGroup
	// The sequences sit out until all have joined (one alone could finish
	// before the next joins).
	var joined atomic.Int64
	wait := func() bool { return joined.Load() < n }
	never := func() bool { return false }
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids, cfg := engineCase(t, m, i)
			q := e.join()
			defer q.leave()
			g, err := decode.NewGenerator(pooled{q, m.Model}, cfg, m.Tokenizer)
			if err != nil {
				t.Error(err)
				return
			}
			s, err := g.Begin(context.Background(), ids, nil)
			if err != nil {
				t.Error(err)
				return
			}
			x, ok := s.Next()
			if !ok {
				t.Error("a session ended at once")
				return
			}
			joined.Add(1)
			if p := q.drive(s, x, wait, never); p != nil {
				t.Error(p)
				return
			}
			got[i], err = s.Finish()
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if !slices.Equal(got[i].Tokens, want[i].Tokens) || got[i].LogProb != want[i].LogProb {
			t.Errorf("sequence %d: %v (%v) on the engine, %v (%v) alone", i, got[i].Tokens, got[i].LogProb, want[i].Tokens, want[i].LogProb)
		}
	}
	if slices.Max(rows) < 2 {
		t.Errorf("steps of %v rows: the sequences never shared a step", rows)
	}
}

// TestEnginePausedSitsOut: a sequence whose writer is behind takes no
// step while the others go on, and resumes, with the same tokens, when
// its writer catches up.
func TestEnginePausedSitsOut(t *testing.T) {
	m := tinyGPT(t, 64)
	e := newEngine(m.Model, nil)
	defer e.stop()
	run := func(i int, paused func() bool, tokens *atomic.Int64) (decode.Result, any) {
		ids, cfg := engineCase(t, m, i)
		q := e.join()
		defer q.leave()
		g, err := decode.NewGenerator(pooled{q, m.Model}, cfg, m.Tokenizer)
		if err != nil {
			return decode.Result{}, err
		}
		s, err := g.Begin(context.Background(), ids, func(decode.Chunk) error {
			tokens.Add(1)
			return nil
		})
		if err != nil {
			return decode.Result{}, err
		}
		x, ok := s.Next()
		if !ok {
			return decode.Result{}, "a session ended at once"
		}
		p := q.drive(s, x, paused, func() bool { return false })
		r, _ := s.Finish()
		return r, p
	}
	var hold atomic.Bool
	hold.Store(true)
	var slowTokens, fastTokens atomic.Int64
	slow := make(chan decode.Result, 1)
	go func() {
		r, p := run(1, hold.Load, &slowTokens)
		if p != nil {
			t.Error(p)
		}
		slow <- r
	}()
	time.Sleep(20 * time.Millisecond) // the paused sequence joins
	fast, p := run(2, func() bool { return false }, &fastTokens)
	if p != nil || len(fast.Tokens) != 34 {
		t.Fatalf("the other sequence: %d tokens, failure %v", len(fast.Tokens), p)
	}
	if n := slowTokens.Load(); n > 1 { // its first comes before it joins
		t.Fatalf("a paused sequence made %d tokens", n)
	}
	hold.Store(false)
	var got decode.Result
	select {
	case got = <-slow:
	case <-time.After(10 * time.Second):
		t.Fatal("the paused sequence did not resume")
	}
	ids, cfg := engineCase(t, m, 1)
	g, _ := decode.NewGenerator(m.Model, cfg, m.Tokenizer)
	want, _ := g.Generate(context.Background(), ids, nil)
	if !slices.Equal(got.Tokens, want.Tokens) {
		t.Errorf("after the pause: %v, alone %v", got.Tokens, want.Tokens)
	}
}

// TestEngineStop: sequences of a stopped engine, and later ones, fail
// with errEngineStopped rather than wait.
func TestEngineStop(t *testing.T) {
	m := tinyGPT(t, 64)
	e := newEngine(m.Model, nil)
	ids, cfg := engineCase(t, m, 0)
	cfg.MaxTokens = 100000
	q := e.join()
	g, err := decode.NewGenerator(pooled{q, m.Model}, cfg, m.Tokenizer)
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Begin(context.Background(), ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan any, 1)
	x, _ := s.Next()
	go func() { done <- q.drive(s, x, func() bool { return false }, func() bool { return false }) }()
	time.Sleep(20 * time.Millisecond)
	e.stop()
	select {
	case p := <-done:
		if p != errEngineStopped {
			t.Errorf("failure %v, want errEngineStopped", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sequence outlived its engine")
	}
	q.leave()
	if p := e.join().drive(s, x, func() bool { return false }, func() bool { return false }); p != errEngineStopped {
		t.Errorf("a sequence joining after stop: %v", p)
	}
}

// gatedStepper is gatedModel for a batching model: every step, alone or
// batched, waits for a value on gate, and its rows are recorded.
type gatedStepper struct {
	autoreg.Model
	gate chan struct{}
	mu   sync.Mutex
	rows []int // of each step
}

type gatedStepState struct {
	autoreg.State
	m *gatedStepper
}

func (m *gatedStepper) NewState() autoreg.State { return gatedStepState{m.Model.NewState(), m} }

// pass waits at the gate and records a step of n rows.
func (m *gatedStepper) pass(n int) {
	<-m.gate
	m.mu.Lock()
	m.rows = append(m.rows, n)
	m.mu.Unlock()
}

// steps returns the rows of the steps so far.
func (m *gatedStepper) steps() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rows)
}

func (s gatedStepState) Append(xs ...autoreg.Token) {
	if len(xs) == 1 {
		s.m.pass(1)
	}
	s.State.Append(xs...)
}

func (s gatedStepState) CopyTo(dst autoreg.State) { s.State.CopyTo(dst.(gatedStepState).State) }

func (m *gatedStepper) Step(states []autoreg.State, xs []autoreg.Token) {
	m.pass(len(states))
	inner := make([]autoreg.State, len(states))
	for i, s := range states {
		inner[i] = s.(gatedStepState).State
	}
	m.Model.(autoreg.Stepper).Step(inner, xs)
}

// TestDisconnectFreesSlotBatched: a streaming client that goes away
// stops its batched generation within one token and frees its slot,
// while another stream on the same engine goes on.
func TestDisconnectFreesSlotBatched(t *testing.T) {
	m := tinyGPT(t, 4096)
	gs := &gatedStepper{Model: m.Model, gate: make(chan struct{})}
	m.Model = gs
	s, ts := newTestServer(t, Options{Parallel: 2, MaxTokens: 100000}, m)
	var once sync.Once
	openGate := func() { once.Do(func() { close(gs.gate) }) } // every step passes
	defer openGate()
	// open starts a stream and counts its events.
	open := func() (*http.Response, *atomic.Int64) {
		b, _ := json.Marshal(map[string]any{"prompt": "the ", "max_tokens": 3000, "stream": true, "ignore_eos": true})
		resp, err := http.Post(ts.URL+"/v1/completions", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					n.Add(1)
				}
			}
		}()
		return resp, &n
	}
	step := func() {
		t.Helper()
		if !release(gs.gate, 5*time.Second) {
			t.Fatal("the engine did not step")
		}
	}
	a, na := open()
	b, nb := open()
	defer b.Body.Close()
	for tries := 0; !slices.Contains(gs.steps(), 2); tries++ {
		if tries == 100 {
			t.Fatalf("steps of %v rows: the streams never shared one", gs.steps())
		}
		step()
		time.Sleep(2 * time.Millisecond) // the writers run
	}
	for range 3 {
		step()
	}
	waitFor(t, "both streams' events", func() bool { return na.Load() >= 3 && nb.Load() >= 3 })
	a.Body.Close() // one client goes away
	time.Sleep(200 * time.Millisecond)
	before := len(gs.steps())
	// The other stream goes on; the first takes at most the step it was
	// in when its client left.
	for range 5 {
		n := nb.Load()
		step()
		waitFor(t, "the remaining stream's next event", func() bool { return nb.Load() > n })
	}
	waitFor(t, "the slot to be freed", func() bool { return len(s.slots.busy) == 1 })
	waitFor(t, "the sequence to end", func() bool { return s.active.Load() == 1 })
	if after := gs.steps()[before:]; slices.Max(after[1:]) != 1 {
		t.Errorf("steps of %v rows after the client left: it stepped more than once", after)
	}
	b.Body.Close()
	openGate()
	waitFor(t, "every slot to be freed", func() bool { return len(s.slots.busy) == 0 && s.active.Load() == 0 })
}

// TestNoGoroutineLeft: after streamed, plain, beam and failed requests,
// the server's goroutines are back to their number before.
func TestNoGoroutineLeft(t *testing.T) {
	_, ts := newTestServer(t, Options{Parallel: 4}, tinyGPT(t, 32))
	complete(t, ts.URL, map[string]any{"prompt": "warm", "max_tokens": 2})
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"prompt": "go ", "max_tokens": 30, "seed": i, "n": 2}
			switch i % 3 {
			case 0:
				stream(t, ts.URL, body)
			case 1:
				body["beams"], body["n"] = 3, 1
				complete(t, ts.URL, body)
			default:
				complete(t, ts.URL, body)
			}
		}()
	}
	wg.Wait()
	post(t, ts.URL+"/v1/completions", `{"prompt": "x", "max_tokens": -1}`)
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// TestEventStreamOrder: events sent from several goroutines at once all
// go out, each goroutine's in its order, whole, then [DONE] last; nothing
// is written after close.
func TestEventStreamOrder(t *testing.T) {
	rec := httptest.NewRecorder()
	es := startEvents(rec, time.Hour, nil)
	const senders, each = 4, 500
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				if err := es.event(map[string]int{"g": g, "k": k}); err != nil {
					t.Error(err)
					return
				}
				if k%50 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	es.finish()
	es.close()
	body := rec.Body.String()
	next := make([]int, senders)
	var data []string
	for _, line := range strings.Split(body, "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, d)
		}
	}
	if len(data) != senders*each+1 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("%d events, last %q", len(data), data[len(data)-1])
	}
	for _, d := range data[:len(data)-1] {
		var ev struct{ G, K int }
		if err := json.Unmarshal([]byte(d), &ev); err != nil || d == "null" {
			t.Fatalf("event %q: %v", d, err)
		}
		if ev.K != next[ev.G] {
			t.Fatalf("sender %d: event %d after %d", ev.G, ev.K, next[ev.G]-1)
		}
		next[ev.G]++
	}
	if es.waiting.Load() != 0 {
		t.Errorf("%d events still counted as waiting", es.waiting.Load())
	}
}
