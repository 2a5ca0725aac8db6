package server

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestOpenAIClient drives the server with OpenAI's official Go SDK,
// unchanged: completions, streaming, logprobs, echo, an extension field,
// an error.
func TestOpenAIClient(t *testing.T) {
	m := tinyGPT(t, 16)
	_, ts := newTestServer(t, Options{APIKey: "sk-test"}, m)
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0))
	ctx := context.Background()

	params := openai.CompletionNewParams{
		Model:     "tiny",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("the cat ")},
		MaxTokens: openai.Int(20),
		Seed:      openai.Int(11),
		Logprobs:  openai.Int(3),
		Stop:      openai.CompletionNewParamsStopUnion{OfString: openai.String("zz")},
	}
	c, err := client.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Choices) != 1 || c.Object != "text_completion" || c.Model != "tiny" || c.Usage.PromptTokens != 8 {
		t.Fatalf("completion %+v", c)
	}
	ch := c.Choices[0]
	lp := ch.Logprobs
	if len(lp.Tokens) == 0 || len(lp.Tokens) != len(lp.TokenLogprobs) || len(lp.TopLogprobs[0]) != 3 || strings.Join(lp.Tokens, "") != ch.Text {
		t.Fatalf("choice %q with logprobs %+v", ch.Text, lp)
	}
	if ch.FinishReason != "length" && ch.FinishReason != "stop" {
		t.Errorf("finish reason %q", ch.FinishReason)
	}

	// The same request streamed gives the same text.
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := client.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	var usage int64
	for st.Next() {
		ev := st.Current()
		for _, c := range ev.Choices {
			text.WriteString(c.Text)
		}
		usage += ev.Usage.CompletionTokens
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != ch.Text || usage != c.Usage.CompletionTokens {
		t.Errorf("streamed %q (%d tokens), not %q (%d)", text.String(), usage, ch.Text, c.Usage.CompletionTokens)
	}

	// Echo of the prompt's exact log-probabilities.
	prompt := "a rose by any other name"
	e, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:     "tiny",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompt)},
		MaxTokens: openai.Int(0),
		Echo:      openai.Bool(true),
		Logprobs:  openai.Int(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := evalLogprobs(m, prompt)
	got := e.Choices[0].Logprobs.TokenLogprobs
	if e.Choices[0].Text != prompt || len(got) != len(want)-1 {
		t.Fatalf("echo %q with %d values", e.Choices[0].Text, len(got))
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("token %d: %v through the SDK, eval %v", i, got[i], want[i])
		}
	}

	// Token-id prompts, n, and an autoreg extension field.
	n, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:     "tiny",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: []int64{1, 2, 3}},
		MaxTokens: openai.Int(5),
		N:         openai.Int(2),
	}, option.WithJSONSet("top_k", 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Choices) != 2 || n.Choices[0].Text != n.Choices[1].Text {
		t.Errorf("top_k 1 (greedy) gave different choices: %+v", n.Choices)
	}

	// Errors come back as the SDK's error type.
	_, err = client.Completions.New(ctx, openai.CompletionNewParams{Model: "nope", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("unknown model: %v", err)
	}
}
