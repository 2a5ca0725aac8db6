package server

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/vae"
)

// perturbArena adds noise to every parameter so that an untrained model's
// distributions are far from uniform (different conditions then give
// visibly different text).
func perturbArena(a *tensor.Arena, seed uint64, sd float64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	for i := range a.Params {
		a.Params[i] += float32(sd * rng.NormFloat64())
	}
}

func testCharTok(t testing.TB) tokenize.Tokenizer {
	t.Helper()
	tok, err := tokenize.NewChar([]rune(testChars))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinySeq2seq returns a small random encoder-decoder from testChars to
// testChars.
func tinySeq2seq(t testing.TB) Model {
	t.Helper()
	tok := testCharTok(t)
	m, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 32, Heads: 2, FFN: 64, SrcContext: 24, Context: 32},
		tok.Vocab(), tok.Vocab(), 5)
	if err != nil {
		t.Fatal(err)
	}
	perturbArena(m.Arena(), 5, 0.3)
	m.ParamsChanged()
	return Model{Name: "s2s", Model: m, Tokenizer: tok, SourceTokenizer: tok, Family: "seq2seq"}
}

// tinyFIM returns a small random GPT whose vocabulary has the
// fill-in-the-middle sentinels.
func tinyFIM(t testing.TB) Model {
	t.Helper()
	tok, err := tokenize.WithControls(testCharTok(t), fim.Tags)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 2, Context: 48}, tok.Vocab(), 3)
	if err != nil {
		t.Fatal(err)
	}
	perturbArena(m.Arena(), 3, 0.3)
	m.ParamsChanged()
	return Model{Name: "fim", Model: m, Tokenizer: tok, Family: "gpt"}
}

// tinyVAE returns a small random sentence VAE over testChars.
func tinyVAE(t testing.TB) Model {
	t.Helper()
	tok := testCharTok(t)
	m, err := vae.New(vae.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 32, Latent: 4}, tok.Vocab(), 2)
	if err != nil {
		t.Fatal(err)
	}
	perturbArena(m.Arena(), 2, 0.2)
	return Model{Name: "vae", Model: m, Tokenizer: tok, Family: "vae"}
}

// libText is what the library's decoder generates from m (the CLI's
// path) with the server's defaults and the given changes.
func libText(t testing.TB, m autoreg.Model, tok tokenize.Tokenizer, ids []autoreg.Token, maxTokens int, seed uint64, temp float64) string {
	t.Helper()
	cfg := decode.DefaultConfig()
	cfg.MaxTokens, cfg.Seed, cfg.Temperature = maxTokens, seed, temp
	res, err := decode.Run(context.Background(), m, ids, cfg, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(res[0].Text)
}

func encodeIDs(t testing.TB, tok tokenize.Tokenizer, s string) []autoreg.Token {
	t.Helper()
	ids, err := tokenize.Encode(tok, s)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func toInts(ids []autoreg.Token) []int {
	out := make([]int, len(ids))
	for i, x := range ids {
		out[i] = int(x)
	}
	return out
}

// TestSource: an encoder-decoder generates given the request's source
// exactly what the library generates from the model conditioned on it,
// whatever else it is batched with.
func TestSource(t *testing.T) {
	sm := tinySeq2seq(t)
	s, ts := newTestServer(t, Options{Parallel: 8}, sm)
	cond := sm.Model.(autoreg.Conditional)
	bos := sm.Tokenizer.Vocab().BOS()
	want := func(src, prompt string, seed uint64) string {
		cm, err := cond.Condition(encodeIDs(t, sm.SourceTokenizer, src))
		if err != nil {
			t.Fatal(err)
		}
		return libText(t, cm, sm.Tokenizer, append([]autoreg.Token{bos}, encodeIDs(t, sm.Tokenizer, prompt)...), 20, seed, 1)
	}
	sources := []string{"hello there", "abc", "the cat sat", "zzz yyy xxx"}
	texts := map[string]bool{}
	for i, src := range sources {
		r := complete(t, ts.URL, map[string]any{"source": src, "max_tokens": 20, "seed": i})
		if got, w := r.Choices[0].Text, want(src, "", uint64(i)); got != w {
			t.Errorf("source %q: %q, library %q", src, got, w)
		}
		texts[r.Choices[0].Text] = true
	}
	if len(texts) < 2 {
		t.Errorf("four sources gave %d text(s): the source is not used", len(texts))
	}
	// Token ids and a prompt that starts the target.
	r := complete(t, ts.URL, map[string]any{"source": toInts(encodeIDs(t, sm.SourceTokenizer, "abc")), "prompt": "x", "max_tokens": 20, "seed": 9})
	if got, w := r.Choices[0].Text, want("abc", "x", 9); got != w {
		t.Errorf("source ids with a prompt: %q, library %q", got, w)
	}
	// Together, in shared steps, each as alone.
	var wg sync.WaitGroup
	got := make([]string, len(sources))
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = complete(t, ts.URL, map[string]any{"source": src, "max_tokens": 20, "seed": i}).Choices[0].Text
		}()
	}
	wg.Wait()
	for i, src := range sources {
		if w := want(src, "", uint64(i)); got[i] != w {
			t.Errorf("source %q together: %q, alone %q", src, got[i], w)
		}
	}
	if n := s.metrics.stepRows.count("s2s"); n == 0 {
		t.Error("the encoder-decoder's sequences never went through the batched steps")
	}
	// Echo scores the target's prompt given the source.
	r = complete(t, ts.URL, map[string]any{"source": "abc", "prompt": "xyz", "echo": true, "max_tokens": 0, "logprobs": 0})
	cm, _ := cond.Condition(encodeIDs(t, sm.SourceTokenizer, "abc"))
	st := cm.NewState()
	st.Append(bos)
	for i, x := range encodeIDs(t, sm.Tokenizer, "xyz") {
		if lp := r.Choices[0].Logprobs.TokenLogprobs[i]; lp == nil || *lp != st.LogProb(x) {
			t.Errorf("echo token %d: %v, the conditioned model's %v", i, lp, st.LogProb(x))
		}
		st.Append(x)
	}
}

// TestSuffix: a fill-in-the-middle model generates the middle between the
// prompt and the suffix, as `autoreg sample --suffix` does.
func TestSuffix(t *testing.T) {
	sm := tinyFIM(t)
	_, ts := newTestServer(t, Options{}, sm)
	v := sm.Tokenizer.Vocab()
	want := func(prompt, suffix string, o fim.Order, seed uint64) string {
		ids := append([]autoreg.Token{v.BOS()}, encodeIDs(t, sm.Tokenizer, prompt)...)
		suf := append(encodeIDs(t, sm.Tokenizer, suffix), v.EOS())
		const T, maxTok = 48, 12
		p, s := fim.Fit(ids, suf, T-fim.Overhead-min(maxTok, T/2))
		im, err := fim.Infill(sm.Model, p, s, o)
		if err != nil {
			t.Fatal(err)
		}
		return libText(t, im, sm.Tokenizer, nil, maxTok, seed, 1)
	}
	for _, c := range []struct {
		order string
		o     fim.Order
	}{{"", fim.SPM}, {"spm", fim.SPM}, {"psm", fim.PSM}} {
		body := map[string]any{"prompt": "the cat ", "suffix": " on the mat", "max_tokens": 12, "seed": 4}
		if c.order != "" {
			body["fim_order"] = c.order
		}
		r := complete(t, ts.URL, body)
		if got, w := r.Choices[0].Text, want("the cat ", " on the mat", c.o, 4); got != w {
			t.Errorf("order %q: middle %q, library %q", c.order, got, w)
		}
	}
	// A long prompt and suffix are cut to leave the middle room.
	long := strings.Repeat("abcdefgh ", 8)
	r := complete(t, ts.URL, map[string]any{"prompt": long, "suffix": long, "max_tokens": 12, "seed": 5})
	if got, w := r.Choices[0].Text, want(long, long, fim.SPM, 5); got != w {
		t.Errorf("long sides: middle %q, library %q", got, w)
	}
	// Streaming gives the same middle.
	events, _ := stream(t, ts.URL, map[string]any{"prompt": "the cat ", "suffix": " on the mat", "max_tokens": 12, "seed": 4})
	var sb strings.Builder
	for _, e := range events {
		var c response
		if e == "[DONE]" || json.Unmarshal([]byte(e), &c) != nil || len(c.Choices) == 0 {
			continue
		}
		sb.WriteString(c.Choices[0].Text)
	}
	if w := want("the cat ", " on the mat", fim.SPM, 4); sb.String() != w {
		t.Errorf("streamed middle %q, library %q", sb.String(), w)
	}
}

// TestLatent: a VAE generates given the request's code (numbers, or a
// text's posterior mean), and without one each choice from the prior's
// code of its seed.
func TestLatent(t *testing.T) {
	sm := tinyVAE(t)
	_, ts := newTestServer(t, Options{}, sm)
	lat := sm.Model.(autoreg.Latent)
	v := sm.Tokenizer.Vocab()
	want := func(z []float64, prompt string, seed uint64) string {
		g, err := lat.WithLatent(z)
		if err != nil {
			t.Fatal(err)
		}
		return libText(t, g, sm.Tokenizer, append([]autoreg.Token{v.BOS()}, encodeIDs(t, sm.Tokenizer, prompt)...), 16, seed, 1)
	}
	z := []float64{1.5, -2, 0.25, 3}
	r := complete(t, ts.URL, map[string]any{"latent": z, "prompt": "a", "max_tokens": 16, "seed": 2})
	if got, w := r.Choices[0].Text, want(z, "a", 2); got != w {
		t.Errorf("latent %v: %q, library %q", z, got, w)
	}
	other := complete(t, ts.URL, map[string]any{"latent": []float64{-3, 2, -1, 0}, "prompt": "a", "max_tokens": 16, "seed": 2})
	if other.Choices[0].Text == r.Choices[0].Text {
		t.Errorf("two codes gave the same text %q", r.Choices[0].Text)
	}
	// A text: its posterior mean.
	xs := append(encodeIDs(t, sm.Tokenizer, "the cat sat"), v.EOS())
	mu, lv := make([]float64, 4), make([]float64, 4)
	if err := lat.Posterior(xs, mu, lv); err != nil {
		t.Fatal(err)
	}
	r = complete(t, ts.URL, map[string]any{"latent": "the cat sat", "max_tokens": 16, "seed": 3})
	if got, w := r.Choices[0].Text, want(mu, "", 3); got != w {
		t.Errorf("latent of a text: %q, library %q", got, w)
	}
	// None: choice j from the prior's code of seed + j.
	r = complete(t, ts.URL, map[string]any{"n": 2, "max_tokens": 16, "seed": 10})
	for j, c := range r.Choices {
		if w := want(priorCode(4, 10+uint64(j)), "", 10+uint64(j)); c.Text != w {
			t.Errorf("prior choice %d: %q, library %q", j, c.Text, w)
		}
	}
}

// TestModelsListConditions: /v1/models says which conditions a model
// takes.
func TestModelsListConditions(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32), tinySeq2seq(t), tinyFIM(t), tinyVAE(t))
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID         string   `json:"id"`
			Conditions []string `json:"conditions"`
			LatentDim  int      `json:"latent_dim"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tiny": "", "s2s": "source", "fim": "suffix", "vae": "latent"}
	for _, m := range list.Data {
		if got := strings.Join(m.Conditions, ","); got != want[m.ID] {
			t.Errorf("model %s: conditions %q, want %q", m.ID, got, want[m.ID])
		}
		if (m.ID == "vae") != (m.LatentDim == 4) {
			t.Errorf("model %s: latent_dim %d", m.ID, m.LatentDim)
		}
	}
}

// TestConditionErrors: conditions a model does not take, or malformed,
// are 400s naming the field.
func TestConditionErrors(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32), tinySeq2seq(t), tinyFIM(t), tinyVAE(t))
	for _, c := range []struct {
		name, body, param string
	}{
		{"source to a GPT", `{"model":"tiny","prompt":"a","source":"abc"}`, "source"},
		{"suffix to a GPT without sentinels", `{"model":"tiny","prompt":"a","suffix":"abc"}`, "suffix"},
		{"latent to a GPT", `{"model":"tiny","prompt":"a","latent":[1,2]}`, "latent"},
		{"encoder-decoder without source", `{"model":"s2s","prompt":"a"}`, "source"},
		{"source too long", `{"model":"s2s","source":"` + strings.Repeat("a", 40) + `"}`, "source"},
		{"source id out of range", `{"model":"s2s","source":[1,99999]}`, "source"},
		{"source of objects", `{"model":"s2s","source":{"a":1}}`, "source"},
		{"fim_order without suffix", `{"model":"fim","prompt":"a","fim_order":"psm"}`, "fim_order"},
		{"bad fim_order", `{"model":"fim","prompt":"a","suffix":"b","fim_order":"xyz"}`, "fim_order"},
		{"echo with suffix", `{"model":"fim","prompt":"a","suffix":"b","echo":true}`, "echo"},
		{"latent of the wrong size", `{"model":"vae","latent":[1,2]}`, "latent"},
		{"latent far out", `{"model":"vae","latent":[1,2,3,1e300]}`, "latent"},
		{"latent of strings", `{"model":"vae","latent":["a","b","c","d"]}`, "latent"},
		{"prior echo logprobs", `{"model":"vae","prompt":"a","echo":true,"logprobs":1,"max_tokens":0}`, "latent"},
		{"suffix to a VAE", `{"model":"vae","latent":[0,0,0,0],"suffix":"x"}`, "suffix"},
	} {
		code, body := post(t, ts.URL+"/v1/completions", c.body)
		checkAPIError(t, c.name, code, body, http.StatusBadRequest)
		var r response
		if json.Unmarshal(body, &r) != nil || r.Error == nil || r.Error.Param == nil || *r.Error.Param != c.param {
			t.Errorf("%s: %s, want param %q", c.name, body, c.param)
		}
	}
}
