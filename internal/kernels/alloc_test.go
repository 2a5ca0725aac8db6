package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestNoAllocs: calls of decoding size (one token: a row of a vocabulary,
// a matrix-vector product, a recurrent step) allocate nothing, so the
// models' Append/LogProb can be allocation-free.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := rand.New(rand.NewPCG(71, 72))
	const V, C, H = 50257, 768, 256
	logits, probs := randSlice(r, V, -5, 5), make([]float32, V)
	w := randSlice(r, C*V, -1, 1)
	x, y := randSlice(r, C, -1, 1), make([]float32, V)
	ln, lnw, lnb := make([]float32, C), randSlice(r, C, 0.5, 1.5), randSlice(r, C, -1, 1)
	gates, hh, cc, tc, cp := randSlice(r, 4*H, -2, 2), make([]float32, H), make([]float32, H), make([]float32, H), randSlice(r, H, -1, 1)
	loss := make([]float32, 1)
	tgt := []int32{3}
	xs := make([]float32, 4*C)
	big, bigOut := randSlice(r, 3*elemGrain+5, -3, 3), make([]float32, 3*elemGrain+5)
	// A 64-token window of a 4-head, 256-wide model (generation re-encodes
	// it through the attention kernel).
	const aT, aC, aNH = 64, 256, 4
	qkv, att, aout := randSlice(r, aT*3*aC, -1, 1), make([]float32, aNH*aT*aT), make([]float32, aT*aC)
	dqkv := make([]float32, len(qkv))
	forEachPath(t, func(t *testing.T, p path) {
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"Sgemm gemv NT", func() { Sgemm(false, true, 1, V, C, 1, x, C, w, C, 0, y, V) }},
			{"Sgemm gemv NN", func() { Sgemm(false, false, 1, V, C, 1, x, C, w, V, 0, y, V) }},
			{"Sgemm 4 rows", func() { Sgemm(false, true, 4, 2048, C, 1, xs, C, w, C, 0, y, 2048) }},
			{"Softmax", func() { Softmax(probs, logits, 1, V) }},
			{"LogSoftmax", func() { LogSoftmax(probs, logits, 1, V) }},
			{"SoftmaxCrossEntropy", func() { SoftmaxCrossEntropy(loss, probs, logits, tgt, 1, V, -1) }},
			{"SoftmaxCrossEntropyBackward", func() { SoftmaxCrossEntropyBackward(y, probs, tgt, 1, V, -1, 1) }},
			{"LayerNorm", func() { LayerNorm(ln, nil, nil, x, lnw, lnb, 1, C, 1e-5) }},
			{"GELU", func() { GELU(ln, x) }},
			// Long enough to be split over the pool (re-encoding a window).
			{"GELU split", func() { GELU(bigOut, big) }},
			{"GELUBackward split", func() { GELUBackward(bigOut, big, big) }},
			{"Tanh split", func() { Tanh(bigOut, big) }},
			{"LSTMCell", func() { LSTMCell(hh, cc, tc, gates, cp, 1, H) }},
			{"GRUCell", func() { GRUCell(hh, gates[:3*H], gates[:3*H], gates[H:], cp, 1, H) }},
			{"Dot", func() { _ = Dot(x, x) }},
			{"AttentionForward", func() { AttentionForward(aout, att, qkv, 1, aT, aC, aNH) }},
			{"AttentionBackward", func() { AttentionBackward(dqkv, aout, qkv, att, 1, aT, aC, aNH, 0) }},
		} {
			c.f()
			if n := testing.AllocsPerRun(10, c.f); n > 0 {
				t.Errorf("%s: %.1f allocations per call", c.name, n)
			}
		}
	})
}
