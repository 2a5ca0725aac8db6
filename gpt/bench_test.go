package gpt

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/optim"
)

// The benchmark model: char GPT, 4 layers, 4 heads, width 256,
// context 128, batch 16, 65 ordinary tokens.
var benchCfg = Config{Layers: 4, Dim: 256, Heads: 4, Context: 128}

// BenchmarkTrainStep measures one optimizer step (forward, backward,
// clipping, AdamW) on a batch of 16×128 tokens.
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(benchCfg, autoreg.Vocab{Base: 62}, 1) // 62 + 3 specials = 65 ids
	if err != nil {
		b.Fatal(err)
	}
	B, T := 16, 128
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := randTokens(rng, B*T, m.V), randTokens(rng, B*T, m.V)
	opt := optim.NewAdamW(m.arena, 0.1)
	step := func() {
		nn.Zero(m.arena.Grads)
		_, n := m.Forward(x, y, B, T, nil)
		m.Backward(1 / float32(n))
		optim.ClipGlobalNorm(m.arena.Grads, 1)
		opt.Update(m.arena, 1e-3)
	}
	step()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		step()
	}
	sec := time.Since(start).Seconds()
	// CPU time per token is less sensitive than wall time to other
	// processes sharing the machine (it still counts their cache damage).
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1e6/float64(b.N*B*T), "cpu-µs/token")
	b.ReportMetric(float64(b.N*B*T)/sec, "tokens/s")
	b.ReportMetric(m.FLOPsPerToken(T)*float64(b.N*B*T)/sec/1e9, "GFLOP/s")
}

// BenchmarkGenerate measures incremental generation with the KV cache:
// batch 1, a 16-token prompt, then 256 tokens each appended and followed
// by LogProbs (what a sampler does).
func BenchmarkGenerate(b *testing.B) {
	m, err := New(benchCfg, autoreg.Vocab{Base: 62}, 1)
	if err != nil {
		b.Fatal(err)
	}
	st := m.newState()
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
	run()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		run()
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N*256)/sec, "tokens/s")
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1e6/float64(b.N*256), "cpu-µs/token")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
