package corpus

import (
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

	"github.com/autoreg/autoreg/tokenize"
)

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

// Doc is one document of a corpus: a file, standard input, or text given
// by the program ([TextDoc], [ReaderDoc]). A Doc built as a literal names a
// file by its Path.
type Doc struct {
	// Path is the file's path as found; "-" reads standard input. It is
	// empty for the documents of TextDoc and ReaderDoc.
	Path string
	// Name, if set, is how messages name the document (a spooled copy of
	// standard input is named "standard input"), and what a glob control
	// rule matches when there is no Path.
	Name string
	// Size is its length in bytes (0 when unknown: standard input and
	// readers until spooled). It only scales progress reports.
	Size int64

	src *source // text or a reader; nil for a file or "-"
}

// source is the content of a document that is not a file.
type source struct {
	text string
	r    io.Reader // nil for text
	used bool      // r has been handed out once
}

// TextDoc returns a document holding text in memory, named name in
// messages. It can be read any number of times.
func TextDoc(name, text string) Doc {
	return Doc{Name: name, Size: int64(len(text)), src: &source{text: text}}
}

// ReaderDoc returns a document read from r, named name in messages. A
// reader gives its bytes once: reading the document a second time (a
// vocabulary pass, then a counting pass) is an error unless [Spool] first
// copies it into a temporary file.
func ReaderDoc(name string, r io.Reader) Doc {
	return Doc{Name: name, src: &source{r: r}}
}

// once reports whether the document can be read only once (standard input
// or a reader).
func (d Doc) once() bool {
	return (d.src != nil && d.src.r != nil) || (d.src == nil && d.Path == "-")
}

// open returns the document's bytes and a function that releases them.
func (d Doc) open() (io.Reader, func(), error) {
	nop := func() {}
	switch {
	case d.src != nil && d.src.r == nil:
		return strings.NewReader(d.src.text), nop, nil
	case d.src != nil:
		if d.src.used {
			return nil, nil, fmt.Errorf("corpus: %s: already read (a reader gives its bytes once; Spool the documents to read them again)", d.display())
		}
		d.src.used = true
		return d.src.r, nop, nil
	case d.Path == "-":
		return os.Stdin, nop, nil
	}
	f, err := os.Open(d.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: %s: %w", d.display(), unwrapPathError(err))
	}
	return f, func() { f.Close() }, nil
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
	stdin := &source{r: os.Stdin} // "-" named twice is one stream
	for _, p := range paths {
		if p == "-" {
			docs = append(docs, Doc{Path: "-", src: stdin})
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

// Spool copies every document that can be read only once (standard input,
// a ReaderDoc) into a temporary file in dir ("" for the system default), so
// the corpus can be read more than once (a vocabulary pass, then a counting
// pass). The copies keep their documents' names; the returned cleanup
// removes them.
func Spool(docs []Doc, dir string) ([]Doc, func(), error) {
	var tmp []string
	cleanup := func() {
		for _, p := range tmp {
			os.Remove(p)
		}
	}
	out := slices.Clone(docs)
	spooled := map[*source]Doc{} // a source listed twice is copied once
	for i, d := range docs {
		if !d.once() {
			continue
		}
		if c, ok := spooled[d.src]; ok {
			out[i] = c
			continue
		}
		r, _, err := d.open()
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		f, err := os.CreateTemp(dir, "autoreg-spool-*")
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("corpus: spooling %s: %w", d.display(), err)
		}
		tmp = append(tmp, f.Name())
		n, err := io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("corpus: spooling %s: %w", d.display(), err)
		}
		out[i] = Doc{Path: f.Name(), Name: d.display(), Size: n}
		spooled[d.src] = out[i]
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
	defer func() { err = docError(d, 0, err) }()
	r, release, err := d.open()
	if err != nil {
		return err
	}
	defer release()
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

// docError names the document in an error from reading or tokenizing it:
// a tokenizer's InputError gets its byte offset (counted from off, the
// offset its text started at), other errors the document's name, unless
// they already carry the package prefix or report a cancellation.
func docError(d Doc, off int64, err error) error {
	var ie *tokenize.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return fmt.Errorf("corpus: %s: byte %d: %s", d.display(), off+ie.Offset, ie.Msg)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || strings.HasPrefix(err.Error(), "corpus: "):
		return err
	}
	return fmt.Errorf("corpus: %s: %w", d.display(), err)
}
