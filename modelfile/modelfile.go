// Package modelfile reads and writes autoreg model files: one self-contained
// file holding a model's family, configuration, tokenizer and weights, with a
// checksum. The SHA-256 of the file's bytes is the model's identity (the
// compressor records it, so a file is never decoded with the wrong model).
//
// Read also accepts ARPA files (plain or gzip-compressed), the text format of
// n-gram models shared with KenLM and SRILM, so every command that takes a
// model takes either. The byte-level layout is specified in docs/FORMATS.md;
// in short:
//
//	magic    8 bytes  89 41 52 47 0D 0A 1A 0A  ("\x89ARG\r\n\x1a\n")
//	version  u32      1 (token models) or 2 (real-valued models)
//	flags    u32      0
//	sections, each:   zero padding so the payload starts at a multiple of 64,
//	                  tag [4]byte, u32 0, u64 payload length, payload
//	"END\x00" section, last: its payload is the SHA-256 of every byte before
//	                  its header (padding included)
//
// Sections appear in the order META (JSON), TOKN (the tokenizer), MODL (the
// family's payload), then any extra sections (checkpoints add optimizer and
// training state). A real-valued model (autoreg.RealModel: family "ar") has
// no tokenizer: its file has no TOKN and is version 2, so that a build that
// predates real-valued models says to upgrade instead of misreading it;
// token models are still written as version 1, byte for byte as before.
// Readers skip sections they do not know, so adding one does not bump the
// version; changing the layout of an existing one does. Integers are
// little-endian.
package modelfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// Magic starts every model file. Like PNG's signature, it detects text-mode
// transfers (the CR LF and the ^Z) and is not valid UTF-8.
const Magic = "\x89ARG\r\n\x1a\n"

// Format versions. Version is the newest this package reads: version 2
// allows a file without TOKN whose MODL holds a real-valued family.
// Writers use the oldest version that can hold the file: VersionTokens for
// every token model, Version for real-valued ones.
const (
	VersionTokens = 1
	Version       = 2
)

// Align is the alignment of every section payload within the file.
const Align = 64

// Section tags.
const (
	TagMeta      = "META"
	TagTokenizer = "TOKN"
	TagSource    = "STOK" // a conditional model's source tokenizer
	TagModel     = "MODL"
	TagEnd       = "END\x00"
)

// Limits applied before allocating, so a corrupt file cannot exhaust memory.
const (
	MaxMetaSize      = 1 << 20
	MaxTokenizerSize = 1 << 30
	MaxSections      = 1 << 10
)

// Meta is the JSON header of a model file.
type Meta struct {
	// Family names the model family: "ngram", "lstm", "gru", "gpt",
	// "pixelcnn", "wavenet"; "ar" for real-valued series.
	Family string `json:"family"`
	// Mode is how training text was cut into sequences ("stream" or
	// "lines"); evaluation uses the same by default.
	Mode string `json:"mode"`
	// Control is the rule that gave training examples their control codes
	// (corpus.ParseControl syntax; empty for none); evaluation applies it
	// too.
	Control string `json:"control,omitempty"`
	// Config is the family's configuration, for people and tools; the MODL
	// payload is self-sufficient.
	Config json.RawMessage `json:"config,omitempty"`
	// Training records how the model was made (data, tokens, time), for
	// people and tools.
	Training json.RawMessage `json:"training,omitempty"`
	// Columns names the value columns a real-valued model was trained on,
	// dimension by dimension; commands read the same columns by default.
	Columns []string `json:"columns,omitempty"`
	// Time names the time column of a real-valued model's training data
	// ("" for none), used by default for plots and forecast tables.
	Time string `json:"time,omitempty"`
}

// Section is an extra named payload (checkpoint state, for instance).
type Section struct {
	Tag  string // 4 bytes
	Data []byte
}

// File is the content of a model file.
type File struct {
	Meta      Meta
	Tokenizer tokenize.Tokenizer
	// SourceTokenizer is the source side's tokenizer of a conditional
	// model (autoreg.Conditional, an encoder-decoder); nil otherwise.
	SourceTokenizer tokenize.Tokenizer
	// Model is the model; to be written it must implement io.WriterTo,
	// producing its family's payload. It is nil in a real-valued model's
	// file.
	Model autoreg.Model
	// Real is a real-valued model, in place of Model and Tokenizer (which
	// are then nil); to be written it must implement io.WriterTo.
	Real autoreg.RealModel
	// Extra holds sections after the model, in order.
	Extra []Section
	// SHA256 is the digest of the file's bytes, the model's identity. Read
	// and Write set it.
	SHA256 [32]byte
	// Format is "autoreg" or "arpa", as read.
	Format string
}

// ExtraSection returns the data of the first extra section with tag, or nil.
func (f *File) ExtraSection(tag string) []byte {
	for _, s := range f.Extra {
		if s.Tag == tag {
			return s.Data
		}
	}
	return nil
}

// Error is a problem with a model file, naming it.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return "modelfile: " + e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Write writes f to path atomically and sets f.SHA256.
func Write(path string, f *File) error {
	w, err := atomicfile.Create(path)
	if err != nil {
		return &Error{Path: path, Err: errors.Unwrap(err)}
	}
	defer w.Abort()
	bw := bufio.NewWriterSize(w, 1<<20)
	sum, err := Encode(bw, f)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return &Error{Path: path, Err: err}
	}
	if err := w.Commit(); err != nil {
		return &Error{Path: path, Err: errors.Unwrap(err)}
	}
	f.SHA256 = sum
	f.Format = "autoreg"
	return nil
}

// Encode writes f in the model-file format and returns its SHA-256.
func Encode(w io.Writer, f *File) ([32]byte, error) {
	var sum [32]byte
	if err := checkTag(f.Extra); err != nil {
		return sum, err
	}
	var model any = f.Model
	version := uint32(VersionTokens)
	switch {
	case f.Real != nil:
		if f.Model != nil || f.Tokenizer != nil {
			return sum, errors.New("a real-valued model has no token model or tokenizer")
		}
		if !IsReal(f.Meta.Family) {
			return sum, fmt.Errorf("family %q is not a real-valued family", f.Meta.Family)
		}
		model, version = f.Real, Version
	case f.Tokenizer == nil || f.Model == nil:
		return sum, errors.New("model and tokenizer are required")
	case f.Tokenizer.Vocab().Size() != f.Model.Vocab().Size():
		return sum, fmt.Errorf("tokenizer has %d tokens but the model %d", f.Tokenizer.Vocab().Size(), f.Model.Vocab().Size())
	}
	wt, ok := model.(io.WriterTo)
	if !ok {
		return sum, fmt.Errorf("%s models cannot be saved", f.Meta.Family)
	}
	var stok []byte
	if err := checkSource(f.Model, f.SourceTokenizer); err != nil {
		return sum, err
	}
	if f.SourceTokenizer != nil {
		b, err := tokenize.Marshal(f.SourceTokenizer)
		if err != nil {
			return sum, err
		}
		stok = b
	}
	meta, err := json.Marshal(f.Meta)
	if err != nil {
		return sum, err
	}
	sw := &sectionWriter{w: w, h: sha256.New(), all: sha256.New()}
	sw.header(version)
	sw.section(TagMeta, int64(len(meta)), bytesWriter(meta))
	if f.Tokenizer != nil {
		tok, err := tokenize.Marshal(f.Tokenizer)
		if err != nil {
			return sum, err
		}
		sw.section(TagTokenizer, int64(len(tok)), bytesWriter(tok))
	}
	if stok != nil {
		sw.section(TagSource, int64(len(stok)), bytesWriter(stok))
	}
	// The payload length is not known up front: measure it first.
	var cw countWriter
	if _, err := wt.WriteTo(&cw); err != nil {
		return sum, err
	}
	sw.section(TagModel, cw.n, wt)
	for _, s := range f.Extra {
		sw.section(s.Tag, int64(len(s.Data)), bytesWriter(s.Data))
	}
	sw.pad()
	check := sw.h.Sum(nil)
	sw.rawHeader(TagEnd, 32)
	sw.write(check)
	copy(sum[:], sw.all.Sum(nil))
	return sum, sw.err
}

func checkTag(extra []Section) error {
	for _, s := range extra {
		if len(s.Tag) != 4 {
			return fmt.Errorf("section tag %q is not 4 bytes", s.Tag)
		}
		switch s.Tag {
		case TagMeta, TagTokenizer, TagSource, TagModel, TagEnd:
			return fmt.Errorf("section tag %q is reserved", s.Tag)
		}
	}
	return nil
}

type bytesWriter []byte

func (b bytesWriter) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// sectionWriter writes sections, hashing every byte (all: the identity)
// and every byte before the END section (h: the stored checksum).
type sectionWriter struct {
	w      io.Writer
	h, all hash.Hash
	off    int64
	err    error
}

func (s *sectionWriter) write(p []byte) {
	if s.err != nil {
		return
	}
	var n int
	n, s.err = s.w.Write(p)
	s.all.Write(p[:n])
	s.off += int64(n)
}

func (s *sectionWriter) hashed(p []byte) {
	s.h.Write(p)
	s.write(p)
}

func (s *sectionWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.hashed(p)
	return len(p), s.err
}

func (s *sectionWriter) header(version uint32) {
	var b [16]byte
	copy(b[:], Magic)
	binary.LittleEndian.PutUint32(b[8:], version)
	s.hashed(b[:])
}

// pad writes zeros so that a section header written next has its payload
// at a multiple of Align.
func (s *sectionWriter) pad() {
	var zeros [Align]byte
	if n := padding(s.off); n > 0 {
		s.hashed(zeros[:n])
	}
}

func padding(off int64) int64 { return (Align - (off+16)%Align) % Align }

func (s *sectionWriter) rawHeader(tag string, n int64) {
	var b [16]byte
	copy(b[:4], tag)
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	if tag == TagEnd {
		s.write(b[:])
	} else {
		s.hashed(b[:])
	}
}

func (s *sectionWriter) section(tag string, n int64, payload io.WriterTo) {
	s.pad()
	s.rawHeader(tag, n)
	if s.err != nil {
		return
	}
	start := s.off
	if _, err := payload.WriteTo(s); err != nil && s.err == nil {
		s.err = err
	}
	if s.err == nil && s.off-start != n {
		s.err = fmt.Errorf("section %q: wrote %d bytes, announced %d", tag, s.off-start, n)
	}
}

// Read reads a token model's file or an ARPA file; a real-valued model's
// file is an error saying so (ReadAny reads both).
func Read(path string) (*File, error) { return ReadWarn(path, nil) }

// ReadWarn is Read with a function receiving warnings (an ARPA file missing
// a special token, say); warn may be nil.
func ReadWarn(path string, warn func(msg string)) (*File, error) {
	f, err := readAny(path, warn)
	if err == nil && f.Real != nil {
		return nil, &Error{Path: path, Err: fmt.Errorf("holds a real-valued %s model, not a token model", f.Meta.Family)}
	}
	return f, err
}

// ReadAny reads a model file of any kind (File.Model or File.Real is set)
// or an ARPA file.
func ReadAny(path string) (*File, error) { return readAny(path, nil) }

func readAny(path string, warn func(msg string)) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Err: unwrapPath(err)}
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, &Error{Path: path, Err: unwrapPath(err)}
	}
	if fi.IsDir() {
		return nil, &Error{Path: path, Err: errors.New("is a directory")}
	}
	br := bufio.NewReaderSize(fh, 1<<20)
	head, _ := br.Peek(len(Magic))
	var f *File
	switch {
	case bytes.Equal(head, []byte(Magic)):
		f, err = Decode(br, fi.Size())
	case looksLikeARPA(br):
		f, err = readARPA(br, path, warn)
		var fe *ngram.FormatError
		if errors.As(err, &fe) {
			return nil, err // it names the file and line already
		}
	default:
		err = errors.New("not an autoreg model file (bad magic) nor an ARPA file")
	}
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return f, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Decode reads a model file of the given size (the readers cap every length
// field by it) from r.
func Decode(r io.Reader, size int64) (*File, error) {
	sr := &sectionReader{r: r, h: sha256.New(), all: sha256.New(), size: size}
	var hdr [16]byte
	sr.read(hdr[:])
	if sr.err != nil {
		return nil, fmt.Errorf("truncated header: %w", sr.err)
	}
	if string(hdr[:8]) != Magic {
		return nil, errors.New("bad magic: not an autoreg model file")
	}
	version := binary.LittleEndian.Uint32(hdr[8:])
	if version < VersionTokens || version > Version {
		return nil, fmt.Errorf("format version %d, this build reads versions %d to %d (upgrade autoreg)", version, VersionTokens, Version)
	}
	if flags := binary.LittleEndian.Uint32(hdr[12:]); flags != 0 {
		return nil, fmt.Errorf("unknown flags %#x", flags)
	}
	f := &File{Format: "autoreg"}
	var haveMeta, haveTok, haveModel bool
	for i := 0; ; i++ {
		if i > MaxSections {
			return nil, errors.New("too many sections")
		}
		tag, n, err := sr.next()
		if err != nil {
			return nil, err
		}
		at := sr.off
		switch {
		case tag == TagEnd:
			if n != 32 {
				return nil, fmt.Errorf("offset %d: checksum section of %d bytes", at, n)
			}
			want := sr.h.Sum(nil)
			var got [32]byte
			if err := sr.readFull(got[:]); err != nil {
				return nil, fmt.Errorf("offset %d: truncated checksum", at)
			}
			if !bytes.Equal(got[:], want) {
				return nil, errors.New("checksum mismatch: the file is corrupt")
			}
			if !haveModel {
				return nil, errors.New("no model section")
			}
			if sr.off != size {
				return nil, fmt.Errorf("%d bytes after the checksum", size-sr.off)
			}
			copy(f.SHA256[:], sr.all.Sum(nil))
			return f, nil
		case tag == TagMeta:
			if n > MaxMetaSize {
				return nil, fmt.Errorf("offset %d: META of %d bytes", at, n)
			}
			b, err := sr.payload(n)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &f.Meta); err != nil {
				return nil, fmt.Errorf("offset %d: bad META: %v", at, err)
			}
			haveMeta = true
		case tag == TagTokenizer:
			if n > MaxTokenizerSize {
				return nil, fmt.Errorf("offset %d: tokenizer of %d bytes", at, n)
			}
			b, err := sr.payload(n)
			if err != nil {
				return nil, err
			}
			if f.Tokenizer, err = tokenize.Unmarshal(b); err != nil {
				return nil, fmt.Errorf("offset %d: %v", at, err)
			}
			haveTok = true
		case tag == TagSource:
			if n > MaxTokenizerSize || haveModel {
				return nil, fmt.Errorf("offset %d: source tokenizer of %d bytes after the model", at, n)
			}
			b, err := sr.payload(n)
			if err != nil {
				return nil, err
			}
			if f.SourceTokenizer, err = tokenize.Unmarshal(b); err != nil {
				return nil, fmt.Errorf("offset %d: source tokenizer: %v", at, err)
			}
		case tag == TagModel && haveMeta && IsReal(f.Meta.Family):
			if haveTok {
				return nil, fmt.Errorf("offset %d: a real-valued %s model with a tokenizer", at, f.Meta.Family)
			}
			if version < Version {
				return nil, fmt.Errorf("offset %d: a real-valued %s model in a version %d file", at, f.Meta.Family, version)
			}
			if haveModel {
				return nil, fmt.Errorf("offset %d: a second model section", at)
			}
			err := modelPayload(sr, n, at, f.Meta.Family, func(r io.Reader) (err error) {
				f.Real, err = decodeReal(f.Meta.Family, r, n)
				return err
			})
			if err != nil {
				return nil, err
			}
			haveModel = true
		case tag == TagModel:
			if !haveMeta || !haveTok {
				return nil, fmt.Errorf("offset %d: model section before META and TOKN", at)
			}
			var m autoreg.Model
			err := modelPayload(sr, n, at, f.Meta.Family, func(r io.Reader) (err error) {
				m, err = decodeModel(f.Meta.Family, r, n)
				return err
			})
			if err != nil {
				return nil, err
			}
			if m.Vocab().Size() != f.Tokenizer.Vocab().Size() {
				return nil, fmt.Errorf("model has %d tokens but its tokenizer %d", m.Vocab().Size(), f.Tokenizer.Vocab().Size())
			}
			if err := checkSource(m, f.SourceTokenizer); err != nil {
				return nil, err
			}
			f.Model = m
			haveModel = true
		default:
			b, err := sr.payload(n)
			if err != nil {
				return nil, err
			}
			f.Extra = append(f.Extra, Section{Tag: tag, Data: b})
		}
	}
}

// modelPayload runs decode on the n-byte model payload at offset at and
// requires it to consume every byte.
func modelPayload(sr io.Reader, n, at int64, family string, decode func(io.Reader) error) error {
	lr := &io.LimitedReader{R: sr, N: n}
	if err := decode(lr); err != nil {
		return fmt.Errorf("offset %d: %s model: %w", at, family, err)
	}
	if lr.N != 0 {
		return fmt.Errorf("offset %d: %s model payload has %d unread bytes", at, family, lr.N)
	}
	return nil
}

// sectionReader reads sections, hashing every byte (all) and every byte
// before the END section (h), and refusing lengths past the file's end.
type sectionReader struct {
	r      io.Reader
	h, all hash.Hash
	size   int64
	off    int64
	inEnd  bool
	err    error
}

func (s *sectionReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.all.Write(p[:n])
		if !s.inEnd {
			s.h.Write(p[:n])
		}
		s.off += int64(n)
	}
	return n, err
}

func (s *sectionReader) readFull(p []byte) error {
	_, err := io.ReadFull(s, p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (s *sectionReader) read(p []byte) {
	if s.err == nil {
		s.err = s.readFull(p)
	}
}

// next skips the padding and reads a section header.
func (s *sectionReader) next() (string, int64, error) {
	var zeros [Align]byte
	pad := padding(s.off)
	if err := s.readFull(zeros[:pad]); err != nil {
		return "", 0, fmt.Errorf("offset %d: truncated file (no checksum section)", s.off)
	}
	for _, z := range zeros[:pad] {
		if z != 0 {
			return "", 0, fmt.Errorf("offset %d: non-zero padding", s.off-pad)
		}
	}
	var b [16]byte
	if _, err := io.ReadFull(s.r, b[:4]); err != nil {
		return "", 0, fmt.Errorf("offset %d: truncated file (no checksum section)", s.off)
	}
	tag := string(b[:4])
	s.inEnd = tag == TagEnd
	s.all.Write(b[:4])
	if !s.inEnd {
		s.h.Write(b[:4])
	}
	s.off += 4
	if err := s.readFull(b[4:]); err != nil {
		return "", 0, fmt.Errorf("offset %d: truncated section header", s.off)
	}
	if binary.LittleEndian.Uint32(b[4:]) != 0 {
		return "", 0, fmt.Errorf("offset %d: section %q has non-zero reserved bits", s.off-16, tag)
	}
	n := int64(binary.LittleEndian.Uint64(b[8:]))
	if n < 0 || n > s.size-s.off {
		return "", 0, fmt.Errorf("offset %d: section %q claims %d bytes, past the end of the file", s.off-16, tag, uint64(n))
	}
	return tag, n, nil
}

func (s *sectionReader) payload(n int64) ([]byte, error) {
	b := make([]byte, n)
	if err := s.readFull(b); err != nil {
		return nil, fmt.Errorf("offset %d: truncated section", s.off)
	}
	return b, nil
}

// checkSource reports a conditional model without a source tokenizer of
// its source vocabulary's size, or a source tokenizer without a
// conditional model.
func checkSource(m autoreg.Model, src tokenize.Tokenizer) error {
	c, ok := m.(autoreg.Conditional)
	switch {
	case !ok && src != nil:
		return errors.New("a source tokenizer for a model that takes no source")
	case !ok:
		return nil
	case src == nil:
		return errors.New("a conditional model without its source tokenizer")
	case src.Vocab().Size() != c.SourceVocab().Size():
		return fmt.Errorf("model's source has %d tokens but its source tokenizer %d", c.SourceVocab().Size(), src.Vocab().Size())
	}
	return nil
}
