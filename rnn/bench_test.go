package rnn

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/optim"
)

// BenchmarkTrainLSTM is the char LSTM row: 1 layer, hidden 512,
// embedding 64, sequence 128, batch 32, 65 token ids; one optimizer step
// (forward, backward through time, clipping, AdamW) per iteration, the
// state carried between batches.
func BenchmarkTrainLSTM(b *testing.B) {
	benchTrain(b, Config{Cell: LSTM, Layers: 1, Hidden: 512, Embed: 64}, 62, 32, 128)
}

// BenchmarkTrainPTB is the PTB recipe's shape: Zaremba et al.'s small LSTM
// (2 layers of 200, 35 steps, batch 20) over a 10,000-word vocabulary.
func BenchmarkTrainPTB(b *testing.B) {
	benchTrain(b, Config{Cell: LSTM, Layers: 2, Hidden: 200}, 10000, 20, 35)
}

func benchTrain(b *testing.B, cfg Config, base, B, T int) {
	m, err := New(cfg, autoreg.Vocab{Base: base}, 1)
	if err != nil {
		b.Fatal(err)
	}
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
	b.ReportMetric(m.FLOPsPerToken()*float64(b.N*B*T)/sec/1e9, "GFLOP/s")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
