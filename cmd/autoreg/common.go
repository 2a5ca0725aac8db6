package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/modelfile"
)

// corpusFlags are the flags every command reading text shares.
type corpusFlags struct {
	data    stringList
	include stringList
	exclude stringList
	mode    string
}

func (c *corpusFlags) register(fs *flag.FlagSet, dataHelp string) {
	fs.Var(&c.data, "data", dataHelp+"\n(a file, a directory read recursively, or - for standard input; repeatable; extra arguments are added)")
	fs.Var(&c.include, "include", "in directories, read only files whose name matches this pattern, e.g. '*.go' (repeatable)")
	fs.Var(&c.exclude, "exclude", "in directories, skip files and directories whose name matches this pattern (repeatable)")
}

// docs resolves the data paths (plus positional arguments) into documents.
func (c *corpusFlags) docs(args []string) ([]corpus.Doc, error) {
	paths := append(append([]string(nil), c.data...), args...)
	if len(paths) == 0 {
		return nil, usagef("--data is required")
	}
	return corpus.Files(paths, corpus.Options{Include: c.include, Exclude: c.exclude})
}

// loadModel reads a model file or ARPA file.
func loadModel(path string) (*modelfile.File, error) {
	if path == "" {
		return nil, usagef("--model is required")
	}
	return modelfile.Read(path)
}

// progress draws a one-line progress indicator on w when w is a terminal,
// at most ten times a second; elsewhere it stays silent.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	last  time.Time
	tty   bool
	drawn bool
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// bytes reports done of total bytes (total 0 when unknown).
func (p *progress) bytes(done, total int64) {
	if !p.tty || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	rate := float64(done) / el / 1e6
	msg := fmt.Sprintf("%s %s", p.label, humanBytes(done))
	if total > 0 {
		frac := float64(done) / float64(total)
		msg = fmt.Sprintf("%s %5.1f%% %s / %s", p.label, 100*frac, humanBytes(done), humanBytes(total))
		if frac > 0.01 {
			msg += fmt.Sprintf("  ETA %s", (time.Duration(el*(1-frac)/frac) * time.Second).Round(time.Second))
		}
	}
	p.line(fmt.Sprintf("%s  %.1f MB/s", msg, rate))
}

// count reports done of total items, such as images.
func (p *progress) count(done, total int, unit string) {
	if !p.tty || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	msg := fmt.Sprintf("%s %s / %s %s  %.1f %s/s", p.label, thousands(int64(done)), thousands(int64(total)), unit, float64(done)/el, unit)
	if done > 0 && done < total {
		msg += fmt.Sprintf("  ETA %s", (time.Duration(el*float64(total-done)/float64(done)) * time.Second).Round(time.Second))
	}
	p.line(msg)
}

func (p *progress) line(s string) {
	if !p.tty {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", s)
	p.drawn = true
}

// done clears the line.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// checkOut fails early, before any long work, when an output file could not
// be created: its directory is missing or not writable, or it is a directory.
func checkOut(flagName, path string) error {
	if path == "" {
		return usagef("%s is required", flagName)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s: is a directory", flagName, path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".autoreg-check-*")
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return fmt.Errorf("%s %s: cannot create: %v", flagName, path, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
