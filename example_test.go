package autoreg_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// The library end to end: train a character 5-gram on a text, save it and
// load it back, measure it on held-out text, sample from it, and compress
// with it.
func Example() {
	ctx := context.Background()
	text := strings.Repeat("the cat sat on the mat. the dog sat on the log. a cat saw a dog. ", 40)
	heldOut := "the dog sat on the mat. a cat saw the log. "

	// Train: a tokenizer covering the text's characters, then the n-gram
	// counts of the text read as one sequence, <s> … </s>.
	docs := []corpus.Doc{corpus.TextDoc("train", text)}
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		log.Fatal(err)
	}
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: 5})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := corpus.Tokens(ctx, docs, tok, corpus.TokenOptions{}, b.Add); err != nil {
		log.Fatal(err)
	}
	m, err := b.Build(ctx)
	if err != nil {
		log.Fatal(err)
	}

	// Save and load: a model file holds the model and its tokenizer.
	dir, err := os.MkdirTemp("", "autoreg-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cats.arm")
	err = modelfile.Write(path, &modelfile.File{
		Meta:      modelfile.Meta{Family: "ngram", Mode: corpus.Stream.String()},
		Tokenizer: tok,
		Model:     m,
	})
	if err != nil {
		log.Fatal(err)
	}
	f, err := modelfile.Read(path) // model files and ARPA files
	if err != nil {
		log.Fatal(err)
	}

	// Evaluate text from a string (corpus.ReaderDoc reads an io.Reader).
	held := []corpus.Doc{corpus.TextDoc("held-out", heldOut)}
	res, err := eval.Run(ctx, f.Model, f.Tokenizer, held, eval.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("held out: %d tokens, %.3f bits/char\n", res.Tokens, res.BitsPerChar())

	// Sample: the prompt is <s> and its tokens; the Config sets the
	// sampler chain and when to stop, the seed makes it reproducible.
	ids, err := tokenize.Encode(f.Tokenizer, "the d")
	if err != nil {
		log.Fatal(err)
	}
	prompt := append([]autoreg.Token{f.Model.Vocab().BOS()}, ids...)
	cfg := decode.DefaultConfig()
	cfg.Temperature, cfg.TopP, cfg.Seed = 0.7, 0.9, 1
	cfg.MaxTokens, cfg.Stop = 60, []string{"."} // end at the first full stop
	out, err := decode.Run(ctx, f.Model, prompt, cfg, f.Tokenizer, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sample: %q\n", "the d"+string(out[0].Text))

	// Compress with the model (static mode: decompressing needs the same
	// model file), then restore.
	plain := strings.Repeat(heldOut, 10)
	static := lmzip.StaticFromFile(f)
	var packed, restored bytes.Buffer
	if _, err := lmzip.Compress(ctx, &packed, strings.NewReader(plain), lmzip.Options{Static: static}); err != nil {
		log.Fatal(err)
	}
	size := packed.Len()
	if _, err := lmzip.Decompress(ctx, &restored, &packed, lmzip.ReaderOptions{Static: static}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("compressed %d bytes to %d, restored: %v\n", len(plain), size, restored.String() == plain)
	// Output:
	// held out: 44 tokens, 0.851 bits/char
	// sample: "the dog sat on the cat sat on the log"
	// compressed 430 bytes to 100, restored: true
}

// A model trained by `autoreg train` (or any ARPA file), used from Go: the
// next-token distribution after a prompt, bits per character of a text, and
// a sample. TestModelFileExample runs it on a small model.
func Example_modelFile() {
	ctx := context.Background()
	f, err := modelfile.Read("shakes8.arm")
	if err != nil {
		log.Fatal(err)
	}

	// log P(next | <s> ROMEO:) for every token of the vocabulary.
	v := f.Model.Vocab()
	ids, err := tokenize.Encode(f.Tokenizer, "ROMEO:")
	if err != nil {
		log.Fatal(err)
	}
	prompt := append([]autoreg.Token{v.BOS()}, ids...)
	st := f.Model.NewState()
	st.Append(prompt...)
	logp := make([]float32, v.Size())
	st.LogProbs(logp)

	// Bits per character of held-out text.
	docs, err := corpus.Files([]string{"valid.txt"}, corpus.Options{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := eval.Run(ctx, f.Model, f.Tokenizer, docs, eval.Options{})
	if err != nil {
		log.Fatal(err)
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
		log.Fatal(err)
	}
}
