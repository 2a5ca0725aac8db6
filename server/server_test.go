package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// testChars is the alphabet of the test models.
const testChars = "abcdefghijklmnopqrstuvwxyz ,.;:!?'\nABCDEFGHIJKLMNOPQRSTUVWXYZ"

// tinyGPT returns a small random GPT over testChars whose weights are
// perturbed enough for its distributions to be far from uniform (tokens
// then have visibly different probabilities).
func tinyGPT(t testing.TB, context int) Model {
	t.Helper()
	tok, err := tokenize.NewChar([]rune(testChars))
	if err != nil {
		t.Fatal(err)
	}
	m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 2, Context: context}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	p := m.Arena().Params
	for i := range p {
		p[i] += float32(0.3 * rng.NormFloat64())
	}
	m.ParamsChanged()
	return Model{Name: "tiny", Model: m, Tokenizer: tok, Family: "gpt", SHA256: strings.Repeat("ab", 32)}
}

// tinyNgram returns a trigram model of a short text over testChars (a
// family without batched steps).
func tinyNgram(t testing.TB) Model {
	t.Helper()
	tok, err := tokenize.NewChar([]rune(testChars))
	if err != nil {
		t.Fatal(err)
	}
	v := tok.Vocab()
	b, err := ngram.NewBuilder(v, ngram.Options{Order: 3})
	if err != nil {
		t.Fatal(err)
	}
	enc := tok.NewEncoder()
	ids := []autoreg.Token{v.BOS()}
	ids, _ = enc.Encode(ids, []byte(strings.Repeat("the cat sat on the mat. the dog ate the cat's hat. ", 20)))
	ids, _ = enc.Flush(ids)
	ids = append(ids, v.EOS())
	if err := b.Add(ids); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return Model{Name: "tri", Model: m, Tokenizer: tok, Family: "ngram"}
}

// newTestServer serves the models on 127.0.0.1.
func newTestServer(t testing.TB, opts Options, models ...Model) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	for _, m := range models {
		if err := s.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	s.Ready()
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// post sends a JSON body and returns the status and the body.
func post(t testing.TB, url string, body any) (int, []byte) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// response is a completion response as a client reads it.
type response struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Text         string  `json:"text"`
		Index        int     `json:"index"`
		FinishReason *string `json:"finish_reason"`
		Logprobs     *struct {
			Tokens        []string              `json:"tokens"`
			TokenLogprobs []*float64            `json:"token_logprobs"`
			TopLogprobs   []map[string]*float64 `json:"top_logprobs"`
			TextOffset    []int                 `json:"text_offset"`
		} `json:"logprobs"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Seed  *uint64 `json:"seed"`
	Error *struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
	} `json:"error"`
}

func complete(t testing.TB, url string, body map[string]any) response {
	t.Helper()
	code, b := post(t, url+"/v1/completions", body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, b)
	}
	return r
}

// stream sends a streaming request and returns the data of its events
// (the final [DONE] included) and the comments.
func stream(t testing.TB, url string, body map[string]any) (events []string, comments int) {
	t.Helper()
	body["stream"] = true
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "data: "):
			events = append(events, strings.TrimPrefix(line, "data: "))
		case strings.HasPrefix(line, ":"):
			comments++
		}
	}
	return events, comments
}

func TestCompletionBasics(t *testing.T) {
	for _, m := range []Model{tinyGPT(t, 32), tinyNgram(t)} {
		t.Run(m.Family, func(t *testing.T) {
			_, ts := newTestServer(t, Options{}, m)
			r := complete(t, ts.URL, map[string]any{"model": m.Name, "prompt": "the ", "max_tokens": 20, "seed": 7, "ignore_eos": true})
			if r.Object != "text_completion" || r.Model != m.Name || len(r.Choices) != 1 || !strings.HasPrefix(r.ID, "cmpl-") {
				t.Fatalf("response %+v", r)
			}
			c := r.Choices[0]
			if c.FinishReason == nil || *c.FinishReason != "length" || len([]rune(c.Text)) != 20 {
				t.Errorf("choice %q, finish %v: want 20 characters, length", c.Text, c.FinishReason)
			}
			if r.Usage == nil || r.Usage.PromptTokens != 4 || r.Usage.CompletionTokens != 20 || r.Usage.TotalTokens != 24 {
				t.Errorf("usage %+v", r.Usage)
			}
			// Same seed, same text; another seed, another text.
			again := complete(t, ts.URL, map[string]any{"model": m.Name, "prompt": "the ", "max_tokens": 20, "seed": 7, "ignore_eos": true})
			if again.Choices[0].Text != c.Text {
				t.Errorf("seed 7 twice: %q, %q", c.Text, again.Choices[0].Text)
			}
			other := complete(t, ts.URL, map[string]any{"model": m.Name, "prompt": "the ", "max_tokens": 20, "seed": 8, "ignore_eos": true})
			if other.Choices[0].Text == c.Text {
				t.Errorf("seeds 7 and 8 gave the same text %q", c.Text)
			}
		})
	}
}

// TestNChoicesUseSeedPlusI: choice i of n samples with seed + i, the same
// text a request for one choice with that seed gets.
func TestNChoicesUseSeedPlusI(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32))
	r := complete(t, ts.URL, map[string]any{"prompt": []string{"ab", "cd"}, "n": 3, "max_tokens": 12, "seed": 40, "temperature": 1.2})
	if len(r.Choices) != 6 {
		t.Fatalf("%d choices, want 6", len(r.Choices))
	}
	for k, c := range r.Choices {
		if c.Index != k {
			t.Fatalf("choice %d has index %d", k, c.Index)
		}
		p := []string{"ab", "cd"}[k/3]
		one := complete(t, ts.URL, map[string]any{"prompt": p, "max_tokens": 12, "seed": 40 + k%3, "temperature": 1.2})
		if one.Choices[0].Text != c.Text {
			t.Errorf("choice %d: %q, alone with seed %d: %q", k, c.Text, 40+k%3, one.Choices[0].Text)
		}
	}
}

// TestEchoLogprobsAreEval: echo with max_tokens 0 returns each prompt
// token's log-probability bit-identical to what `autoreg eval` sums for
// a file holding the prompt, the first being log P(x₁ | <s>).
func TestEchoLogprobsAreEval(t *testing.T) {
	for _, m := range []Model{tinyGPT(t, 16), tinyNgram(t)} {
		t.Run(m.Family, func(t *testing.T) {
			_, ts := newTestServer(t, Options{}, m)
			// Longer than the GPT's context: windows slide as in eval.
			text := "the quick brown fox jumps over the lazy dog, then sleeps."
			r := complete(t, ts.URL, map[string]any{"prompt": text, "echo": true, "max_tokens": 0, "logprobs": 2})
			c := r.Choices[0]
			if c.Text != text || c.Logprobs == nil {
				t.Fatalf("echo: %q, logprobs %v", c.Text, c.Logprobs != nil)
			}
			want, sum := evalLogprobs(m, text)
			if len(want) != len([]rune(text))+1 {
				t.Fatalf("eval scored %d tokens for %d characters", len(want), len([]rune(text)))
			}
			lps := c.Logprobs.TokenLogprobs
			if len(lps) != len(want)-1 {
				t.Fatalf("%d logprobs, want %d", len(lps), len(want)-1)
			}
			var total float64
			for i, lp := range lps {
				if lp == nil || math.Float64bits(*lp) != math.Float64bits(want[i]) {
					t.Fatalf("token %d (%q): %v, eval %v", i, c.Logprobs.Tokens[i], lp, want[i])
				}
				total -= *lp
			}
			if total-want[len(want)-1] != sum {
				t.Errorf("sum of the echoed values and </s>: %v, eval's NLL %v", total-want[len(want)-1], sum)
			}
			if c.Logprobs.Tokens[0] != "t" || c.Logprobs.TextOffset[3] != 3 {
				t.Errorf("tokens %q, offsets %v", c.Logprobs.Tokens[:4], c.Logprobs.TextOffset[:4])
			}
			for i, top := range c.Logprobs.TopLogprobs {
				if len(top) != 2 {
					t.Fatalf("token %d: %d alternatives, want 2", i, len(top))
				}
			}
		})
	}
}

// evalLogprobs is what eval computes, per token, for a file holding text:
// corpus frames it as <s> text </s> (stream mode), eval's Scorer scores
// every token after <s>. It returns the values and the NLL eval sums.
func evalLogprobs(m Model, text string) ([]float64, float64) {
	v := m.Tokenizer.Vocab()
	enc := m.Tokenizer.NewEncoder()
	ids, _ := enc.Encode([]autoreg.Token{v.BOS()}, []byte(text))
	ids, _ = enc.Flush(ids)
	ids = append(ids, v.EOS())
	sc := eval.NewScorer(m.Model)
	var want []float64
	sc.PerToken = func(_ autoreg.Token, lp float64) { want = append(want, lp) }
	sc.Add(ids)
	return want, sc.Result().NLL
}

// TestStreamMatchesNonStream: the streamed events of a request add up to
// the text and logprobs of the same request unstreamed, with a final
// event per choice, the usage event and [DONE].
func TestStreamMatchesNonStream(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32))
	body := func() map[string]any {
		return map[string]any{"prompt": "hello ", "max_tokens": 25, "seed": 3, "n": 2, "logprobs": 3, "echo": true, "stop": []string{"xq"}}
	}
	want := complete(t, ts.URL, body())
	b := body()
	b["stream_options"] = map[string]any{"include_usage": true}
	events, _ := stream(t, ts.URL, b)
	if len(events) < 4 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("events %q", events)
	}
	texts := make([]string, 2)
	toks := make([][]string, 2)
	finished := 0
	var u *response
	for _, e := range events[:len(events)-1] {
		var r response
		if err := json.Unmarshal([]byte(e), &r); err != nil {
			t.Fatalf("event %s: %v", e, err)
		}
		if r.Usage != nil {
			u = &r
			continue
		}
		for _, c := range r.Choices {
			texts[c.Index] += c.Text
			if c.Logprobs != nil {
				toks[c.Index] = append(toks[c.Index], c.Logprobs.Tokens...)
			}
			if c.FinishReason != nil {
				finished++
			}
		}
	}
	for i, c := range want.Choices {
		if texts[i] != c.Text {
			t.Errorf("choice %d: streamed %q, not %q", i, texts[i], c.Text)
		}
		if !slices.Equal(toks[i], c.Logprobs.Tokens) {
			t.Errorf("choice %d: streamed tokens %q, not %q", i, toks[i], c.Logprobs.Tokens)
		}
	}
	if finished != 2 {
		t.Errorf("%d final events, want 2", finished)
	}
	if u == nil || u.Usage.CompletionTokens != want.Usage.CompletionTokens || len(u.Choices) != 0 {
		t.Errorf("usage event %+v, want usage %+v", u, want.Usage)
	}
}

// TestSameTokensWhateverRuns: a request's text is the same alone and
// among many concurrent requests that share its batched steps.
func TestSameTokensWhateverRuns(t *testing.T) {
	s, ts := newTestServer(t, Options{Parallel: 8}, tinyGPT(t, 32))
	req := func(seed int) map[string]any {
		return map[string]any{"prompt": fmt.Sprintf("seed %d: ", seed), "max_tokens": 200, "seed": seed, "ignore_eos": true, "logprobs": 1}
	}
	alone := map[int]response{}
	for seed := range 8 {
		alone[seed] = complete(t, ts.URL, req(seed))
	}
	var wg sync.WaitGroup
	got := make([]response, 8)
	for seed := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[seed] = complete(t, ts.URL, req(seed))
		}()
	}
	wg.Wait()
	for seed := range 8 {
		a, b := alone[seed].Choices[0], got[seed].Choices[0]
		if a.Text != b.Text {
			t.Errorf("seed %d: alone %q, together %q", seed, a.Text, b.Text)
		}
		for i := range a.Logprobs.TokenLogprobs {
			if *a.Logprobs.TokenLogprobs[i] != *b.Logprobs.TokenLogprobs[i] {
				t.Fatalf("seed %d token %d: log-probability %v alone, %v together", seed, i, *a.Logprobs.TokenLogprobs[i], *b.Logprobs.TokenLogprobs[i])
			}
		}
	}
	if n := s.metrics.stepRows.count("tiny"); n == 0 {
		t.Error("no batched step was recorded")
	}
	if max := s.metrics.stepRows.max("tiny"); max < 2 {
		t.Errorf("batched steps of at most %v rows: the requests never shared a step", max)
	}
}
