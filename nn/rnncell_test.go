package nn

import (
	"math/rand/v2"
	"testing"
)

func TestLSTMCellGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	B, H := 3, 5
	pre, cPrev := randSlice(rng, B*4*H, 1), randSlice(rng, B*H, 1)
	gates := make([]float32, B*4*H)
	h, c, tc := make([]float32, B*H), make([]float32, B*H), make([]float32, B*H)
	out := make([]float32, 2*B*H) // [h | c]
	dpre, dcPrev := make([]float32, B*4*H), make([]float32, B*H)
	forward := func() []float32 {
		copy(gates, pre)
		LSTMCellForward(h, c, tc, gates, cPrev, B, H)
		copy(out, h)
		copy(out[B*H:], c)
		return out
	}
	checkGrad(t, "lstm", gradCase{
		inputs:  [][]float32{pre, cPrev},
		grads:   [][]float32{dpre, dcPrev},
		forward: forward,
		backward: func(d []float32) {
			LSTMCellBackward(dpre, dcPrev, d[:B*H], d[B*H:], gates, cPrev, tc, B, H)
		},
	}, rng)
}

func TestGRUCellGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	B, H := 3, 5
	xg, hg, hPrev := randSlice(rng, B*3*H, 1), randSlice(rng, B*3*H, 1), randSlice(rng, B*H, 1)
	gates, h := make([]float32, B*3*H), make([]float32, B*H)
	dxg, dhg, dhPrev := make([]float32, B*3*H), make([]float32, B*3*H), make([]float32, B*H)
	checkGrad(t, "gru", gradCase{
		inputs:  [][]float32{xg, hg, hPrev},
		grads:   [][]float32{dxg, dhg, dhPrev},
		forward: func() []float32 { GRUCellForward(h, gates, xg, hg, hPrev, B, H); return h },
		backward: func(d []float32) {
			GRUCellBackward(dxg, dhg, dhPrev, d, gates, hg, hPrev, B, H)
		},
	}, rng)
}
