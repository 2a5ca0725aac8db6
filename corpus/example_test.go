package corpus_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/tokenize"
)

// A corpus need not be files: TextDoc and ReaderDoc hand text over
// directly. In lines mode each line is a sequence, <s> … </s>.
func ExampleLoad() {
	ctx := context.Background()
	docs := []corpus.Doc{
		corpus.TextDoc("greeting", "hi\nho\n"),
		corpus.ReaderDoc("reply", strings.NewReader("oh")),
	}
	opts := corpus.TokenOptions{Mode: corpus.Lines}
	// LearnTokenizer reads the corpus once for its characters: a reader
	// gives its bytes once, so Spool copies it to read it again.
	docs, cleanup, err := corpus.Spool(docs, "")
	if err != nil {
		panic(err)
	}
	defer cleanup()
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: tokenize.KindChar, Mode: opts.Mode})
	if err != nil {
		panic(err)
	}
	toks, st, err := corpus.Load(ctx, docs, tok, opts)
	if err != nil {
		panic(err)
	}
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = tok.Word(t)
	}
	fmt.Println(strings.Join(words, " "))
	fmt.Printf("%d documents, %d sequences, %d tokens\n", st.Files, st.Sequences, st.Tokens)
	// Output:
	// <s> h i </s> <s> h o </s> <s> o h </s>
	// 2 documents, 3 sequences, 9 tokens
}
