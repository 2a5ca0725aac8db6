package decode

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
)

// letters renders the ordinary tokens of a toy model as "a", "b", ...
func letters(n int) textDetok {
	d := make(textDetok, n)
	for i := range d {
		d[i] = string(rune('a' + i))
	}
	return d
}

func TestDrawMatchesDistribution(t *testing.T) {
	v := autoreg.Vocab{Base: 4}
	p := pad(0.1, 0.4, 0.2, 0.3)
	sq := func(x float64) float64 { return math.Sqrt(x) }
	z := sq(.1) + sq(.4) + sq(.2) + sq(.3)
	// The three draw paths: dense with a known normalizer, sparse, and
	// dense with an unknown normalizer.
	for name, tc := range map[string]struct {
		ps   []Processor
		want []float64
	}{
		"model":         {nil, p},
		"top-k 3":       {[]Processor{TopK{3}}, []float64{0, .4 / .9, .2 / .9, .3 / .9}},
		"temperature 2": {[]Processor{Temperature{2}}, []float64{sq(.1) / z, sq(.4) / z, sq(.2) / z, sq(.3) / z}},
	} {
		s := NewChain(v, 1, 0, tc.ps...)
		rng := NewRand(11)
		lp := logs(p...)
		counts := make([]int, v.Size())
		const n = 100000
		for range n {
			counts[s.Sample(lp, rng)]++
		}
		for i, c := range counts {
			w := 0.0
			if i < len(tc.want) {
				w = tc.want[i]
			}
			f := float64(c) / n
			sd := math.Sqrt(w * (1 - w) / n)
			if math.Abs(f-w) > 5*sd+1e-9 {
				t.Errorf("%s: token %d: frequency %.4f, probability %.4f", name, i, f, w)
			}
		}
	}
}

// generateAll runs a full sampling configuration and returns the text.
func generateAll(t *testing.T, m autoreg.Model, cfg Config, prompt []autoreg.Token) Result {
	t.Helper()
	g, err := NewGenerator(m, cfg, letters(m.Vocab().Base))
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Generate(context.Background(), prompt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// busyConfig turns on most of the chain, stochastic parts included.
func busyConfig(seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Seed = seed
	cfg.Temperature = 0.9
	cfg.TopK = 6
	cfg.TopP = 0.95
	cfg.MinP = 0.02
	cfg.RepetitionPenalty = 1.1
	cfg.PresencePenalty = 0.1
	cfg.FrequencyPenalty = 0.05
	cfg.DRYMultiplier = 0.5
	cfg.XTCProbability = 0.3
	cfg.MaxTokens = 300
	return cfg
}

func TestSeededRunsAreIdentical(t *testing.T) {
	m := randomBigram(1, 8, 0.01)
	prompt := []autoreg.Token{m.vocab.BOS(), 1, 2}
	want := generateAll(t, m, busyConfig(42), prompt)
	if len(want.Tokens) < 5 {
		t.Fatalf("suspiciously short sample: %d tokens", len(want.Tokens))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 8} {
		runtime.GOMAXPROCS(procs)
		for range 2 {
			got := generateAll(t, m, busyConfig(42), prompt)
			if !bytes.Equal(got.Text, want.Text) || !slices.Equal(got.Tokens, want.Tokens) || got.LogProb != want.LogProb {
				t.Fatalf("GOMAXPROCS=%d: run differs:\n%s\n%s", procs, got.Text, want.Text)
			}
		}
	}
	other := generateAll(t, m, busyConfig(43), prompt)
	if bytes.Equal(other.Text, want.Text) {
		t.Fatalf("seeds 42 and 43 gave the same text %q", other.Text)
	}
}

func TestTopK1EqualsTemperature0(t *testing.T) {
	m := randomBigram(2, 6, 0.02)
	a := DefaultConfig()
	a.TopK, a.Seed, a.MaxTokens = 1, 5, 100
	b := DefaultConfig()
	b.Temperature, b.Seed, b.MaxTokens = 0, 99, 100
	prompt := []autoreg.Token{3}
	ra, rb := generateAll(t, m, a, prompt), generateAll(t, m, b, prompt)
	if !slices.Equal(ra.Tokens, rb.Tokens) {
		t.Fatalf("top-k 1: %v\ntemperature 0: %v", ra.Tokens, rb.Tokens)
	}
	// And both are the argmax path.
	st := m.NewState()
	st.Append(prompt...)
	lp := make([]float32, m.vocab.Size())
	for i, tok := range ra.Tokens {
		st.LogProbs(lp)
		best := autoreg.Token(0)
		for j := range lp {
			if lp[j] > lp[best] {
				best = autoreg.Token(j)
			}
		}
		if tok != best {
			t.Fatalf("step %d: got %d, argmax %d", i, tok, best)
		}
		st.Append(tok)
	}
}

// chainModel deterministically walks 0, 1, 2, ..., n-1 and then EOS.
func chainModel(n int) *bigramModel {
	v := autoreg.Vocab{Base: n}
	row := func(next autoreg.Token) []float32 {
		p := make([]float64, v.Size())
		p[next] = 1
		return logs(p...)
	}
	m := &bigramModel{vocab: v, start: row(0)}
	for i := range v.Size() {
		if i+1 < n {
			m.rows = append(m.rows, row(autoreg.Token(i+1)))
		} else {
			m.rows = append(m.rows, row(v.EOS()))
		}
	}
	return m
}

func TestStopStringAcrossTokens(t *testing.T) {
	m := chainModel(6)
	d := textDetok{"ab", "cS", "TO", "Pxy", "z", "w"}
	cfg := DefaultConfig()
	cfg.Stop = []string{"STOP"}
	g, err := NewGenerator(m, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []string
	r, err := g.Generate(context.Background(), nil, func(c Chunk) error {
		chunks = append(chunks, string(c.Text))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Text) != "abc" || r.Stop != StopString {
		t.Fatalf("text %q stop %v, want \"abc\" at the stop string", r.Text, r.Stop)
	}
	// "S" and "TO" are held back until "P" completes the stop string; nothing
	// of it or after it is ever emitted.
	if got := strings.Join(chunks, "|"); got != "ab|c|||" {
		t.Fatalf("chunks %q", got)
	}
	if !slices.Equal(r.Tokens, []autoreg.Token{0, 1, 2, 3}) {
		t.Fatalf("tokens %v", r.Tokens)
	}
	// A false start is released once it can no longer match.
	cfg.Stop = []string{"STOq"}
	g, _ = NewGenerator(m, cfg, d)
	chunks = chunks[:0]
	r, _ = g.Generate(context.Background(), nil, func(c Chunk) error {
		chunks = append(chunks, string(c.Text))
		return nil
	})
	if string(r.Text) != "abcSTOPxyzw" || r.Stop != StopEOS {
		t.Fatalf("text %q stop %v", r.Text, r.Stop)
	}
	if got := strings.Join(chunks, "|"); got != "ab|c||STOPxy|z|w|" {
		t.Fatalf("chunks %q", got)
	}
}

func TestStopperAgainstWholeText(t *testing.T) {
	r := NewRand(17)
	alpha := "abAB\xc3\xa9"
	for trial := range 2000 {
		var stops []string
		for range 1 + r.IntN(3) {
			var b []byte
			for range 1 + r.IntN(4) {
				b = append(b, alpha[r.IntN(len(alpha))])
			}
			stops = append(stops, string(b))
		}
		var pieces [][]byte
		var whole []byte
		for range r.IntN(12) {
			var b []byte
			for range r.IntN(4) {
				b = append(b, alpha[r.IntN(len(alpha))])
			}
			pieces = append(pieces, b)
			whole = append(whole, b...)
		}
		checkStopper(t, trial, stops, pieces, whole)
	}
}

func checkStopper(t *testing.T, trial int, stops []string, pieces [][]byte, whole []byte) {
	t.Helper()
	// Specification: generation stops after the first piece (token) whose
	// text completes a stop string; the text ends before the earliest stop
	// string occurring in the text up to there.
	want, wantStop := whole, false
	end := 0
	for _, p := range pieces {
		end += len(p)
		if cut, ok := cutAtStop(whole[:end], stops); ok {
			want, wantStop = cut, true
			break
		}
	}
	s := newStopper(stops)
	var got []byte
	stopped := false
	for _, p := range pieces {
		out, st := s.push(p)
		got = append(got, out...)
		if st {
			stopped = true
			break
		}
	}
	if !stopped {
		got = append(got, s.flush()...)
	}
	if !bytes.Equal(got, want) || stopped != wantStop {
		t.Fatalf("trial %d stops %q pieces %q: streamed %q (stop %v), whole-text cut %q (stop %v)",
			trial, stops, pieces, got, stopped, want, wantStop)
	}
}

func TestStreamHoldsIncompleteUTF8(t *testing.T) {
	s := newStopper(nil)
	out, _ := s.push([]byte("a\xc3"))
	if string(out) != "a" {
		t.Fatalf("released %q before the UTF-8 character was complete", out)
	}
	out, _ = s.push([]byte("\xa9b"))
	if string(out) != "\xc3\xa9b" {
		t.Fatalf("released %q", out)
	}
}

func TestMaxTokensAndEOS(t *testing.T) {
	m := chainModel(6)
	cfg := DefaultConfig()
	cfg.MaxTokens = 3
	r := generateAll(t, m, cfg, nil)
	if r.Stop != StopMaxTokens || len(r.Tokens) != 3 || string(r.Text) != "abc" {
		t.Fatalf("max tokens: %v %v %q", r.Stop, r.Tokens, r.Text)
	}
	cfg.MaxTokens = 100
	r = generateAll(t, m, cfg, nil)
	if r.Stop != StopEOS || len(r.Tokens) != 7 || string(r.Text) != "abcdef" || r.LogProb != 0 {
		t.Fatalf("eos: %v %v %q %v", r.Stop, r.Tokens, r.Text, r.LogProb)
	}
}

// slowModel sleeps in LogProbs.
type slowModel struct{ *bigramModel }
type slowState struct{ *bigramState }

func (m slowModel) NewState() autoreg.State {
	return slowState{m.bigramModel.NewState().(*bigramState)}
}
func (s slowState) LogProbs(dst []float32) {
	time.Sleep(2 * time.Millisecond)
	s.bigramState.LogProbs(dst)
}

func TestMaxTimeAndCancel(t *testing.T) {
	m := slowModel{randomBigram(3, 5, 0)}
	cfg := DefaultConfig()
	cfg.MaxTokens = 100000
	cfg.MaxTime = 30 * time.Millisecond
	g, err := NewGenerator(m, cfg, letters(5))
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Generate(context.Background(), nil, nil)
	if err != nil || r.Stop != StopMaxTime || len(r.Tokens) == 0 || len(r.Tokens) > 1000 {
		t.Fatalf("max time: err %v stop %v after %d tokens", err, r.Stop, len(r.Tokens))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.MaxTime = 0
	g, _ = NewGenerator(m, cfg, letters(5))
	n := 0
	r, err = g.Generate(ctx, nil, func(Chunk) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || r.Stop != StopCanceled || len(r.Tokens) != 5 {
		t.Fatalf("cancel: err %v stop %v tokens %d", err, r.Stop, len(r.Tokens))
	}
}

func TestStreamChannel(t *testing.T) {
	m := chainModel(6)
	g, err := NewGenerator(m, DefaultConfig(), letters(6))
	if err != nil {
		t.Fatal(err)
	}
	ch, wait := g.Stream(context.Background(), nil)
	var text []byte
	var final int
	for c := range ch {
		text = append(text, c.Text...)
		if c.Final {
			final++
		}
	}
	r, err := wait()
	if err != nil || string(text) != "abcdef" || string(r.Text) != "abcdef" || final != 1 {
		t.Fatalf("stream: %q %q final=%d err=%v", text, r.Text, final, err)
	}
}

func TestControlCode(t *testing.T) {
	m := randomBigram(4, 4, 0)
	m.vocab.Controls = []string{"test", "prod"}
	for range m.vocab.Controls {
		m.rows = append(m.rows, m.rows[0])
	}
	cfg := DefaultConfig()
	cfg.Control = "prod"
	g, err := NewGenerator(m, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := m.vocab.Control("prod")
	if got := g.Condition([]autoreg.Token{m.vocab.BOS(), 2}); !slices.Equal(got, []autoreg.Token{m.vocab.BOS(), ctl, 2}) {
		t.Fatalf("condition with BOS: %v", got)
	}
	if got := g.Condition([]autoreg.Token{2}); !slices.Equal(got, []autoreg.Token{ctl, 2}) {
		t.Fatalf("condition without BOS: %v", got)
	}
	cfg.Control = "nope"
	if _, err := NewGenerator(m, cfg, nil); err == nil || !strings.Contains(err.Error(), "no such control code") {
		t.Fatalf("unknown control: %v", err)
	}
}

// countingState counts Append calls, to check the prompt goes in at once.
type countingModel struct {
	*bigramModel
	appends *[]int
}
type countingState struct {
	*bigramState
	appends *[]int
}

func (m countingModel) NewState() autoreg.State {
	return countingState{m.bigramModel.NewState().(*bigramState), m.appends}
}
func (s countingState) Append(xs ...autoreg.Token) {
	*s.appends = append(*s.appends, len(xs))
	s.bigramState.Append(xs...)
}
func (s countingState) CopyTo(dst autoreg.State) {
	s.bigramState.CopyTo(dst.(countingState).bigramState)
}

func TestPromptInOneAppend(t *testing.T) {
	var appends []int
	m := countingModel{randomBigram(5, 4, 0), &appends}
	cfg := DefaultConfig()
	cfg.MaxTokens = 3
	g, _ := NewGenerator(m, cfg, nil)
	if _, err := g.Generate(context.Background(), []autoreg.Token{0, 1, 2, 3, 0}, nil); err != nil {
		t.Fatal(err)
	}
	// The prompt in one call, then each token but the last (nothing
	// follows the MaxTokens-th, so the model never reads it).
	if !slices.Equal(appends, []int{5, 1, 1}) {
		t.Fatalf("Append sizes %v, want the prompt in one call, then 1, 1", appends)
	}
	appends = appends[:0]
	cfg.Beams = 2
	if _, err := BeamSearch(context.Background(), m, []autoreg.Token{0, 1, 2, 3, 0}, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if appends[0] != 5 {
		t.Fatalf("beam search Append sizes %v, want the prompt in one call", appends)
	}
}

func TestRerank(t *testing.T) {
	m := randomBigram(6, 5, 0.1)
	cfg := DefaultConfig()
	cfg.Rerank, cfg.NumReturn, cfg.Seed, cfg.LengthPenalty = 8, 3, 1, 0
	rs, err := Run(context.Background(), m, nil, cfg, letters(5), nil)
	if err != nil || len(rs) != 3 {
		t.Fatalf("rerank: %d results, %v", len(rs), err)
	}
	for i, r := range rs {
		st := m.NewState()
		var lp float64
		for _, tok := range r.Tokens {
			lp += st.LogProb(tok)
			st.Append(tok)
		}
		if math.Abs(lp-r.LogProb) > 1e-9 || r.Score != r.LogProb {
			t.Fatalf("result %d: LogProb %v, model says %v", i, r.LogProb, lp)
		}
		if i > 0 && r.Score > rs[i-1].Score {
			t.Fatalf("results not best first")
		}
	}
}

func TestSampleStepsAllocateNothing(t *testing.T) {
	v := autoreg.Vocab{Base: 1000}
	cfg := busyConfig(1)
	cfg.TopK = 0
	cfg.TypicalP = 0.95
	cfg.Epsilon = 1e-5
	cfg.Eta = 1e-4
	cfg.TopNSigma = 3
	cfg.NoRepeatNGram = 4
	cfg.LogitBias = []Bias{{3, -1}}
	cfg.MirostatTau = 5
	s, err := NewSampler(cfg, v)
	if err != nil {
		t.Fatal(err)
	}
	lp := zipfLogProbs(v.Size(), 1)
	rng := NewRand(1)
	s.Reset([]autoreg.Token{1, 2, 3}, 1000)
	step := func() { s.Accept(s.Sample(lp, rng)) }
	for range 10 {
		step()
	}
	if a := testing.AllocsPerRun(200, step); a != 0 {
		t.Fatalf("%v allocations per step", a)
	}
}

func TestGenerateAllocationsDoNotGrowWithLength(t *testing.T) {
	m := randomBigram(8, 30, 0)
	allocs := func(n int) float64 {
		cfg := busyConfig(3)
		cfg.MaxTokens = n
		cfg.Stop = []string{"zzzz"}
		g, err := NewGenerator(m, cfg, letters(30))
		if err != nil {
			t.Fatal(err)
		}
		run := func() {
			if _, err := g.Generate(context.Background(), []autoreg.Token{1}, func(Chunk) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(5, run)
	}
	short, long := allocs(20), allocs(400)
	if long > short {
		t.Fatalf("Generate allocates %v times for 20 tokens, %v for 400: steps allocate", short, long)
	}
}

func TestContextOnlySpecialsNeverSampled(t *testing.T) {
	v := autoreg.Vocab{Base: 2, Controls: []string{"x"}}
	p := make([]float64, v.Size())
	p[0], p[1], p[v.BOS()], p[v.Size()-1] = 0.1, 0.1, 0.4, 0.4
	m := &bigramModel{vocab: v, start: logs(p...)}
	for range v.Size() {
		m.rows = append(m.rows, m.start)
	}
	cfg := DefaultConfig()
	cfg.MaxTokens = 200
	r := generateAll(t, m, cfg, nil)
	for _, tok := range r.Tokens {
		if tok == v.BOS() || int(tok) == v.Size()-1 {
			t.Fatalf("sampled context-only token %d", tok)
		}
	}
	cfg.SampleSpecials = true
	r = generateAll(t, m, cfg, nil)
	if !slices.Contains(r.Tokens, v.BOS()) {
		t.Fatalf("SampleSpecials: BOS never sampled in %d tokens", len(r.Tokens))
	}
	rs, err := BeamSearch(context.Background(), m, nil, beamCfg(3, 5, 0), nil)
	if err != nil || slices.Contains(rs[0].Tokens, v.BOS()) {
		t.Fatalf("beam search chose BOS: %v %v", rs, err)
	}
}

func TestBreakerTokens(t *testing.T) {
	d := textDetok{"a", "\n", "b:", "**", "c"}
	got := BreakerTokens(d, autoreg.Vocab{Base: 5}, DefaultBreakers)
	if !slices.Equal(got, []autoreg.Token{1, 2, 3}) {
		t.Fatalf("breakers %v", got)
	}
}

// TestChunkLogProbs: each token chunk carries the model's distribution of
// its step, whose entries for the chosen tokens sum to Result.LogProb.
func TestChunkLogProbs(t *testing.T) {
	m := randomBigram(3, 8, 0.01)
	cfg := busyConfig(7)
	cfg.IgnoreEOS = true
	cfg.MaxTokens = 40
	g, err := NewGenerator(m, cfg, letters(m.vocab.Base))
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	tokens := 0
	r, err := g.Generate(context.Background(), []autoreg.Token{m.vocab.BOS()}, func(c Chunk) error {
		if c.Final {
			if c.LogProbs != nil {
				t.Error("a final chunk with log-probabilities")
			}
			return nil
		}
		if len(c.LogProbs) != m.vocab.Size() {
			t.Fatalf("chunk with %d log-probabilities, vocabulary of %d", len(c.LogProbs), m.vocab.Size())
		}
		sum += float64(c.LogProbs[c.Token])
		tokens++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tokens != len(r.Tokens) || sum != r.LogProb {
		t.Errorf("chunks: %d tokens, log-probability %v; result: %d tokens, %v", tokens, sum, len(r.Tokens), r.LogProb)
	}
}
