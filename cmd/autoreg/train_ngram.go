package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// trainNgram estimates an n-gram model: a pass to learn the vocabulary
// (char and word tokenizers), a pass to count, then modified Kneser-Ney.
func trainNgram(ctx context.Context, stderr io.Writer, f *trainFlags, args []string) error {
	mode, err := corpus.ParseMode(f.corpus.mode)
	if err != nil {
		return usagef("--mode: %v", err)
	}
	if f.order < 1 || f.order > ngram.MaxOrder {
		return usagef("--order %d: want 1 to %d", f.order, ngram.MaxOrder)
	}
	opts := ngram.Options{Order: f.order, Warn: func(msg string) { fmt.Fprintf(stderr, "warning: %s\n", msg) }}
	if f.prune != "" {
		if opts.Prune, err = parseCounts(f.prune); err != nil {
			return usagef("--prune: %v", err)
		}
	}
	fb, err := parseFloats(f.discountFallback)
	if err != nil || len(fb) != 3 {
		return usagef("--discount-fallback: want three numbers D1,D2,D3+ (e.g. 0.5,1,1.5)")
	}
	copy(opts.DiscountFallback[:], fb)

	docs, err := f.corpus.docs(args)
	if err != nil {
		return err
	}
	docs, cleanup, err := corpus.Spool(docs, "")
	if err != nil {
		return err
	}
	defer cleanup()
	var validDocs []corpus.Doc
	if len(f.valid) > 0 {
		if validDocs, err = corpus.Files(f.valid, corpus.Options{Include: f.corpus.include, Exclude: f.corpus.exclude}); err != nil {
			return err
		}
	}
	start := time.Now()
	tok, ctl, err := learnTokenizer(ctx, stderr, f, docs, mode)
	if err != nil {
		return err
	}
	b, err := ngram.NewBuilder(tok.Vocab(), opts)
	if err != nil {
		return err
	}
	pr := newProgress(stderr, "counting")
	st, err := corpus.Tokens(ctx, docs, tok, corpus.TokenOptions{Mode: mode, Control: ctl, Progress: pr.bytes}, b.Add)
	pr.done()
	if err != nil {
		return err
	}
	if st.Tokens == st.Sequences {
		return fmt.Errorf("no tokens in the training data %v (only empty sequences)", f.corpus.data)
	}
	fmt.Fprintf(stderr, "read %d files: %s bytes, %s tokens in %s sequences, %s OOV\n",
		st.Files, thousands(st.Bytes), thousands(st.Tokens), thousands(st.Sequences), thousands(st.Unknown))
	m, err := b.Build(ctx)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	printNgram(stderr, m, tok)

	cfg, _ := json.Marshal(map[string]any{"order": m.Order(), "counts": m.Counts(), "discounts": m.Discounts(), "prune": opts.Prune})
	trn, _ := json.Marshal(map[string]any{"data": f.corpus.data, "files": st.Files, "bytes": st.Bytes, "tokens": st.Tokens, "seconds": elapsed.Seconds()})
	file := &modelfile.File{
		Meta:      modelfile.Meta{Family: "ngram", Mode: mode.String(), Control: ctl.String(), Config: cfg, Training: trn},
		Tokenizer: tok,
		Model:     m,
	}
	if err := modelfile.Write(f.out, file); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%s) in %s\n", f.out, humanBytes(fileSize(f.out)), elapsed.Round(time.Millisecond))
	if validDocs != nil {
		res, err := eval.Run(ctx, m, tok, validDocs, eval.Options{Mode: mode, Control: ctl})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "validation: %s tokens, perplexity %.3f, %.4f bits/char\n", thousands(res.Tokens), res.PPL(), res.BitsPerChar())
	}
	return nil
}

// learnTokenizer reads the training corpus for the tokenizer's vocabulary
// and the control codes --control-from finds.
func learnTokenizer(ctx context.Context, stderr io.Writer, f *trainFlags, docs []corpus.Doc, mode corpus.Mode) (tokenize.Tokenizer, corpus.Control, error) {
	var ctl corpus.Control
	switch f.tok {
	case tokenize.KindByte, tokenize.KindChar, tokenize.KindWord:
	default:
		return nil, ctl, usagef("--tokenizer %q: want byte, char or word", f.tok)
	}
	if f.vocabSize < 0 || f.vocabMinCount < 0 {
		return nil, ctl, usagef("--vocab-size and --vocab-min-count must not be negative")
	}
	ctl, err := corpus.ParseControl(f.controlFrom)
	if err != nil {
		return nil, ctl, usagef("%v", err)
	}
	pr := newProgress(stderr, "vocabulary")
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: f.tok, VocabSize: f.vocabSize,
		MinCount: f.vocabMinCount, Mode: mode, Control: ctl, Progress: pr.bytes})
	pr.done()
	if err != nil {
		return nil, ctl, err
	}
	if tags := tok.Vocab().Controls; len(tags) > 0 {
		fmt.Fprintf(stderr, "control codes (%s): %s\n", ctl, strings.Join(tags, ", "))
	}
	return tok, ctl, nil
}

func printNgram(stderr io.Writer, m *ngram.Model, tok tokenize.Tokenizer) {
	v := m.Vocab()
	fmt.Fprintf(stderr, "vocabulary: %s %s tokens + %d specials\n", thousands(int64(v.Base)), tok.Kind(), v.Size()-v.Base)
	for i, c := range m.Counts() {
		line := fmt.Sprintf("  %d-grams %12s", i+1, thousands(int64(c)))
		if d := m.Discounts(); i < len(d) {
			line += fmt.Sprintf("   discounts %.4f %.4f %.4f", d[i][0], d[i][1], d[i][2])
		}
		fmt.Fprintln(stderr, line)
	}
}
