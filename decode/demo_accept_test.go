package decode_test

import (
	"context"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// Beam search earns its cost on real data: on 100 prompts
// of the demo corpus (the Go standard library's source, character
// tokenizer, n-gram model), fixed-length continuations (EOS ignored, no
// length penalty) found by beam search have a higher mean log-probability
// than greedy ones. The test trains a smaller model than `autoreg demo`
// (2 MB of source, order 6) to stay within seconds; the file selection is
// the demo's (ordered by a hash of the path, one file in 25 held out).
func TestDemoCorpusBeamBeatsGreedy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an n-gram model on 2 MB of Go source")
	}
	train, held := demoFiles(t, 2<<20, 256<<10)
	ctx := context.Background()
	tok, err := corpus.LearnTokenizer(ctx, train, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: 6})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := corpus.Tokens(ctx, train, tok, corpus.TokenOptions{}, b.Add); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	heldToks, _, err := corpus.Load(ctx, held, tok, corpus.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 100 prompts of 40 tokens, evenly spread over the held-out text, each
	// cut at an ordinary-token boundary.
	const nPrompts, promptLen, genLen = 100, 40, 24
	var prompts [][]autoreg.Token
	stride := len(heldToks) / nPrompts
	for i := range nPrompts {
		for at := i * stride; at+promptLen <= min((i+1)*stride, len(heldToks)); at += promptLen {
			if p := heldToks[at : at+promptLen]; !slices.ContainsFunc(p, tok.Vocab().IsSpecial) {
				prompts = append(prompts, p)
				break
			}
		}
	}
	if len(prompts) != nPrompts {
		t.Fatalf("only %d usable prompts", len(prompts))
	}
	greedy := decode.DefaultConfig()
	greedy.Temperature, greedy.MaxTokens, greedy.IgnoreEOS = 0, genLen, true
	beam := greedy
	beam.Temperature, beam.Beams, beam.LengthPenalty = 1, 4, 0
	var sumG, sumB float64
	worse := 0
	start := time.Now()
	for _, p := range prompts {
		rg, err := decode.Run(ctx, m, p, greedy, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := decode.Run(ctx, m, p, beam, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rg[0].Tokens) != genLen || len(rb[0].Tokens) != genLen {
			t.Fatalf("lengths %d and %d, want %d", len(rg[0].Tokens), len(rb[0].Tokens), genLen)
		}
		sumG += rg[0].LogProb
		sumB += rb[0].LogProb
		if rb[0].LogProb < rg[0].LogProb {
			worse++
		}
	}
	n := float64(len(prompts))
	t.Logf("%d prompts, %d tokens each: mean log-prob greedy %.3f, beam(4) %.3f nats; beam below greedy on %d; %v",
		len(prompts), genLen, sumG/n, sumB/n, worse, time.Since(start).Round(time.Millisecond))
	if !(sumB > sumG) {
		t.Fatalf("beam mean log-prob %.4f not above greedy's %.4f", sumB/n, sumG/n)
	}
}

// demoFiles selects the demo corpus's files from GOROOT/src like `autoreg
// demo` does, with smaller budgets.
func demoFiles(t *testing.T, trainBudget, heldBudget int64) (train, held []corpus.Doc) {
	t.Helper()
	root := goroot()
	src := filepath.Join(root, "src")
	if _, err := os.Stat(src); root == "" || err != nil {
		if testutil.InCI() {
			t.Fatalf("no GOROOT/src for the demo corpus")
		}
		t.Skip("no GOROOT/src for the demo corpus")
	}
	files, err := corpus.Files([]string{src}, corpus.Options{
		Include: []string{"*.go"}, Exclude: []string{"vendor", "testdata"}, SkipGenerated: true})
	if err != nil {
		t.Fatal(err)
	}
	type hf struct {
		d corpus.Doc
		h uint64
	}
	var list []hf
	for _, d := range files {
		rel, _ := filepath.Rel(src, d.Path)
		h := fnv.New64a()
		h.Write([]byte(filepath.ToSlash(rel)))
		list = append(list, hf{d, h.Sum64()})
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
	var tb, hb int64
	for _, x := range list {
		if x.h%25 == 0 {
			if hb < heldBudget {
				held = append(held, x.d)
				hb += x.d.Size
			}
		} else if tb < trainBudget {
			train = append(train, x.d)
			tb += x.d.Size
		}
	}
	return train, held
}

func goroot() string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if r := strings.TrimSpace(string(out)); r != "" {
			return r
		}
	}
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	return runtime.GOROOT()
}
