package ngram

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
)

// TestProcess is a whole-process measurement for scripts/bench-ngram.sh,
// which runs the test binary under /usr/bin/time -v for peak memory. It does
// nothing unless NGRAM_PROCESS is set:
//
//	NGRAM_PROCESS=estimate  read and tokenize PTB train, estimate the 5-gram,
//	                        write its payload to NGRAM_MODEL (if set)
//	NGRAM_PROCESS=query     load NGRAM_MODEL, score PTB test (KenLM query style)
func TestProcess(t *testing.T) {
	switch os.Getenv("NGRAM_PROCESS") {
	case "":
		t.Skip("set NGRAM_PROCESS=estimate|query (scripts/bench-ngram.sh)")
	case "estimate":
		processEstimate(t)
	case "query":
		processQuery(t)
	default:
		t.Fatalf("NGRAM_PROCESS=%q: want estimate or query", os.Getenv("NGRAM_PROCESS"))
	}
}

// processTokens reads a PTB file and maps it to tokens with ids, lines as
// <s> words </s>, without holding the text.
func processTokens(t *testing.T, path string, v *wordVocab, grow bool) []autoreg.Token {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
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
	return linesStream(v, lines)
}

func processEstimate(t *testing.T) {
	order := 5
	if s := os.Getenv("NGRAM_ORDER"); s != "" {
		fmt.Sscan(s, &order)
	}
	c0, w0 := testutil.ProcessCPU(), time.Now()
	v := newWordVocab()
	xs := processTokens(t, sharedFile(t, "ptb/ptb.train.txt"), v, true)
	c1 := testutil.ProcessCPU()
	b, err := NewBuilder(v.vocab(), Options{Order: order})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(xs); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2, w2 := testutil.ProcessCPU(), time.Now()
	fmt.Printf("estimate: order %d, %d tokens, n-grams %v\n", order, len(xs), m.Counts())
	fmt.Printf("estimate: tokenize %.3f cpu-s, estimate %.3f cpu-s, total %.3f cpu-s, %.3f s wall\n",
		(c1 - c0).Seconds(), (c2 - c1).Seconds(), (c2 - c0).Seconds(), w2.Sub(w0).Seconds())
	if out := os.Getenv("NGRAM_MODEL"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if _, err := m.WriteTo(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		// Keep the word list for the query run.
		if err := os.WriteFile(out+".words", []byte(strings.Join(v.words, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func processQuery(t *testing.T) {
	path := os.Getenv("NGRAM_MODEL")
	words, err := os.ReadFile(path + ".words")
	if err != nil {
		t.Fatal(err)
	}
	v := newWordVocab()
	for _, w := range strings.Split(string(words), "\n") {
		v.add(w)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	c0 := testutil.ProcessCPU()
	m, err := ReadModel(bufio.NewReaderSize(f, 1<<16), fi.Size())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c1 := testutil.ProcessCPU()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	xs := processTokens(t, sharedFile(t, "ptb/ptb.test.txt"), v, false)
	st := m.NewState().(*State)
	rounds := 20
	var lp float64
	n := 0
	c2, w2 := testutil.ProcessCPU(), time.Now()
	for r := 0; r < rounds; r++ {
		for _, x := range xs {
			if x == m.bos {
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
		n/rounds, rounds, math.Exp(-lp/float64(n)), float64(n)/(c3-c2).Seconds()/1e6, float64(n)/w3.Sub(w2).Seconds()/1e6)
}
