package ngram

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
)

// Benchmarks on PTB (the setup of ../shared/data/README.md). Run with
//
//	GOMAXPROCS=1 go test -run XXX -bench . -benchtime 5x ./ngram
//
// or scripts/bench-ngram.sh, which also measures peak memory.

var benchPTB struct {
	once        sync.Once
	v           *wordVocab
	train, test []autoreg.Token
	lines       [][]string
	m5          *Model
}

func loadBenchPTB(b *testing.B) {
	b.Helper()
	benchPTB.once.Do(func() {
		v, train, _, test := ptb(b)
		benchPTB.v = v
		benchPTB.train = linesStream(v, train)
		benchPTB.lines = test
		benchPTB.test = linesStream(v, test)
		benchPTB.m5 = ptbModel(b, 5)
	})
	if benchPTB.m5 == nil {
		b.Skip("PTB not available")
	}
}

// BenchmarkEstimatePTB5 times the estimation of the PTB 5-gram from a token
// stream already in memory (lmplz -o 5 on this machine: ≈1.4 CPU-seconds).
func BenchmarkEstimatePTB5(b *testing.B) {
	loadBenchPTB(b)
	voc := benchPTB.v.vocab()
	b.ReportAllocs()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		bl, err := NewBuilder(voc, Options{Order: 5})
		if err != nil {
			b.Fatal(err)
		}
		if err := bl.Add(benchPTB.train); err != nil {
			b.Fatal(err)
		}
		if _, err := bl.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	if d := testutil.ProcessCPU() - cpu; d > 0 {
		b.ReportMetric(d.Seconds()/float64(b.N), "cpu-s/op")
	}
}

// BenchmarkScorePTB5 scores the PTB test set with the 5-gram, KenLM query
// style (<s> context, </s> predicted): LogProb then Append per token.
func BenchmarkScorePTB5(b *testing.B) {
	loadBenchPTB(b)
	m := benchPTB.m5
	voc := m.Vocab()
	st := m.NewState().(*State)
	xs := benchPTB.test
	var lp float64
	n := 0
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		for _, x := range xs {
			if x == voc.BOS() {
				st.Reset()
				st.Append(x)
				continue
			}
			lp += st.LogProb(x)
			st.Append(x)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
	if d := testutil.ProcessCPU() - cpu; d > 0 {
		b.ReportMetric(float64(n)/d.Seconds(), "tokens/cpu-s")
	}
	b.ReportMetric(float64(m.SizeBytes())/(1<<20), "MB")
	_ = lp
}

// BenchmarkScorePTB5Interface is BenchmarkScorePTB5 through autoreg.State,
// as package eval calls it (a reused one-token slice for Append).
func BenchmarkScorePTB5Interface(b *testing.B) {
	loadBenchPTB(b)
	m := benchPTB.m5
	voc := m.Vocab()
	var st autoreg.State = m.NewState()
	xs := benchPTB.test
	n := 0
	for b.Loop() {
		for i, x := range xs {
			if x == voc.BOS() {
				st.Reset()
				st.Append(xs[i : i+1]...)
				continue
			}
			st.LogProb(x)
			st.Append(xs[i : i+1]...)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkLogProbsPTB5 computes the whole distribution (sampling's path).
func BenchmarkLogProbsPTB5(b *testing.B) {
	loadBenchPTB(b)
	m := benchPTB.m5
	st := m.NewState()
	st.Append(benchPTB.test[:6]...)
	dst := make([]float32, m.Vocab().Size())
	for b.Loop() {
		st.LogProbs(dst)
	}
}

// BenchmarkReadPTB5 loads the 5-gram from its binary payload.
func BenchmarkReadPTB5(b *testing.B) {
	loadBenchPTB(b)
	var buf bytes.Buffer
	if _, err := benchPTB.m5.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadModel(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadedMemoryPTB5 reports the heap held by a loaded PTB 5-gram and
// fails above 64 MB. It is a test, not a benchmark, so CI checks the bound.
func TestLoadedMemoryPTB5(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	m := ptbModel(t, 5)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	data := buf.Bytes()
	m = nil
	m2, err := ReadModel(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	data, buf = nil, bytes.Buffer{}
	_ = m
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	size, counts := m2.SizeBytes(), m2.Counts()
	m2 = nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	held := float64(with.HeapAlloc-without.HeapAlloc) / (1 << 20)
	t.Logf("loaded PTB 5-gram: %.1f MB of heap, tables %.1f MB, %v n-grams", held, float64(size)/(1<<20), counts)
	if held > 64 {
		t.Errorf("loaded 5-gram holds %.1f MB, want ≤ 64", held)
	}
}
