package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/server"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// A byte trigram model served on a test port, asked for a greedy
// completion and for the exact log-probabilities of a prompt.
func Example() {
	tok := tokenize.NewByte()
	v := tok.Vocab()
	b, _ := ngram.NewBuilder(v, ngram.Options{Order: 3})
	ids := []autoreg.Token{v.BOS()}
	ids, _ = tok.NewEncoder().Encode(ids, []byte(strings.Repeat("to be or not to be. ", 50)))
	b.Add(append(ids, v.EOS()))
	m, _ := b.Build(context.Background())

	s := server.New(server.Options{Parallel: 2})
	s.Add(server.Model{Name: "tri", Model: m, Tokenizer: tok, Family: "ngram"})
	s.Ready()
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()

	post := func(body string) map[string]any {
		resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	c := post(`{"model": "tri", "prompt": "to be or ", "max_tokens": 9, "temperature": 0}`)
	choice := c["choices"].([]any)[0].(map[string]any)
	fmt.Printf("%q, finish_reason %s\n", choice["text"], choice["finish_reason"])

	e := post(`{"prompt": "to be", "echo": true, "max_tokens": 0, "logprobs": 0}`)
	lp := e["choices"].([]any)[0].(map[string]any)["logprobs"].(map[string]any)
	fmt.Println(lp["tokens"], len(lp["token_logprobs"].([]any)), "log-probabilities")
	// Output:
	// "not to be", finish_reason length
	// [t o   b e] 5 log-probabilities
}

// OpenAI's Go SDK, unchanged, against `autoreg serve --model
// shakespeare.arm` on its default address, with one of autoreg's sampler
// fields.
func Example_openAIClient() {
	ctx := context.Background()
	client := openai.NewClient(option.WithBaseURL("http://127.0.0.1:8080/v1/"), option.WithAPIKey("none"))
	c, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:     "shakespeare",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("ROMEO:\n")},
		MaxTokens: openai.Int(60),
		Seed:      openai.Int(1),
		Logprobs:  openai.Int(3),
	}, option.WithJSONSet("top_k", 40))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Choices[0].Text)
}
