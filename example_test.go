package autoreg_test

import (
	"context"
	"fmt"
	"os"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
)

// A model trained by `autoreg train` (or any ARPA file), used from Go: the
// next-token distribution after a prompt, bits per character of a text, and
// a sample. TestModelFileExample runs it on a small model.
func Example_modelFile() {
	ctx := context.Background()
	f, err := modelfile.Read("shakes8.arm")
	if err != nil {
		panic(err)
	}

	// log P(next | <s> ROMEO:) for every token of the vocabulary.
	v := f.Model.Vocab()
	enc := f.Tokenizer.NewEncoder()
	prompt, _ := enc.Encode([]autoreg.Token{v.BOS()}, []byte("ROMEO:"))
	prompt, _ = enc.Flush(prompt)
	st := f.Model.NewState()
	st.Append(prompt...)
	logp := make([]float32, v.Size())
	st.LogProbs(logp)

	// Bits per character of held-out text.
	docs, err := corpus.Files([]string{"valid.txt"}, corpus.Options{})
	if err != nil {
		panic(err)
	}
	res, err := eval.Run(ctx, f.Model, f.Tokenizer, docs, eval.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f bits per character\n", res.BitsPerChar())

	// Continue the prompt, streaming the text as it is generated.
	cfg := decode.DefaultConfig()
	cfg.Temperature, cfg.TopP, cfg.MaxTokens, cfg.Seed = 0.8, 0.95, 200, 1
	_, err = decode.Run(ctx, f.Model, prompt, cfg, f.Tokenizer, func(c decode.Chunk) error {
		_, err := os.Stdout.Write(c.Text)
		return err
	})
	if err != nil {
		panic(err)
	}
}
