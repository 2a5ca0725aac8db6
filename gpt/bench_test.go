package gpt

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// The benchmark model, the GPT row of scripts/bench-vs-pytorch.sh: char
// GPT, 4 layers, 4 heads, width 256, context 128, batch 16, 65 token ids.
var benchCfg = Config{Layers: 4, Dim: 256, Heads: 4, Context: 128}

// BenchmarkTrainStep measures one optimizer step (forward, backward,
// clipping, AdamW) on a batch of 16×128 tokens.
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(benchCfg, autoreg.Vocab{Base: 62}, 1) // 62 + 3 specials = 65 ids
	if err != nil {
		b.Fatal(err)
	}
	const T = 128
	neuraltest.BenchTrainStep(b, m, m.V, 16, T, m.FLOPsPerToken(T))
}

// BenchmarkGenerate measures incremental generation with the KV cache:
// batch 1, a 16-token prompt, then 256 tokens each appended and followed
// by LogProbs (what a sampler does).
func BenchmarkGenerate(b *testing.B) {
	m, err := New(benchCfg, autoreg.Vocab{Base: 62}, 1)
	if err != nil {
		b.Fatal(err)
	}
	st := m.newState(false)
	lp := make([]float32, m.V)
	prompt := make([]autoreg.Token, 16)
	for i := range prompt {
		prompt[i] = autoreg.Token(i)
	}
	run := func() {
		st.Reset()
		st.Append(prompt...)
		st.LogProbs(lp)
		for i := range 256 {
			st.Append(autoreg.Token(i % 60))
			st.LogProbs(lp)
		}
	}
	benchTokens(b, 256, run)
}

// benchTokens runs run once to warm up, then b.N times, and reports
// tokens/s and CPU µs per token for tokens tokens per run.
func benchTokens(b *testing.B, tokens int, run func()) {
	run()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), testutil.ProcessCPU()
	for range b.N {
		run()
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N*tokens)/sec, "tokens/s")
	if cpu := testutil.ProcessCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e6/float64(b.N*tokens), "cpu-µs/token")
	}
}

// BenchmarkScoreSequence measures scoring a long text (eval's path): the
// demo's model shape (2 layers, 128 wide, context 64) and the benchmark
// model, 16,384 tokens per iteration.
func BenchmarkScoreSequence(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"demo", Config{Layers: 2, Dim: 128, Heads: 4, Context: 64}}, {"bench", benchCfg}} {
		b.Run(c.name, func(b *testing.B) {
			m, err := New(c.cfg, autoreg.Vocab{Base: 97}, 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			ids := neuraltest.RandTokens(rng, 1<<14, m.V)
			xs := make([]autoreg.Token, len(ids))
			for i, x := range ids {
				xs[i] = autoreg.Token(x)
			}
			dst := make([]float64, len(xs))
			st := m.NewState()
			start := time.Now()
			for b.Loop() {
				st.Reset()
				m.ScoreSequence(st, xs, dst)
			}
			b.ReportMetric(float64(b.N*len(xs))/time.Since(start).Seconds(), "tokens/s")
		})
	}
}

// BenchmarkGenerateBatch measures generation of several sequences at once
// through Model.Step (what a server does for concurrent requests): each
// of n states has a 16-token prompt, then 256 steps of all the states,
// each followed by LogProbs of every state. tokens/s counts every
// state's tokens.
func BenchmarkGenerateBatch(b *testing.B) {
	m, err := New(benchCfg, autoreg.Vocab{Base: 62}, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			states := make([]autoreg.State, n)
			for i := range states {
				states[i] = m.NewState()
			}
			xs := make([]autoreg.Token, n)
			lp := make([]float32, m.V)
			prompt := make([]autoreg.Token, 16)
			run := func() {
				for i, st := range states {
					for j := range prompt {
						prompt[j] = autoreg.Token((i + j) % 60)
					}
					st.Reset()
					st.Append(prompt...)
					st.LogProbs(lp)
				}
				for k := range 256 {
					for i := range xs {
						xs[i] = autoreg.Token((k + 7*i) % 60)
					}
					autoreg.Step(m, states, xs)
					for _, st := range states {
						st.LogProbs(lp)
					}
				}
			}
			benchTokens(b, 256*n, run)
		})
	}
}
