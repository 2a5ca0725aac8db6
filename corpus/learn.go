package corpus

import (
	"context"
	"fmt"
	"slices"

	"github.com/autoreg/autoreg/tokenize"
)

// TokenizerOptions says which tokenizer to learn from a corpus, and how the
// corpus is read.
type TokenizerOptions struct {
	// Kind is tokenize.KindByte, KindChar or KindWord.
	Kind string
	// VocabSize keeps at most this many most frequent words (0 = all).
	VocabSize int
	// MinCount keeps words seen at least this many times (0 or 1 = all).
	MinCount int64
	// Mode is the mode the corpus will be read in: in Lines mode the
	// newline ends a sentence and is not a character of the vocabulary.
	Mode Mode
	// Control, if not ControlNone, adds the control codes of every tag
	// the rule finds in the corpus to the vocabulary (see Control.Tags);
	// a rule that tags no example is an error.
	Control Control
	// Progress, if not nil, receives the bytes read so far.
	Progress Progress
}

// LearnTokenizer reads the corpus once and returns a tokenizer whose
// vocabulary covers it: every character seen (char), or the most frequent
// words (word); the byte tokenizer needs no pass. With a control rule, the
// vocabulary also holds the corpus's control codes, in sorted order.
func LearnTokenizer(ctx context.Context, docs []Doc, opts TokenizerOptions) (tokenize.Tokenizer, error) {
	tok, err := learnBase(ctx, docs, opts)
	if err != nil || opts.Control.Kind == ControlNone {
		return tok, err
	}
	tags, err := opts.Control.Tags(ctx, docs, opts.Mode)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("corpus: control rule %s: no training example has a tag", opts.Control)
	}
	return tokenize.WithControls(tok, tags)
}

// learnBase learns the tokenizer's ordinary tokens.
func learnBase(ctx context.Context, docs []Doc, opts TokenizerOptions) (tokenize.Tokenizer, error) {
	switch opts.Kind {
	case tokenize.KindByte:
		return tokenize.NewByte(), nil
	case tokenize.KindChar:
		b := tokenize.NewCharBuilder()
		err := Read(ctx, docs, opts.Progress, func(_ Doc, p []byte) error { return b.Add(p) }, func(Doc) error { return b.Flush() })
		if err != nil {
			return nil, err
		}
		tok, err := b.Build()
		if err != nil || opts.Mode != Lines {
			return tok, err
		}
		rs := slices.DeleteFunc(tok.Runes(), func(r rune) bool { return r == '\n' })
		if len(rs) == 0 {
			return nil, fmt.Errorf("corpus: no characters in the training text besides newlines")
		}
		return tokenize.NewChar(rs)
	case tokenize.KindWord:
		b := tokenize.NewWordBuilder()
		err := Read(ctx, docs, opts.Progress, func(_ Doc, p []byte) error { b.Add(p); return nil },
			func(Doc) error { b.Flush(); return nil })
		if err != nil {
			return nil, err
		}
		if b.Distinct() == 0 {
			return nil, fmt.Errorf("corpus: no words in the training text")
		}
		return b.Build(opts.VocabSize, max(opts.MinCount, 1))
	}
	return nil, fmt.Errorf("corpus: unknown tokenizer %q (want byte, char or word)", opts.Kind)
}
