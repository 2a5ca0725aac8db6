package corpus

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
)

// Pair data: the training and test sets of an encoder-decoder, one pair a
// line, the source and the target separated by a tab:
//
//	source<TAB>target
//
// A line ends at "\n" (a "\r" before it is dropped). A line without a tab,
// with an empty side, longer than PairOptions.MaxLineBytes, or not valid
// UTF-8 is malformed: an error naming the file and line, or with
// PairOptions.SkipBad a skip counted by reason. Blank lines are ignored. A
// target may itself hold tabs (only the first one separates).

// TextPair is one line of pair data.
type TextPair struct {
	Src, Tgt string
}

// Pair is a tokenized pair (neither side holds <s> or </s>).
type Pair struct {
	Src, Tgt []autoreg.Token
}

// PairOptions says how pair data is read.
type PairOptions struct {
	// SkipBad skips malformed lines and counts them instead of failing.
	SkipBad bool
	// MaxLineBytes is the longest line accepted (0 = DefaultMaxPairLine).
	MaxLineBytes int
	// MaxSrc and MaxTgt, if positive, bound the tokens of each side
	// (EncodePairs): a longer pair is an error, or a counted skip with
	// SkipBad.
	MaxSrc, MaxTgt int
}

// DefaultMaxPairLine is the default bound of a pair line, in bytes.
const DefaultMaxPairLine = 1 << 16

// PairStats counts what reading (and tokenizing) pair data found.
type PairStats struct {
	Lines int64 // lines read, blank ones included
	Pairs int64 // pairs kept
	// Skipped lines, by reason (with PairOptions.SkipBad).
	NoTab, Empty, TooLong, BadUTF8, TooManyTokens int64
	Unknown                                       int64 // <unk> tokens among the kept pairs (EncodePairs)
}

// Skipped is the number of skipped lines.
func (s PairStats) Skipped() int64 {
	return s.NoTab + s.Empty + s.TooLong + s.BadUTF8 + s.TooManyTokens
}

// PairError is a malformed pair line.
type PairError struct {
	File string
	Line int64
	Msg  string
}

func (e *PairError) Error() string {
	return fmt.Sprintf("corpus: %s: line %d: %s (give --skip-bad to skip such lines)", e.File, e.Line, e.Msg)
}

// ReadPairs reads pair data from the documents, in order.
func ReadPairs(ctx context.Context, docs []Doc, opts PairOptions) ([]TextPair, PairStats, error) {
	var out []TextPair
	var st PairStats
	max := opts.MaxLineBytes
	if max <= 0 {
		max = DefaultMaxPairLine
	}
	for _, d := range docs {
		if err := readPairDoc(ctx, d, opts, max, &st, &out); err != nil {
			return nil, st, err
		}
	}
	return out, st, nil
}

func readPairDoc(ctx context.Context, d Doc, opts PairOptions, max int, st *PairStats, out *[]TextPair) error {
	var r io.Reader
	if d.Path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(d.Path)
		if err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 1<<16)
	name := d.display()
	var line int64
	for {
		if line%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		b, long, err := readLine(br, max)
		if err == io.EOF && len(b) == 0 && !long {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("corpus: %s: %w", name, err)
		}
		line++
		st.Lines++
		bad := func(count *int64, msg string) error {
			if !opts.SkipBad {
				return &PairError{File: name, Line: line, Msg: msg}
			}
			*count++
			return nil
		}
		var perr error
		switch {
		case long:
			perr = bad(&st.TooLong, fmt.Sprintf("longer than %d bytes", max))
		case len(bytes.TrimSpace(b)) == 0:
			// A blank line.
		case !utf8.Valid(b):
			perr = bad(&st.BadUTF8, "invalid UTF-8")
		default:
			src, tgt, ok := bytes.Cut(b, []byte{'\t'})
			switch {
			case !ok:
				perr = bad(&st.NoTab, "no tab between source and target")
			case len(bytes.TrimSpace(src)) == 0 || len(bytes.TrimSpace(tgt)) == 0:
				perr = bad(&st.Empty, "empty source or target")
			default:
				*out = append(*out, TextPair{Src: string(src), Tgt: string(tgt)})
				st.Pairs++
			}
		}
		if perr != nil {
			return perr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine reads one line without its "\n" (and a "\r" before it). A line
// longer than max is consumed and reported with long set.
func readLine(br *bufio.Reader, max int) (line []byte, long bool, err error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > max+2 { // room for "\r\n"
			long = true
		} else {
			buf = append(buf, frag...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte{'\n'})
		buf = bytes.TrimSuffix(buf, []byte{'\r'})
		if !long && len(buf) > max {
			long = true
		}
		return buf, long, err
	}
}

// LearnPairTokenizers learns a tokenizer for each side of the pairs under
// the same rules as LearnTokenizer: every character seen (char) or the most
// frequent words (word); the byte tokenizer needs no pass.
func LearnPairTokenizers(pairs []TextPair, src, tgt TokenizerOptions) (srcTok, tgtTok tokenize.Tokenizer, err error) {
	side := func(opts TokenizerOptions, text func(TextPair) string, what string) (tokenize.Tokenizer, error) {
		switch opts.Kind {
		case tokenize.KindByte:
			return tokenize.NewByte(), nil
		case tokenize.KindChar:
			b := tokenize.NewCharBuilder()
			for _, p := range pairs {
				if err := b.Add([]byte(text(p))); err != nil {
					return nil, err
				}
				if err := b.Flush(); err != nil {
					return nil, err
				}
			}
			return b.Build()
		case tokenize.KindWord:
			b := tokenize.NewWordBuilder()
			for _, p := range pairs {
				b.Add([]byte(text(p)))
				b.Flush()
			}
			if b.Distinct() == 0 {
				return nil, fmt.Errorf("corpus: no words in the %ss", what)
			}
			return b.Build(opts.VocabSize, max(opts.MinCount, 1))
		}
		return nil, fmt.Errorf("corpus: unknown tokenizer %q (want byte, char or word)", opts.Kind)
	}
	if srcTok, err = side(src, func(p TextPair) string { return p.Src }, "source"); err != nil {
		return nil, nil, err
	}
	if tgtTok, err = side(tgt, func(p TextPair) string { return p.Tgt }, "target"); err != nil {
		return nil, nil, err
	}
	return srcTok, tgtTok, nil
}

// LearnSharedTokenizer learns one tokenizer from both sides of the pairs
// (an encoder-decoder with a shared vocabulary).
func LearnSharedTokenizer(pairs []TextPair, opts TokenizerOptions) (tokenize.Tokenizer, error) {
	both := make([]TextPair, 0, 2*len(pairs))
	for _, p := range pairs {
		both = append(both, TextPair{Src: p.Src}, TextPair{Src: p.Tgt})
	}
	tok, _, err := LearnPairTokenizers(both, opts, TokenizerOptions{Kind: tokenize.KindByte})
	return tok, err
}

// EncodePairs tokenizes pairs with the source and target tokenizers. A
// side longer than opts.MaxSrc or opts.MaxTgt tokens is an error naming the
// pair (its 1-based index among pairs, and name), or with opts.SkipBad a
// counted skip; st accumulates the counts.
func EncodePairs(pairs []TextPair, src, tgt tokenize.Tokenizer, name string, opts PairOptions, st *PairStats) ([]Pair, error) {
	se, te := src.NewEncoder(), tgt.NewEncoder()
	out := make([]Pair, 0, len(pairs))
	var ids []autoreg.Token
	enc := func(e tokenize.Encoder, text string) ([]autoreg.Token, error) {
		var err error
		ids, err = e.Encode(ids[:0], []byte(text))
		if err == nil {
			ids, err = e.Flush(ids)
		}
		return append([]autoreg.Token(nil), ids...), err
	}
	for i, p := range pairs {
		s, err := enc(se, p.Src)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: pair %d source: %v", name, i+1, err)
		}
		t, err := enc(te, p.Tgt)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: pair %d target: %v", name, i+1, err)
		}
		if (opts.MaxSrc > 0 && len(s) > opts.MaxSrc) || (opts.MaxTgt > 0 && len(t) > opts.MaxTgt) {
			if !opts.SkipBad {
				return nil, fmt.Errorf("corpus: %s: pair %d has %d source and %d target tokens, the model takes at most %d and %d (give --skip-bad to skip such pairs)",
					name, i+1, len(s), len(t), opts.MaxSrc, opts.MaxTgt)
			}
			st.TooManyTokens++
			st.Pairs--
			continue
		}
		out = append(out, Pair{Src: s, Tgt: t})
	}
	st.Unknown += se.Unknown() + te.Unknown()
	return out, nil
}
