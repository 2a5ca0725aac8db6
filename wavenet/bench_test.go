package wavenet

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// benchConfig is the μ-law recipe's shape: two stacks of dilations 1 …
// 512 (a receptive field of 2,047 samples, a quarter second at 8 kHz).
var benchConfig = Config{Layers: 10, Stacks: 2, Residual: 32, Gate: 32, Skip: 128}

// BenchmarkGenerate times the generation loop on one goroutine: Append of
// the last sample and LogProbs of the next, per sample. It reports
// samples/s of wall time and CPU µs per sample.
func BenchmarkGenerate(b *testing.B) {
	m, err := New(benchConfig, autoreg.Vocab{Base: 256}, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := m.NewState()
	lp := make([]float32, m.V)
	rng := rand.New(rand.NewPCG(1, 2))
	s.Append(m.vocab.BOS())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, t0 := testutil.ThreadCPU(), time.Now()
	for range b.N {
		s.LogProbs(lp)
		s.Append(autoreg.Token(rng.IntN(256)))
	}
	el, cpu := time.Since(t0), testutil.ThreadCPU()-cpu0
	b.ReportMetric(float64(b.N)/el.Seconds(), "samples/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/sample")
	}
}

// BenchmarkTrainStep times one optimizer step on 4 windows of 4,096
// samples of the recipe's model.
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(benchConfig, autoreg.Vocab{Base: 256}, 1)
	if err != nil {
		b.Fatal(err)
	}
	neuraltest.BenchTrainStep(b, m, m.V, 4, 4096, m.FLOPsPerToken())
}

// BenchmarkStep times Step on 8 states of the recipe's model (the server's
// concurrent streams), one goroutine: a sample of every state per
// iteration. It reports samples/s and CPU µs per sample, beside
// BenchmarkGenerate's one state.
func BenchmarkStep(b *testing.B) {
	m, err := New(benchConfig, autoreg.Vocab{Base: 256}, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 8
	states, xs := make([]autoreg.State, n), make([]autoreg.Token, n)
	for i := range states {
		states[i] = m.NewState()
		states[i].Append(m.vocab.BOS())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, t0 := testutil.ThreadCPU(), time.Now()
	for range b.N {
		for i := range xs {
			xs[i] = autoreg.Token(rng.IntN(256))
		}
		m.Step(states, xs)
	}
	el, cpu := time.Since(t0), testutil.ThreadCPU()-cpu0
	b.ReportMetric(float64(n*b.N)/el.Seconds(), "samples/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/sample")
	}
}
