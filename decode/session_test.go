package decode

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// TestSessionsInLockstep: sessions whose states are stepped together, one
// autoreg.Step per round for all that go on (a server's batched steps),
// give each exactly what Generate gives it alone, streamed chunks
// included, with and without guidance.
func TestSessionsInLockstep(t *testing.T) {
	m := randomBigram(3, 8, 0.01)
	cfgs := make([]Config, 5)
	for i := range cfgs {
		cfgs[i] = busyConfig(uint64(10 + i))
		cfgs[i].MaxTokens = 20 + 15*i
		cfgs[i].Stop = []string{"ba"}
	}
	cfgs[4].CFGScale = 1.5 // a negative state beside the model's
	cfgs[4].CFGNegativePrompt = []autoreg.Token{3, 4}
	prompt := []autoreg.Token{m.vocab.BOS(), 1, 2}
	d := letters(m.Vocab().Base)
	collect := func(out *[]byte) func(Chunk) error {
		return func(c Chunk) error {
			*out = append(*out, c.Text...)
			if c.Final {
				*out = append(*out, '|')
			}
			return nil
		}
	}
	want := make([]Result, len(cfgs))
	wantStream := make([][]byte, len(cfgs))
	for i, cfg := range cfgs {
		g, err := NewGenerator(m, cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		if want[i], err = g.Generate(context.Background(), prompt, collect(&wantStream[i])); err != nil {
			t.Fatal(err)
		}
	}
	sessions := make([]*Session, len(cfgs))
	streams := make([][]byte, len(cfgs))
	for i, cfg := range cfgs {
		g, err := NewGenerator(m, cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		if sessions[i], err = g.Begin(context.Background(), prompt, collect(&streams[i])); err != nil {
			t.Fatal(err)
		}
	}
	live := slices.Clone(sessions)
	for len(live) > 0 {
		var states []autoreg.State
		var xs []autoreg.Token
		next := live[:0]
		for _, s := range live {
			x, ok := s.Next()
			if !ok {
				continue
			}
			next = append(next, s)
			st, neg := s.States()
			states, xs = append(states, st), append(xs, x)
			if neg != nil {
				states, xs = append(states, neg), append(xs, x)
			}
		}
		live = next
		autoreg.Step(m, states, xs)
	}
	for i, s := range sessions {
		got, err := s.Finish()
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if !slices.Equal(got.Tokens, w.Tokens) || !bytes.Equal(got.Text, w.Text) || got.LogProb != w.LogProb || got.Stop != w.Stop {
			t.Errorf("session %d: %v %q %v %v, Generate %v %q %v %v", i, got.Tokens, got.Text, got.LogProb, got.Stop, w.Tokens, w.Text, w.LogProb, w.Stop)
		}
		if !bytes.Equal(streams[i], wantStream[i]) {
			t.Errorf("session %d streamed %q, Generate %q", i, streams[i], wantStream[i])
		}
	}
}

// TestSessionCanceled: a session whose context ends stops at its next
// token with StopCanceled and the context's error, its held text flushed.
func TestSessionCanceled(t *testing.T) {
	m := randomBigram(4, 8, 0.01)
	g, err := NewGenerator(m, busyConfig(1), letters(m.Vocab().Base))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := g.Begin(ctx, []autoreg.Token{m.vocab.BOS()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := s.Next()
	if !ok {
		t.Fatal("the session ended at once")
	}
	st, _ := s.States()
	st.Append(x)
	cancel()
	if _, ok := s.Next(); ok {
		t.Fatal("a canceled session went on")
	}
	r, err := s.Finish()
	if err != context.Canceled || r.Stop != StopCanceled || len(r.Tokens) != 1 {
		t.Errorf("Finish: %v, stop %v, %d tokens", err, r.Stop, len(r.Tokens))
	}
}
