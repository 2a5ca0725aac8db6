package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestAttention checks the fused causal attention against its float64
// specification on every path, over shapes that put ragged row tiles and
// column panels on each micro-kernel (4×4, 6×16, 12×32), query rows a
// multiple of 4 KiB apart (the AVX-512 path then packs them), and both
// betas of the backward pass.
//
// Bound: with inputs in [−1, 1) the scores are at most √hs in magnitude
// and every product is a dot product of at most max(T, hs) terms, so each
// result is within a few hundred units of 2⁻²³ of its magnitude scale
// (Σ|terms|, here bounded by the row's sum of |P|·|V| ≤ 1 for the output
// and by T·hs for the gradients); 2⁻¹⁴ relative to that scale leaves room
// for the exp and softmax roundings while any indexing error is O(1).
func TestAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	shapes := [][4]int{ // B, T, C, NH
		{1, 1, 4, 1}, {2, 5, 8, 2}, {1, 13, 12, 3}, {1, 33, 64, 2},
		{2, 70, 128, 2}, {1, 128, 256, 4}, {1, 20, 1024, 4}, {1, 45, 60, 3},
	}
	forEachPath(t, func(t *testing.T, p path) {
		for _, sh := range shapes {
			B, T, C, NH := sh[0], sh[1], sh[2], sh[3]
			t.Run(fmt.Sprint(sh), func(t *testing.T) {
				qkv := randSlice(rng, B*T*3*C, -1, 1)
				dout := randSlice(rng, B*T*C, -1, 1)
				wantOut, wantAtt, wantGrad := attentionRef(qkv, dout, B, T, C, NH)
				out := guarded(B * T * C)
				att := guarded(B * NH * T * T)
				for i := range att {
					att[i] = float32(math.NaN()) // every element is written
				}
				AttentionForward(out, att, qkv, B, T, C, NH)
				checkGuard(t, "out", out)
				checkGuard(t, "att", att)
				closeTo(t, "out", out, wantOut, 1)
				closeTo(t, "att", att, wantAtt, 1)
				scale := float64(T * C / NH)
				for _, beta := range []float32{0, 1} {
					init := randSlice(rng, B*T*3*C, -1, 1)
					dqkv := guarded(B * T * 3 * C)
					copy(dqkv, init)
					AttentionBackward(dqkv, dout, qkv, att, B, T, C, NH, beta)
					checkGuard(t, "dqkv", dqkv)
					want := make([]float64, len(wantGrad))
					for i, g := range wantGrad {
						want[i] = g + float64(beta)*float64(init[i])
					}
					closeTo(t, fmt.Sprintf("dqkv (beta %v)", beta), dqkv, want, scale)
				}
			})
		}
	})
}

func closeTo(t *testing.T, name string, got []float32, want []float64, scale float64) {
	t.Helper()
	for i, w := range want {
		if e := math.Abs(float64(got[i]) - w); !(e <= scale/(1<<14)) {
			t.Fatalf("%s[%d] = %g, want %g (error %.3g > %.3g)", name, i, got[i], w, e, scale/(1<<14))
		}
	}
}

// TestAttentionDeterministic: the same bits for any number of workers.
func TestAttentionDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	B, T, C, NH := 3, 50, 48, 3
	qkv, dout := randSlice(rng, B*T*3*C, -1, 1), randSlice(rng, B*T*C, -1, 1)
	run := func() ([]float32, []float32) {
		out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
		AttentionForward(out, att, qkv, B, T, C, NH)
		d := make([]float32, B*T*3*C)
		AttentionBackward(d, dout, qkv, att, B, T, C, NH, 0)
		return out, d
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	o1, d1 := run()
	runtime.GOMAXPROCS(3)
	o2, d2 := run()
	for i := range o1 {
		if math.Float32bits(o1[i]) != math.Float32bits(o2[i]) {
			t.Fatalf("out[%d] differs between 1 and 3 workers", i)
		}
	}
	for i := range d1 {
		if math.Float32bits(d1[i]) != math.Float32bits(d2[i]) {
			t.Fatalf("dqkv[%d] differs between 1 and 3 workers", i)
		}
	}
}

// TestSoftmaxBack: every path gives the generic loop's bits, for every
// length up to a few vectors (the masked tails included).
func TestSoftmaxBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	forEachPath(t, func(t *testing.T, _ path) {
		for n := range 70 {
			p, d := randSlice(rng, n, 0, 1), randSlice(rng, n+3, -1, 1)
			s := Dot(p, d[:n])
			want := append([]float32(nil), d...)
			softmaxBackGeneric(want[:n], p, s, 0.125)
			softmaxBackwardRow(d[:n], p, 0.125)
			for i := range d {
				if math.Float32bits(d[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d: d[%d] = %v, want %v", n, i, d[i], want[i])
				}
			}
		}
	})
}
