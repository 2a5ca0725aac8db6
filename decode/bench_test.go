package decode

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
)

// zipfLogProbs returns a normalized Zipf-like distribution over n tokens
// (p ∝ (rank+2.7)^−s, ranks shuffled by seed): a stand-in for a language
// model's next-token distribution. At n = 50,257, s = 1.5 has a top token of
// 17% and a 0.9-nucleus of ~200 tokens, like a typical LM step; s = 1.1
// (top token 5.7%, 0.9-nucleus of ~10,000 tokens) is a flat, worst-case step.
func zipfLogProbs(n int, seed uint64) []float32 { return zipf(n, seed, 1.5) }

func zipf(n int, seed uint64, s float64) []float32 {
	r := NewRand(seed)
	perm := r.Perm(n)
	p := make([]float64, n)
	var sum float64
	for i := range p {
		p[i] = math.Pow(float64(perm[i])+2.7, -s)
		sum += p[i]
	}
	lp := make([]float32, n)
	for i := range p {
		lp[i] = float32(math.Log(p[i] / sum))
	}
	return lp
}

// gpt2Vocab is GPT-2's vocabulary size, the benchmark's target.
const gpt2Vocab = 50257

// benchChain measures Sample+Accept per token at GPT-2's vocabulary size
// and reports ns/token. The distribution shifts each step (16 precomputed
// rows) so that nothing is accidentally cached; the history (for penalties,
// n-gram blocking, DRY) runs from 200 to 1,000 tokens.
func benchChain(b *testing.B, cfg Config) { benchChainZipf(b, cfg, 1.5) }

func benchChainZipf(b *testing.B, cfg Config, zs float64) {
	v := autoreg.Vocab{Base: gpt2Vocab - autoreg.NumReserved}
	smp, err := NewSampler(cfg, v)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([][]float32, 16)
	for i := range rows {
		rows[i] = zipf(v.Size(), uint64(i), zs)
	}
	rng := NewRand(1)
	hist := make([]autoreg.Token, 200)
	for i := range hist {
		hist[i] = autoreg.Token(rng.IntN(2000))
	}
	smp.Reset(hist, 1000)
	i := 0
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, cpu0 := time.Now(), testutil.ThreadCPU()
	for b.Loop() {
		t := smp.Sample(rows[i&15], rng)
		smp.Accept(t)
		i++
		if len(smp.History().Tokens) == 1000 {
			smp.Reset(hist, 1000)
		}
	}
	wall, cpu := time.Since(start), testutil.ThreadCPU()-cpu0
	b.ReportMetric(float64(wall.Nanoseconds())/float64(i), "ns/token")
	if cpu > 0 {
		// CPU time of this thread: robust to other processes on the machine.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(i), "cpu-ns/token")
	}
}

// fullChain turns on every processor but Mirostat (which replaces the
// truncations in practice) with common settings.
func fullChain(order string) Config {
	cfg := DefaultConfig()
	cfg.Order = order
	cfg.Temperature = 0.8
	cfg.TopK = 40
	cfg.TopP = 0.95
	cfg.MinP = 0.05
	cfg.TypicalP = 0.95
	cfg.Epsilon = 3e-4
	cfg.Eta = 1e-3
	cfg.TopNSigma = 2
	cfg.RepetitionPenalty = 1.1
	cfg.PresencePenalty = 0.2
	cfg.FrequencyPenalty = 0.1
	cfg.PenaltyWindow = 64
	cfg.NoRepeatNGram = 4
	cfg.LogitBias = []Bias{{10, 2}, {11, float32(math.Inf(-1))}}
	cfg.DRYMultiplier = 0.8
	cfg.DRYBreakers = []autoreg.Token{0, 1, 2}
	cfg.XTCProbability = 0.5
	cfg.XTCThreshold = 0.1
	return cfg
}

// BenchmarkChain: one sampled token through the whole processor chain over
// a GPT-2-sized vocabulary; the target is ≤ 0.5 ms per token on one core.
// Run: go test ./decode -run '^$' -bench Chain -cpu 1 -count 5
func BenchmarkChainFullLlama(b *testing.B) { benchChain(b, fullChain("llama")) }
func BenchmarkChainFullHF(b *testing.B)    { benchChain(b, fullChain("hf")) }

// No top-k: every truncation sees the whole vocabulary at least once.
func BenchmarkChainFullNoTopKLlama(b *testing.B) {
	cfg := fullChain("llama")
	cfg.TopK = 0
	benchChain(b, cfg)
}
func BenchmarkChainFullNoTopKHF(b *testing.B) {
	cfg := fullChain("hf")
	cfg.TopK = 0
	benchChain(b, cfg)
}

// Common single settings.
func BenchmarkChainPlain(b *testing.B) { benchChain(b, DefaultConfig()) }
func BenchmarkChainTopP(b *testing.B) {
	cfg := DefaultConfig()
	cfg.TopP = 0.9
	benchChain(b, cfg)
}
func BenchmarkChainGreedy(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Temperature = 0
	benchChain(b, cfg)
}
func BenchmarkChainMirostat(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MirostatTau = 5
	benchChain(b, cfg)
}

// The flat worst case (0.9-nucleus of ~10,000 tokens).
func BenchmarkChainFullNoTopKLlamaFlat(b *testing.B) {
	cfg := fullChain("llama")
	cfg.TopK = 0
	benchChainZipf(b, cfg, 1.1)
}
func BenchmarkChainFullNoTopKHFFlat(b *testing.B) {
	cfg := fullChain("hf")
	cfg.TopK = 0
	benchChainZipf(b, cfg, 1.1)
}
func BenchmarkChainTopPFlat(b *testing.B) {
	cfg := DefaultConfig()
	cfg.TopP = 0.9
	benchChainZipf(b, cfg, 1.1)
}
