package eval_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// Score text from an io.Reader under a word trigram trained on a string;
// in lines mode each line is a sentence, as KenLM's query scores it.
func ExampleRun() {
	ctx := context.Background()
	train := []corpus.Doc{corpus.TextDoc("train", strings.Repeat("the cat sat\nthe dog sat\na cat ran\n", 10))}
	opts := corpus.TokenOptions{Mode: corpus.Lines}
	tok, err := corpus.LearnTokenizer(ctx, train, corpus.TokenizerOptions{Kind: tokenize.KindWord, Mode: opts.Mode})
	if err != nil {
		panic(err)
	}
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: 3})
	if err != nil {
		panic(err)
	}
	if _, err := corpus.Tokens(ctx, train, tok, opts, b.Add); err != nil {
		panic(err)
	}
	m, err := b.Build(ctx)
	if err != nil {
		panic(err)
	}

	test := []corpus.Doc{corpus.ReaderDoc("test", strings.NewReader("the cat ran\na dog sat\nthe bird sat\n"))}
	res, err := eval.Run(ctx, m, tok, test, eval.Options{Mode: corpus.Lines})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d sentences, %d tokens (%d OOV)\n", res.Sequences, res.Tokens, res.OOV)
	fmt.Printf("perplexity %.2f, %.2f excluding OOVs\n", res.PPL(), res.PPLExclOOV())
	// Output:
	// 3 sentences, 12 tokens (1 OOV)
	// perplexity 4.93, 3.50 excluding OOVs
}
