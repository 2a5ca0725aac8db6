package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSelfAttentionGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][4]int{{1, 3, 4, 2}, {2, 5, 8, 2}, {3, 39, 4, 1}} {
		B, T, C, NH := sh[0], sh[1], sh[2], sh[3]
		lens := make([]int32, B)
		for b := range lens {
			lens[b] = int32(1 + rng.IntN(T))
		}
		qkv := randSlice(rng, B*T*3*C, 1)
		dqkv := make([]float32, len(qkv))
		out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
		checkGrad(t, "self-attention", gradCase{
			inputs:   [][]float32{qkv},
			grads:    [][]float32{dqkv},
			forward:  func() []float32 { SelfAttentionForward(out, att, qkv, lens, B, T, C, NH); return out },
			backward: func(d []float32) { SelfAttentionBackward(dqkv, d, qkv, att, lens, B, T, C, NH) },
		}, rng)
	}
}

func TestCrossAttentionGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, sh := range [][5]int{{1, 3, 2, 4, 2}, {2, 5, 7, 8, 2}, {2, 38, 17, 4, 1}} {
		B, Tq, Tk, C, NH := sh[0], sh[1], sh[2], sh[3], sh[4]
		klen := make([]int32, B)
		for b := range klen {
			klen[b] = int32(1 + rng.IntN(Tk))
		}
		q, kv := randSlice(rng, B*Tq*C, 1), randSlice(rng, B*Tk*2*C, 1)
		dq, dkv := make([]float32, len(q)), make([]float32, len(kv))
		out, att := make([]float32, B*Tq*C), make([]float32, B*NH*Tq*Tk)
		checkGrad(t, "cross-attention", gradCase{
			inputs:   [][]float32{q, kv},
			grads:    [][]float32{dq, dkv},
			forward:  func() []float32 { CrossAttentionForward(out, att, q, kv, klen, B, Tq, Tk, C, NH); return out },
			backward: func(d []float32) { CrossAttentionBackward(dq, dkv, d, q, kv, att, klen, B, Tq, Tk, C, NH) },
		}, rng)
	}
}

// TestAttentionPadding: a sequence's output does not depend on its
// padding, and the padding gets no probability.
func TestAttentionPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	Tq, Tk, C, NH, L := 6, 9, 8, 2, 4
	q, kv := randSlice(rng, Tq*C, 1), randSlice(rng, Tk*2*C, 1)
	out1, out2, att := make([]float32, Tq*C), make([]float32, Tq*C), make([]float32, NH*Tq*Tk)
	klen := []int32{int32(L)}
	CrossAttentionForward(out1, att, q, kv, klen, 1, Tq, Tk, C, NH)
	for i := L * 2 * C; i < len(kv); i++ {
		kv[i] = float32(math.Inf(1)) // padding may hold anything
	}
	CrossAttentionForward(out2, att, q, kv, klen, 1, Tq, Tk, C, NH)
	for i := range out1 {
		if math.Float32bits(out1[i]) != math.Float32bits(out2[i]) {
			t.Fatalf("output %d depends on the padding", i)
		}
	}
	for r := range NH * Tq {
		for s := L; s < Tk; s++ {
			if att[r*Tk+s] != 0 {
				t.Fatalf("padding key %d of row %d has probability %g", s, r, att[r*Tk+s])
			}
		}
	}
}
