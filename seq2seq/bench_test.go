package seq2seq

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// The G2P recipe's shape: 2+2 layers of width 256 with a 1024-wide MLP,
// 30 letters and apostrophes in, 42 phonemes out; batches of 64 words of
// about 8 letters and 7 phonemes (CMUdict's means).
var benchCfg = Config{EncLayers: 2, DecLayers: 2, Dim: 256, Heads: 4, FFN: 1024, SrcContext: 36, Context: 36}

func benchModel(b *testing.B) *Model {
	m, err := New(benchCfg, autoreg.Vocab{Base: 39}, autoreg.Vocab{Base: 30}, 1)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkTrainStep measures one optimizer step (forward, backward,
// clipping, AdamW) on 64 pairs padded to 10 source and 9 target positions,
// and reports target tokens/s.
func BenchmarkTrainStep(b *testing.B) {
	benchTrainStep(b, benchModel(b), 64)
}

func benchTrainStep(b *testing.B, m *Model, B int) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := randBatch(rng, m, B, 10, 9)
	neuraltest.BenchStep(b, m.arena, func() int {
		_, n := p.forward(m, nil)
		m.Backward(1 / float32(n))
		return n
	}, m.FLOPsPerToken())
}

// BenchmarkTransduce measures decode.Transduce with beam 5 on batches of
// 64 sources of 8 tokens, each decoded for 8 steps (the model is random:
// end-of-sequence is banned so every search runs its full length).
func BenchmarkTransduce(b *testing.B) {
	m := benchModel(b)
	rng := rand.New(rand.NewPCG(3, 4))
	srcs := make([][]autoreg.Token, 64)
	for i := range srcs {
		srcs[i] = randSeq(rng, 8, 30)
	}
	cfg := decode.DefaultConfig()
	cfg.Beams, cfg.MaxTokens, cfg.IgnoreEOS = 5, 8, true
	tr, err := decode.NewTransducer(m, []autoreg.Token{m.vocab.BOS()}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	run := func() {
		if _, err := tr.Transduce(context.Background(), srcs, nil); err != nil {
			b.Fatal(err)
		}
	}
	run()
	b.ResetTimer()
	start, cpu0 := time.Now(), testutil.ProcessCPU()
	for range b.N {
		run()
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N*len(srcs))/sec, "sources/s")
	b.ReportMetric((testutil.ProcessCPU()-cpu0).Seconds()*1e6/float64(b.N*len(srcs)), "cpu-µs/source")
}
