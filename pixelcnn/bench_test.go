package pixelcnn

import (
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/optim"
	"github.com/autoreg/autoreg/tokenize"
)

// mnistCfg is the shape of a binarized-MNIST model of the recipe's size.
var mnistCfg = Config{Layers: 5, Channels: 32, Kernel: 3, FirstKernel: 7, Hidden: 32, Image: tokenize.Shape{Height: 28, Width: 28, Channels: 1}}

// FLOPsPerSample estimates the floating-point operations of training on
// one sample (forward and backward: 6 per weight of every product a pixel
// takes part in, the channel groups' masked weights included).
func (m *Model) FLOPsPerSample() float64 {
	var w int
	for _, ly := range m.layers {
		w += ly.vw.Len + ly.hw.Len + ly.link.Len + ly.resw.Len
	}
	w += m.o1w.Len + m.o2w.Len
	return 6 * float64(w) / float64(m.cfg.Image.Channels)
}

// BenchmarkTrainStep times one optimizer step on a batch of 16 binarized
// 28×28 images with class codes.
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(mnistCfg, autoreg.Vocab{Base: 2, Controls: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}, 1)
	if err != nil {
		b.Fatal(err)
	}
	B, T := 16, m.SeqLen()-1
	x, y := images(m, rand.New(rand.NewPCG(1, 2)), B)
	a := m.arena
	opt := optim.NewAdamW(a, 0)
	step := func() {
		fused.Zero(a.Grads)
		_, n := m.Forward(x, y, B, T, nil)
		m.Backward(1 / float32(n))
		opt.Update(a, 1e-3)
	}
	step()
	b.ResetTimer()
	for range b.N {
		step()
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*B)/sec, "images/s")
	b.ReportMetric(m.FLOPsPerSample()*float64(b.N*B*m.N)/sec/1e9, "GFLOP/s")
}
