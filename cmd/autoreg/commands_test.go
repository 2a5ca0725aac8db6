package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/tokenize"
)

// Every command is a plain function: --help prints its usage and returns
// flag.ErrHelp, a wrong command line returns a *usageError, and nothing
// goes to the process's own standard streams.
func TestCommandFunctions(t *testing.T) {
	for _, c := range commands {
		var out, errb bytes.Buffer
		err := c.run(context.Background(), []string{"--help"}, &out, &errb)
		if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(out.String(), "usage: autoreg "+c.name+" ") || errb.Len() != 0 {
			t.Errorf("%s --help: %v, stdout %q, stderr %q", c.name, err, out.String(), errb.String())
		}
		out.Reset()
		err = c.run(context.Background(), []string{"--no-such-flag"}, &out, &errb)
		var ue *usageError
		if !errors.As(err, &ue) || out.Len() != 0 {
			t.Errorf("%s --no-such-flag: %v, stdout %q", c.name, err, out.String())
		}
	}
}

// The train, info, eval, sample and export functions called directly, as
// the command line calls them.
func TestRunFunctions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := writeFile(t, dir, "d.txt", []byte(strings.Repeat(tinyText, 5)))
	model := filepath.Join(dir, "m.arm")
	call := func(fn func(context.Context, []string, io.Writer, io.Writer) error, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if err := fn(ctx, args, &out, &errb); err != nil {
			t.Fatalf("%q: %v (stderr %q)", args, err, errb.String())
		}
		return out.String(), errb.String()
	}
	if _, errs := call(runTrain, "--order", "3", "--data", data, "--out", model); !strings.Contains(errs, "wrote "+model) {
		t.Errorf("train: stderr %q", errs)
	}
	if out, _ := call(runInfo, model); !strings.Contains(out, "family      ngram") {
		t.Errorf("info: %q", out)
	}
	if out, _ := call(runEval, "--model", model, "--json", data); !strings.Contains(out, `"tokens":`) {
		t.Errorf("eval: %q", out)
	}
	out, _ := call(runSample, "--model", model, "--prompt", "the", "--max-tokens", "20", "--seed", "2")
	if !strings.HasPrefix(out, "the") || !strings.HasSuffix(out, "\n") {
		t.Errorf("sample: %q", out)
	}
	arpa := filepath.Join(dir, "m.arpa")
	if _, errs := call(runExport, "--model", model, "--arpa", arpa); !strings.Contains(errs, "order 3") {
		t.Errorf("export: %q", errs)
	}
	if raw, err := os.ReadFile(arpa); err != nil || !bytes.Contains(raw, []byte(`\data\`)) {
		t.Errorf("export wrote %d bytes: %v", len(raw), err)
	}

	// Usage errors are *usageError values; failures are plain errors.
	var ue *usageError
	if err := runSample(ctx, []string{"--model", model, "extra"}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("sample with an argument: %v", err)
	}
	if err := runEval(ctx, []string{"--model", filepath.Join(dir, "none.arm"), data}, io.Discard, io.Discard); err == nil || errors.As(err, &ue) {
		t.Errorf("eval of a missing model: %v", err)
	}
}

// The prompt is encoded in one call: unknown characters are a warning,
// bytes that are not UTF-8 an error naming the flag.
func TestSamplePromptEncoding(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "d.txt", []byte(strings.Repeat(tinyText, 5)))
	model := filepath.Join(dir, "m.arm")
	if err := runTrain(context.Background(), []string{"--order", "3", "--data", data, "--out", model}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := runSample(context.Background(), []string{"--model", model, "--prompt", "the ZZ", "--max-tokens", "5"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "warning: the prompt has 2 token(s) unknown to the model") || !strings.HasPrefix(out.String(), "the ZZ") {
		t.Errorf("unknown characters: stdout %q, stderr %q", out.String(), errb.String())
	}
	err := runSample(context.Background(), []string{"--model", model, "--prompt", "th\xffe"}, io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "--prompt: byte 2: invalid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

// The demo reads its corpus several times: standard input among the
// user's files is spooled, and split as its name "-" hashes.
func TestDemoUserCorpusStdin(t *testing.T) {
	dir := t.TempDir()
	for i := range 30 {
		writeFile(t, dir, fmt.Sprintf("f%02d.txt", i), []byte(tinyText))
	}
	in, err := os.Open(writeFile(t, t.TempDir(), "stdin.txt", []byte("from standard input\n")))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	saved := os.Stdin
	os.Stdin = in
	defer func() { os.Stdin = saved }()
	dc, cleanup, err := userCorpus(&corpusFlags{data: stringList{"-", dir}})
	if err != nil {
		t.Fatal(err)
	}
	docs := slices.Concat(dc.train, dc.held["your text"])
	if len(docs) != 31 {
		t.Fatalf("%d documents, want 31", len(docs))
	}
	tok := tokenize.NewByte()
	for range 2 {
		_, st, err := corpus.Load(context.Background(), docs, tok, corpus.TokenOptions{})
		if err != nil || st.Bytes != int64(30*len(tinyText)+len("from standard input\n")) {
			t.Fatalf("read %d bytes: %v", st.Bytes, err)
		}
	}
	cleanup()
}
