// Package corpus reads training and evaluation text: files, directory trees
// (with include and exclude patterns), standard input, and text or readers a
// program hands over ([TextDoc], [ReaderDoc]), streamed in bounded memory
// and turned into token sequences ([Tokens], or [Load] for all of it at
// once). A corpus is a list of [Doc]; [TokenOptions] says how it is cut into
// sequences and tagged with control codes.
//
// Two modes decide what a sequence is. In stream mode each input file is one
// sequence; in lines mode each line is one sentence, as KenLM's lmplz and
// query treat text. Either way a sequence is emitted as
//
//	BOS x1 x2 ... xn EOS
//
// so a consumer resets its history at BOS, never carries context across
// sequences, and learns to predict EOS at a file or line boundary (which is
// what lets generation stop). BOS is context only and is never scored.
package corpus

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
)

// Mode says what one sequence of the corpus is.
type Mode int

const (
	// Stream makes each file one sequence.
	Stream Mode = iota
	// Lines makes each line one sequence (the newline is its end).
	Lines
)

// String returns "stream" or "lines".
func (m Mode) String() string {
	if m == Lines {
		return "lines"
	}
	return "stream"
}

// ParseMode parses "stream" or "lines".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "stream":
		return Stream, nil
	case "lines":
		return Lines, nil
	}
	return 0, fmt.Errorf("corpus: unknown mode %q (want stream or lines)", s)
}

// Stats counts what a pass over a corpus read.
type Stats struct {
	Files     int
	Bytes     int64 // bytes read
	Chars     int64 // Unicode characters read (as utf8.RuneCount counts them)
	Sequences int64 // sequences emitted (files or lines)
	Tokens    int64 // tokens emitted, EOS included, BOS excluded
	Unknown   int64 // UNK tokens among them
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.Chars += o.Chars
	s.Sequences += o.Sequences
	s.Tokens += o.Tokens
	s.Unknown += o.Unknown
}

// Progress reports bytes read so far out of the corpus total (0 when the
// total is unknown, as for standard input).
type Progress func(done, total int64)

// chunkTokens is how many tokens Tokens collects before calling back.
const chunkTokens = 1 << 16

// readSize is the size of one read from a file.
const readSize = 1 << 16

// TokenOptions says how Tokens and Load turn documents into token
// sequences. The zero value reads each document as one sequence without
// control codes or progress reports.
type TokenOptions struct {
	// Mode cuts the text into sequences: Stream (a document is one) or
	// Lines (a line is one).
	Mode Mode
	// Control gives each sequence whose example has a tag under this rule
	// (and whose tag the tokenizer's vocabulary holds) the tag's token
	// right after its BOS, as context: it is not counted in Stats.Tokens.
	Control Control
	// Progress, if not nil, receives the bytes read so far.
	Progress Progress
}

// Tokens streams the documents through the tokenizer and calls fn with
// consecutive chunks of the token stream (each sequence BOS ... EOS; a
// sequence may span chunks). The chunk is reused after fn returns. Errors
// name the document. Memory stays bounded whatever the size of the input.
func Tokens(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, opts TokenOptions, fn func(chunk []autoreg.Token) error) (Stats, error) {
	t := &tokenStream{tok: tok, enc: tok.NewEncoder(), mode: opts.Mode, fn: fn, vocab: tok.Vocab(),
		progress: opts.Progress, total: TotalSize(docs), ctl: opts.Control}
	t.buf = make([]autoreg.Token, 0, chunkTokens+readSize+2)
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return t.stats, err
		}
		if err := t.doc(ctx, d); err != nil {
			return t.stats, err
		}
	}
	if err := t.emit(true); err != nil {
		return t.stats, err
	}
	t.stats.Unknown = t.enc.Unknown()
	return t.stats, nil
}

// Load reads the whole corpus into memory as one token slice, as Tokens
// streams it (for neural training, whose batches sample positions at
// random).
func Load(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, opts TokenOptions) ([]autoreg.Token, Stats, error) {
	var all []autoreg.Token
	st, err := Tokens(ctx, docs, tok, opts, func(chunk []autoreg.Token) error {
		all = append(all, chunk...)
		return nil
	})
	return all, st, err
}

// Split holds out the last fraction frac, in [0, 1), of a token stream as
// Load returns it, the standard split of a single text (tiny Shakespeare's
// 90/10): train is the first 1−frac of the tokens after the leading BOS
// (sharing toks' memory), valid a copy of the rest, the closing EOS
// included. frac 0 holds out nothing.
func Split(toks []autoreg.Token, frac float64) (train, valid []autoreg.Token, err error) {
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("corpus: split fraction %g: want a fraction in [0, 1)", frac)
	}
	if frac == 0 {
		return toks, nil, nil
	}
	cut := min(max(1+int((1-frac)*float64(len(toks)-2)), 0), len(toks))
	return toks[:cut], append([]autoreg.Token(nil), toks[cut:]...), nil
}

type tokenStream struct {
	tok      tokenize.Tokenizer
	enc      tokenize.Encoder
	vocab    autoreg.Vocab
	mode     Mode
	fn       func([]autoreg.Token) error
	buf      []autoreg.Token
	stats    Stats
	progress Progress
	total    int64
	runes    runeCounter
	ctl      Control
}

func (t *tokenStream) emit(force bool) error {
	if len(t.buf) == 0 || (!force && len(t.buf) < chunkTokens) {
		return nil
	}
	err := t.fn(t.buf)
	t.buf = t.buf[:0]
	return err
}

func (t *tokenStream) startSeq(tag string) {
	t.buf = append(t.buf, t.vocab.BOS())
	if tag != "" {
		if id, ok := t.vocab.Control(tag); ok {
			t.buf = append(t.buf, id)
		}
	}
	t.stats.Sequences++
}

func (t *tokenStream) endSeq() error {
	var err error
	n := len(t.buf)
	t.buf, err = t.enc.Flush(t.buf)
	t.buf = append(t.buf, t.vocab.EOS())
	t.stats.Tokens += int64(len(t.buf) - n)
	return err
}

func (t *tokenStream) encode(p []byte) error {
	n := len(t.buf)
	var err error
	t.buf, err = t.enc.Encode(t.buf, p)
	t.stats.Tokens += int64(len(t.buf) - n)
	return err
}

func (t *tokenStream) doc(ctx context.Context, d Doc) (err error) {
	r, release, err := d.open()
	if err != nil {
		return err
	}
	defer release()
	t.stats.Files++
	// Offsets in tokenizer errors count from the start of the current
	// sequence; docError turns them into file offsets.
	var seqStart int64
	var fileOff int64
	defer func() { err = docError(d, seqStart, err) }()
	t.runes.reset()
	br := bufio.NewReaderSize(r, readSize)
	if t.mode == Stream {
		tag := t.ctl.docTag(d)
		if t.ctl.Kind == ControlLinePrefix {
			head, _ := br.Peek(MaxTagLen + 2)
			if i := bytes.IndexByte(head, ':'); i > 0 {
				var rest []byte
				if tag, rest = linePrefix(head); tag != "" {
					cut := len(head) - len(rest)
					t.stats.Bytes += int64(cut)
					t.stats.Chars += t.runes.count(head[:cut])
					fileOff += int64(cut)
					seqStart = fileOff
					br.Discard(cut)
				}
			}
		}
		t.startSeq(tag)
	}
	inLine := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var piece []byte
		var rerr error
		if t.mode == Lines {
			piece, rerr = br.ReadSlice('\n')
			if rerr == bufio.ErrBufferFull {
				rerr = nil
			}
		} else {
			buf, _ := br.Peek(readSize)
			piece = buf
			if len(buf) == 0 {
				_, rerr = br.ReadByte()
			} else {
				br.Discard(len(buf))
			}
		}
		if len(piece) > 0 {
			t.stats.Bytes += int64(len(piece))
			t.stats.Chars += t.runes.count(piece)
			if t.mode == Lines {
				content := piece
				if !inLine {
					tag := t.ctl.docTag(d)
					seqStart = fileOff
					if t.ctl.Kind == ControlLinePrefix {
						var rest []byte
						if tag, rest = linePrefix(piece); tag != "" {
							content = rest
							seqStart += int64(len(piece) - len(rest))
						}
					}
					t.startSeq(tag)
					inLine = true
				}
				ended := piece[len(piece)-1] == '\n'
				if ended {
					content = content[:len(content)-1]
				}
				if err := t.encode(content); err != nil {
					return err
				}
				if ended {
					if err := t.endSeq(); err != nil {
						return err
					}
					inLine = false
				}
			} else if err := t.encode(piece); err != nil {
				return err
			}
			fileOff += int64(len(piece))
			if err := t.emit(false); err != nil {
				return err
			}
			if t.progress != nil {
				t.progress(t.stats.Bytes, t.total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	t.stats.Chars += t.runes.finish()
	if t.mode == Stream || inLine {
		return t.endSeq()
	}
	return nil
}

// runeCounter counts characters across pieces exactly as utf8.RuneCount
// counts them over the whole text.
type runeCounter struct {
	held []byte
}

func (c *runeCounter) reset() { c.held = c.held[:0] }

func (c *runeCounter) count(p []byte) int64 {
	var n int64
	if len(c.held) > 0 {
		// Complete a sequence split by the previous piece.
		for len(p) > 0 && !utf8.FullRune(c.held) {
			c.held = append(c.held, p[0])
			p = p[1:]
		}
		if !utf8.FullRune(c.held) {
			return 0
		}
		_, size := utf8.DecodeRune(c.held)
		n++
		rest := c.held[size:] // bytes that were not part of that character
		c.held = c.held[:0]
		p = append(append([]byte(nil), rest...), p...)
	}
	// Hold back an incomplete sequence at the end.
	end := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				end = i
			}
			break
		}
	}
	c.held = append(c.held, p[end:]...)
	return n + int64(utf8.RuneCount(p[:end]))
}

func (c *runeCounter) finish() int64 {
	n := int64(utf8.RuneCount(c.held))
	c.held = c.held[:0]
	return n
}
