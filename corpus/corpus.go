// Package corpus reads training and evaluation text: files, directory trees
// (with include and exclude patterns) and standard input, streamed in bounded
// memory and turned into token sequences.
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
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// Options selects the files of a corpus.
type Options struct {
	// Include keeps only files whose base name matches one of these
	// patterns (filepath.Match syntax, e.g. "*.go"); empty keeps all. It
	// applies to files found by walking a directory, not to files named
	// directly.
	Include []string
	// Exclude skips files and directories whose base name matches one of
	// these patterns (e.g. "vendor", "*_test.go").
	Exclude []string
	// SkipGenerated skips files found in directories whose first lines
	// carry Go's "Code generated ... DO NOT EDIT." marker.
	SkipGenerated bool
}

// Doc is one input file of a corpus.
type Doc struct {
	// Path is the file's path as found; "-" reads standard input.
	Path string
	// Name, if set, is how messages name the document (a spooled copy of
	// standard input is named "standard input").
	Name string
	// Size is its length in bytes (0 for standard input until spooled).
	Size int64
}

// Files expands paths (files, directories and "-" for standard input) into
// the documents of a corpus, in a deterministic order: paths as given, and
// directory trees in lexical order. Entries whose name starts with "." are
// skipped inside directory trees. It fails on a missing path or a corpus
// without any file.
func Files(paths []string, opts Options) ([]Doc, error) {
	for _, p := range append(slices.Clone(opts.Include), opts.Exclude...) {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("corpus: bad pattern %q: %v", p, err)
		}
	}
	var docs []Doc
	for _, p := range paths {
		if p == "-" {
			docs = append(docs, Doc{Path: "-"})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: %w", p, unwrapPathError(err))
		}
		if !fi.IsDir() {
			docs = append(docs, Doc{Path: p, Size: fi.Size()})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("corpus: %s: %w", path, unwrapPathError(err))
			}
			name := d.Name()
			if path != p && (strings.HasPrefix(name, ".") || matchAny(opts.Exclude, name)) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			if len(opts.Include) > 0 && !matchAny(opts.Include, name) {
				return nil
			}
			fi, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("corpus: %s: %w", path, unwrapPathError(err))
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
			if opts.SkipGenerated {
				gen, err := isGenerated(path)
				if err != nil {
					return err
				}
				if gen {
					return nil
				}
			}
			docs = append(docs, Doc{Path: path, Size: fi.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("corpus: no input files in %s", strings.Join(paths, ", "))
	}
	return docs, nil
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// unwrapPathError drops the *fs.PathError wrapper, whose path the caller
// already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var generatedMarker = []byte("// Code generated ")

// isGenerated reports whether a file carries Go's generated-code marker
// ("// Code generated ... DO NOT EDIT.") in its first 4 KiB.
func isGenerated(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("corpus: %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("corpus: %s: %w", path, err)
	}
	for _, line := range bytes.Split(head[:n], []byte("\n")) {
		if bytes.HasPrefix(line, generatedMarker) && bytes.HasSuffix(bytes.TrimRight(line, "\r"), []byte(" DO NOT EDIT.")) {
			return true, nil
		}
	}
	return false, nil
}

func (d Doc) display() string {
	switch {
	case d.Name != "":
		return d.Name
	case d.Path == "-":
		return "standard input"
	}
	return d.Path
}

// Spool copies standard input, if docs read it, into a temporary file in
// dir ("" for the system default), so the corpus can be read more than once
// (a vocabulary pass, then a counting pass). The returned cleanup removes
// the file.
func Spool(docs []Doc, dir string) ([]Doc, func(), error) {
	i := slices.IndexFunc(docs, func(d Doc) bool { return d.Path == "-" })
	if i < 0 {
		return docs, func() {}, nil
	}
	f, err := os.CreateTemp(dir, "autoreg-stdin-*")
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: spooling standard input: %w", err)
	}
	cleanup := func() { os.Remove(f.Name()) }
	n, err := io.Copy(f, os.Stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("corpus: spooling standard input: %w", err)
	}
	out := slices.Clone(docs)
	for j := range out {
		if out[j].Path == "-" {
			out[j] = Doc{Path: f.Name(), Name: "standard input", Size: n}
		}
	}
	return out, cleanup, nil
}

// TotalSize is the sum of the documents' sizes.
func TotalSize(docs []Doc) int64 {
	var n int64
	for _, d := range docs {
		n += d.Size
	}
	return n
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

// Tokens streams the corpus through the tokenizer and calls fn with
// consecutive chunks of the token stream (each sequence BOS ... EOS; a
// sequence may span chunks). The chunk is reused after fn returns. Errors
// name the file. Memory stays bounded whatever the size of the input.
// progress may be nil.
func Tokens(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, mode Mode, progress Progress, fn func(chunk []autoreg.Token) error) (Stats, error) {
	return TokensControl(ctx, docs, tok, mode, Control{}, progress, fn)
}

// TokensControl is Tokens with control codes: each sequence whose example
// has a tag under ctl (and whose tag the tokenizer's vocabulary holds) gets
// the tag's token right after its BOS, as context (not counted in Stats.Tokens).
func TokensControl(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, mode Mode, ctl Control, progress Progress, fn func(chunk []autoreg.Token) error) (Stats, error) {
	t := &tokenStream{tok: tok, enc: tok.NewEncoder(), mode: mode, fn: fn, vocab: tok.Vocab(),
		progress: progress, total: TotalSize(docs), ctl: ctl}
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
	var r io.Reader
	name := d.display()
	if d.Path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(d.Path)
		if err != nil {
			return fmt.Errorf("corpus: %s: %w", d.Path, unwrapPathError(err))
		}
		defer f.Close()
		r = f
	}
	t.stats.Files++
	// Offsets in tokenizer errors count from the start of the current
	// sequence; turn them into file offsets.
	var seqStart int64
	var fileOff int64
	defer func() {
		var ie *tokenize.InputError
		if errors.As(err, &ie) {
			err = fmt.Errorf("corpus: %s: byte %d: %s", name, seqStart+ie.Offset, ie.Msg)
		} else if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !strings.HasPrefix(err.Error(), "corpus: ") {
			err = fmt.Errorf("corpus: %s: %w", name, err)
		}
	}()
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

// Load reads the whole corpus into memory as one token slice (for neural
// training, whose batches sample positions at random).
func Load(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, mode Mode, progress Progress) ([]autoreg.Token, Stats, error) {
	return LoadControl(ctx, docs, tok, mode, Control{}, progress)
}

// LoadControl is Load with control codes (see TokensControl).
func LoadControl(ctx context.Context, docs []Doc, tok tokenize.Tokenizer, mode Mode, ctl Control, progress Progress) ([]autoreg.Token, Stats, error) {
	var all []autoreg.Token
	st, err := TokensControl(ctx, docs, tok, mode, ctl, progress, func(chunk []autoreg.Token) error {
		all = append(all, chunk...)
		return nil
	})
	return all, st, err
}

// Read streams the bytes of each document: piece receives consecutive pieces
// of one document, end is called after its last piece (either may be nil).
// Errors returned by the callbacks are prefixed with the document's name
// unless they already carry the package prefix.
func Read(ctx context.Context, docs []Doc, progress Progress, piece func(d Doc, p []byte) error, end func(d Doc) error) error {
	total := TotalSize(docs)
	var done int64
	buf := make([]byte, readSize)
	for _, d := range docs {
		if err := readDoc(ctx, d, buf, &done, total, progress, piece, end); err != nil {
			return err
		}
	}
	return nil
}

func readDoc(ctx context.Context, d Doc, buf []byte, done *int64, total int64, progress Progress, piece func(Doc, []byte) error, end func(Doc) error) (err error) {
	name := d.display()
	defer func() {
		var ie *tokenize.InputError
		if errors.As(err, &ie) {
			err = fmt.Errorf("corpus: %s: byte %d: %s", name, ie.Offset, ie.Msg)
		} else if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !strings.HasPrefix(err.Error(), "corpus: ") {
			err = fmt.Errorf("corpus: %s: %w", name, err)
		}
	}()
	var r io.Reader = os.Stdin
	if d.Path != "-" {
		f, err := os.Open(d.Path)
		if err != nil {
			return fmt.Errorf("corpus: %s: %w", name, unwrapPathError(err))
		}
		defer f.Close()
		r = f
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			*done += int64(n)
			if piece != nil {
				if err := piece(d, buf[:n]); err != nil {
					return err
				}
			}
			if progress != nil {
				progress(*done, total)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if end != nil {
		return end(d)
	}
	return nil
}
