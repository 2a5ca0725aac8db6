package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// The demo's default corpus: a deterministic slice of the Go standard
// library's hand-written source, plus Newton's Opticks, which ships with Go as
// test data. Sizes are chosen so the whole demo runs in about a minute on two
// cores.
const (
	demoTrainBudget = 12 << 20  // bytes of Go source to train on
	demoHeldBudget  = 256 << 10 // bytes of held-out Go source
	demoHeldEvery   = 25        // one file in 25 (by path hash) is held out
	opticksPath     = "testdata/Isaac.Newton-Opticks.txt"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "Train on the Go standard library's source and Newton's Opticks (found through 'go env GOROOT'), evaluate against a unigram baseline, and sample; then forecast daily births with AR and a small LSTM. No flags needed.",
		usage:   "[--data PATH...] [--out DIR] [--list-files]",
		run:     runDemo,
	})
}

// runDemo is `autoreg demo`.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo")
	var cf corpusFlags
	cf.register(fs, "train on this text instead of the Go source (one file in 25 is held out)")
	out := fs.String("out", "", "keep the models in this `DIR` (default: a temporary directory, removed at the end)")
	order := fs.Int("order", 6, "n-gram order")
	seed := fs.Uint64("seed", 1, "random seed for sampling")
	list := fs.Bool("list-files", false, "print the Go source files the demo would train on and hold out, one per line as 'train<TAB>PATH' or 'held-out<TAB>PATH', and exit (Opticks, split by lines, is not listed)")
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		cf.data = append(cf.data, args...)
	}
	if *list {
		if len(cf.data) > 0 {
			return usagef("--list-files lists the Go source selection; it takes no --data")
		}
		return listDemoFiles(ctx, stdout)
	}
	return demo(ctx, stdout, stderr, &cf, *out, *order, *seed)
}

type demoCorpus struct {
	train []corpus.Doc
	held  map[string][]corpus.Doc // name → held-out documents
	names []string
}

func demo(ctx context.Context, stdout, stderr io.Writer, cf *corpusFlags, out string, order int, seed uint64) error {
	start := time.Now()
	dir := out
	if dir == "" {
		d, err := os.MkdirTemp("", "autoreg-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	step := func(format string, args ...any) {
		fmt.Fprintf(stdout, "\n[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	step("1/6  Corpus")
	var dc *demoCorpus
	var err error
	if len(cf.data) > 0 {
		var cleanup func()
		if dc, cleanup, err = userCorpus(cf); err == nil {
			defer cleanup()
		}
	} else {
		dc, err = goCorpus(ctx, stdout, dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  train: %d files, %s\n", len(dc.train), humanBytes(corpus.TotalSize(dc.train)))
	for _, n := range dc.names {
		fmt.Fprintf(stdout, "  held out (%s): %d files, %s\n", n, len(dc.held[n]), humanBytes(corpus.TotalSize(dc.held[n])))
	}

	step("2/6  Training: character tokenizer, unigram baseline and %d-gram modified Kneser-Ney", order)
	pr := newProgress(stderr, "  vocabulary")
	tok, err := corpus.LearnTokenizer(ctx, dc.train, corpus.TokenizerOptions{Kind: tokenize.KindChar, Progress: pr.bytes})
	pr.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  vocabulary: %d characters + <s> </s> <unk>\n", tok.Vocab().Base)
	models := map[int]*ngram.Model{}
	orders := []int{1, order}
	builders := make([]*ngram.Builder, len(orders))
	for i, n := range orders {
		if builders[i], err = ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: n}); err != nil {
			return err
		}
	}
	pr = newProgress(stderr, "  counting")
	st, err := corpus.Tokens(ctx, dc.train, tok, corpus.TokenOptions{Progress: pr.bytes}, func(chunk []autoreg.Token) error {
		for _, b := range builders {
			if err := b.Add(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	pr.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  counted %s tokens in %d files\n", thousands(st.Tokens), st.Files)
	for i, n := range orders {
		t0 := time.Now()
		m, err := builders[i].Build(ctx)
		if err != nil {
			return err
		}
		models[n] = m
		path := filepath.Join(dir, fmt.Sprintf("demo.o%d.arm", n))
		f := &modelfile.File{Meta: modelfile.Meta{Family: "ngram", Mode: "stream"}, Tokenizer: tok, Model: m}
		if err := modelfile.Write(path, f); err != nil {
			return err
		}
		counts := m.Counts()
		fmt.Fprintf(stdout, "  order %d: %s n-grams, estimated in %s, %s in memory → %s\n",
			n, thousands(int64(sum(counts))), time.Since(t0).Round(time.Millisecond), humanBytes(m.SizeBytes()), path)
	}

	step("3/6  Training a small GPT (%d layers, %d wide, context %d) for %d steps",
		demoGPTConfig.Layers, demoGPTConfig.Dim, demoGPTConfig.Context, demoGPTOpts.Steps)
	toks, _, err := corpus.Load(ctx, dc.train, tok, corpus.TokenOptions{})
	if err != nil {
		return err
	}
	t0 := time.Now()
	pr = newProgress(stderr, "  gpt")
	g, err := demoGPT(ctx, toks, tok.Vocab(), seed, func(p train.Progress) {
		if pr.tty {
			pr.line(fmt.Sprintf("  gpt step %d/%d  loss %.3f  %.0f tokens/s", p.Step, p.Steps, p.Loss, p.TokensPerSec))
		} else if p.Step%100 == 0 {
			fmt.Fprintf(stdout, "  step %4d/%d  loss %.3f nats/char  %.0f tokens/s\n", p.Step, p.Steps, p.Loss, p.TokensPerSec)
		}
	})
	pr.done()
	if err != nil {
		return err
	}
	gpath := filepath.Join(dir, "demo.gpt.arm")
	if err := modelfile.Write(gpath, &modelfile.File{Meta: modelfile.Meta{Family: "gpt", Mode: "stream"}, Tokenizer: tok, Model: g}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  trained in %s → %s\n", time.Since(t0).Round(100*time.Millisecond), gpath)

	step("4/6  Evaluation on held-out text (bits per character; lower is better)")
	evalModels := []autoreg.Model{models[1], models[order], g}
	fmt.Fprintf(stdout, "  %-16s %10s %10s %10s %12s\n", "held out", "unigram", fmt.Sprintf("%d-gram", order), "GPT", "tokens")
	for _, name := range dc.names {
		var bpc [3]float64
		var toks int64
		for i, m := range evalModels {
			res, err := eval.Run(ctx, m, tok, dc.held[name], eval.Options{})
			if err != nil {
				return err
			}
			bpc[i], toks = res.BitsPerChar(), res.Tokens
		}
		fmt.Fprintf(stdout, "  %-16s %10.3f %10.3f %10.3f %12s\n", name, bpc[0], bpc[1], bpc[2], thousands(toks))
	}

	step("5/6  Samples (seed %d)", seed)
	fmt.Fprintf(stdout, "  from the %d-gram:\n", order)
	if err := demoSamples(ctx, stdout, models[order], tok, seed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  from the GPT:\n")
	if err := demoSamples(ctx, stdout, g, tok, seed); err != nil {
		return err
	}
	step("6/6  Time series: AR and a small LSTM forecast daily births")
	if err := demoSeries(ctx, stdout, stderr, dir, seed); err != nil {
		return err
	}
	step("done. Models are in %s%s", dir, map[bool]string{true: " (temporary: pass --out DIR to keep them)", false: ""}[out == ""])
	return nil
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// goRoot finds the Go installation: `go env GOROOT`, then $GOROOT.
func goRoot(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output(); err == nil {
		if root := strings.TrimSpace(string(out)); root != "" {
			return root, nil
		}
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return root, nil
	}
	return "", errors.New("no Go installation found ('go env GOROOT' failed and GOROOT is unset); " +
		"run the demo on your own text instead: autoreg demo --data DIR")
}

func pathHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// goCorpus selects the demo's training and held-out files from GOROOT.
func goCorpus(ctx context.Context, stdout io.Writer, workdir string) (*demoCorpus, error) {
	src, files, train, held, err := goFiles(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "  Go source: %d hand-written files, %s under %s\n", len(files), humanBytes(corpus.TotalSize(files)), src)
	dc := &demoCorpus{train: train, held: map[string][]corpus.Doc{"Go source": held}, names: []string{"Go source", "Opticks"}}
	// Opticks: the first 90% (at a line boundary) trains, the rest is held out.
	text, err := os.ReadFile(filepath.Join(src, opticksPath))
	if err != nil {
		return nil, fmt.Errorf("reading Opticks: %w", err)
	}
	cut := len(text) * 9 / 10
	if i := strings.IndexByte(string(text[cut:]), '\n'); i >= 0 {
		cut += i + 1
	}
	for i, part := range [][]byte{text[:cut], text[cut:]} {
		p := filepath.Join(workdir, []string{"opticks.train.txt", "opticks.heldout.txt"}[i])
		if err := os.WriteFile(p, part, 0o644); err != nil {
			return nil, err
		}
		d := corpus.Doc{Path: p, Size: int64(len(part))}
		if i == 0 {
			dc.train = append(dc.train, d)
		} else {
			dc.held["Opticks"] = append(dc.held["Opticks"], d)
		}
	}
	fmt.Fprintf(stdout, "  Opticks: %s, first 90%% for training\n", humanBytes(int64(len(text))))
	return dc, nil
}

// goFiles selects the demo's Go source from GOROOT/src: every
// hand-written .go file outside vendor and testdata directories (files),
// and from them the training and held-out files. The selection depends
// only on the Go installation: files are ordered by a hash of their path
// relative to src, one in demoHeldEvery (by hash) is held out, and each
// side takes files in that order until its byte budget is reached.
func goFiles(ctx context.Context) (src string, files, train, held []corpus.Doc, err error) {
	root, err := goRoot(ctx)
	if err != nil {
		return "", nil, nil, nil, err
	}
	src = filepath.Join(root, "src")
	files, err = corpus.Files([]string{src}, corpus.Options{
		Include: []string{"*.go"}, Exclude: []string{"vendor", "testdata"}, SkipGenerated: true})
	if err != nil {
		return "", nil, nil, nil, fmt.Errorf("%v; run the demo on your own text instead: autoreg demo --data DIR", err)
	}
	type hf struct {
		d corpus.Doc
		h uint64
	}
	var list []hf
	for _, d := range files {
		rel, _ := filepath.Rel(src, d.Path)
		list = append(list, hf{d, pathHash(filepath.ToSlash(rel))})
	}
	slices.SortFunc(list, func(a, b hf) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return strings.Compare(a.d.Path, b.d.Path)
	})
	var trainBytes, heldBytes int64
	for _, x := range list {
		if x.h%demoHeldEvery == 0 {
			if heldBytes < demoHeldBudget {
				held = append(held, x.d)
				heldBytes += x.d.Size
			}
		} else if trainBytes < demoTrainBudget {
			train = append(train, x.d)
			trainBytes += x.d.Size
		}
	}
	return src, files, train, held, nil
}

// listDemoFiles prints the demo's Go source selection (--list-files), so
// scripts can train other models on exactly the demo's files.
func listDemoFiles(ctx context.Context, stdout io.Writer) error {
	_, _, train, held, err := goFiles(ctx)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for _, d := range train {
		fmt.Fprintf(w, "train\t%s\n", d.Path)
	}
	for _, d := range held {
		fmt.Fprintf(w, "held-out\t%s\n", d.Path)
	}
	return w.Flush()
}

// userCorpus splits the user's files the same way: one in demoHeldEvery
// held out. Standard input, which the demo reads several times (vocabulary,
// counts, the GPT's tokens; one evaluation per model), is spooled to a
// temporary file that cleanup removes.
func userCorpus(cf *corpusFlags) (dc *demoCorpus, cleanup func(), err error) {
	files, err := corpus.Files(cf.data, corpus.Options{Include: cf.include, Exclude: cf.exclude})
	if err != nil {
		return nil, nil, err
	}
	dc = &demoCorpus{held: map[string][]corpus.Doc{}, names: []string{"your text"}}
	for _, d := range files {
		if pathHash(d.Path)%demoHeldEvery == 0 {
			dc.held["your text"] = append(dc.held["your text"], d)
		} else {
			dc.train = append(dc.train, d)
		}
	}
	if len(dc.train) == 0 || len(dc.held["your text"]) == 0 {
		if len(files) < 2 {
			return nil, nil, errors.New("the demo needs at least two files (one is held out for evaluation)")
		}
		dc.train, dc.held["your text"] = files[1:], files[:1]
	}
	n := len(dc.train)
	all, cleanup, err := corpus.Spool(slices.Concat(dc.train, dc.held["your text"]), "")
	if err != nil {
		return nil, nil, err
	}
	dc.train, dc.held["your text"] = all[:n], all[n:]
	return dc, cleanup, nil
}
