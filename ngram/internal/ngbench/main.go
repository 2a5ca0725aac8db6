// Command ngbench measures the n-gram family as whole processes on the
// Penn Treebank (the setup of ../shared/data/README.md), for
// scripts/bench-ngram.sh, which runs it under /usr/bin/time -v for CPU
// time and peak memory next to KenLM's lmplz and query:
//
//	ngbench -estimate [-order 5] [-out MODEL]   read and tokenize PTB train, estimate the
//	                                            n-gram, write its payload to MODEL (and the
//	                                            word list to MODEL.words)
//	ngbench -query -model MODEL [-rounds 20]    load MODEL, score PTB test KenLM query style
//	                                            (<s> context, </s> predicted), -rounds times
//
// Both print one line of figures in CPU seconds (estimate) or tokens per
// CPU second and per wall second (query). -data names the PTB folder
// (default: data/ptb of the shared folder beside the module root, or of
// AUTOREG_SHARED). Words are numbered in order of first appearance in PTB
// train, lines framed as <s> words </s>: the text is already tokenized, so
// no tokenizer runs.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/ngram"
)

func main() {
	estimate := flag.Bool("estimate", false, "estimate the PTB n-gram")
	query := flag.Bool("query", false, "score PTB test with the model in -model")
	order := flag.Int("order", 5, "estimate: n-gram order")
	out := flag.String("out", "", "estimate: write the model payload to this `FILE` (and FILE.words)")
	model := flag.String("model", "", "query: the payload `FILE` written by -estimate -out")
	rounds := flag.Int("rounds", 20, "query: passes over PTB test")
	data := flag.String("data", "", "the PTB `DIR` (default: the shared folder's data/ptb)")
	flag.Parse()
	dir, err := ptbDir(*data)
	if err == nil {
		switch {
		case *estimate == *query:
			err = errors.New("give one of -estimate and -query")
		case *estimate:
			err = runEstimate(filepath.Join(dir, "ptb.train.txt"), *order, *out)
		case *model == "":
			err = errors.New("-query needs -model")
		default:
			err = runQuery(filepath.Join(dir, "ptb.test.txt"), *model, *rounds)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ngbench:", err)
		os.Exit(1)
	}
}

func ptbDir(flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	shared, err := testutil.SharedDir()
	if err != nil {
		return "", fmt.Errorf("no -data given, and no shared folder: %v", err)
	}
	return filepath.Join(shared, "data", "ptb"), nil
}

// words numbers the words of a corpus in order of first appearance.
type words struct {
	ids  map[string]autoreg.Token
	list []string
}

func newWords() *words { return &words{ids: map[string]autoreg.Token{}} }

func (v *words) add(w string) {
	if _, ok := v.ids[w]; !ok {
		v.ids[w] = autoreg.Token(len(v.list))
		v.list = append(v.list, w)
	}
}

func (v *words) vocab() autoreg.Vocab { return autoreg.Vocab{Base: len(v.list)} }

// tokens reads a PTB file as one stream of <s> words </s> lines, adding
// new words to v when grow is set and mapping them to <unk> otherwise.
func tokens(path string, v *words, grow bool) ([]autoreg.Token, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ws := strings.Fields(sc.Text())
		if grow {
			for _, w := range ws {
				v.add(w)
			}
		}
		lines = append(lines, ws)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	voc := v.vocab()
	var xs []autoreg.Token
	for _, l := range lines {
		xs = append(xs, voc.BOS())
		for _, w := range l {
			id, ok := v.ids[w]
			if !ok {
				id = voc.UNK()
			}
			xs = append(xs, id)
		}
		xs = append(xs, voc.EOS())
	}
	return xs, nil
}

func runEstimate(train string, order int, out string) error {
	c0, w0 := testutil.ProcessCPU(), time.Now()
	v := newWords()
	xs, err := tokens(train, v, true)
	if err != nil {
		return err
	}
	c1 := testutil.ProcessCPU()
	b, err := ngram.NewBuilder(v.vocab(), ngram.Options{Order: order})
	if err != nil {
		return err
	}
	if err := b.Add(xs); err != nil {
		return err
	}
	m, err := b.Build(context.Background())
	if err != nil {
		return err
	}
	c2, w2 := testutil.ProcessCPU(), time.Now()
	fmt.Printf("estimate: order %d, %d tokens, n-grams %v\n", order, len(xs), m.Counts())
	fmt.Printf("estimate: tokenize %.3f cpu-s, estimate %.3f cpu-s, total %.3f cpu-s, %.3f s wall\n",
		(c1 - c0).Seconds(), (c2 - c1).Seconds(), (c2 - c0).Seconds(), w2.Sub(w0).Seconds())
	if out == "" {
		return nil
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if _, err := m.WriteTo(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The query run numbers the words as this run did.
	return os.WriteFile(out+".words", []byte(strings.Join(v.list, "\n")), 0o644)
}

func runQuery(test, path string, rounds int) error {
	list, err := os.ReadFile(path + ".words")
	if err != nil {
		return err
	}
	v := newWords()
	for _, w := range strings.Split(string(list), "\n") {
		v.add(w)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	c0 := testutil.ProcessCPU()
	m, err := ngram.ReadModel(bufio.NewReaderSize(f, 1<<16), fi.Size())
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	c1 := testutil.ProcessCPU()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	xs, err := tokens(test, v, false)
	if err != nil {
		return err
	}
	bos := m.Vocab().BOS()
	st := m.NewState().(*ngram.State)
	var lp float64
	n := 0
	c2, w2 := testutil.ProcessCPU(), time.Now()
	for range rounds {
		for _, x := range xs {
			if x == bos {
				st.Reset()
				st.Append(x)
				continue
			}
			lp += st.LogProb(x)
			st.Append(x)
			n++
		}
	}
	c3, w3 := testutil.ProcessCPU(), time.Now()
	fmt.Printf("query: load %.3f cpu-s, heap after load %.1f MB (tables %.1f MB)\n",
		(c1 - c0).Seconds(), float64(ms.HeapAlloc)/(1<<20), float64(m.SizeBytes())/(1<<20))
	fmt.Printf("query: %d tokens x %d, PPL %.3f, %.2f M tokens/cpu-s, %.2f M tokens/s wall\n",
		n/max(rounds, 1), rounds, math.Exp(-lp/float64(n)), float64(n)/(c3-c2).Seconds()/1e6, float64(n)/w3.Sub(w2).Seconds()/1e6)
	return nil
}
