package rnn

import (
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// BenchmarkTrainLSTM is the char LSTM row of scripts/bench-vs-pytorch.sh:
// 1 layer, hidden 512, embedding 64, sequence 128, batch 32, 65 token ids;
// one optimizer step (forward, backward through time, clipping, AdamW) per
// iteration, the state carried between batches.
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
	neuraltest.BenchTrainStep(b, m, m.V, B, T, m.FLOPsPerToken())
}
