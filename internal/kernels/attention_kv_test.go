package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// kvCase is one shape of TestAttentionKV: B sequences of Tq queries over
// Tk keys, width C in NH heads, with the layouts of the encoder's packed
// projection (q, k, v in one (B,T,3C) tensor) or of cross-attention (q
// (B,Tq,C), k and v in one (B,Tk,2C) tensor).
type kvCase struct {
	B, Tq, Tk, C, NH int
	packed           bool // self-attention over one qkv tensor (Tq = Tk)
	ragged           bool // random key lengths instead of all Tk
}

// kvOperands draws the operands of a case and returns q, k, v as views
// (with their strides) into the tensors they live in, and the key lengths.
func kvOperands(rng *rand.Rand, c kvCase) (qt, kvt []float32, qoff, koff, voff, ldq, ldkv int, klen []int32) {
	if c.packed {
		qt = randSlice(rng, c.B*c.Tq*3*c.C, -1, 1)
		kvt, qoff, koff, voff, ldq, ldkv = qt, 0, c.C, 2*c.C, 3*c.C, 3*c.C
	} else {
		qt = randSlice(rng, c.B*c.Tq*c.C, -1, 1)
		kvt = randSlice(rng, c.B*c.Tk*2*c.C, -1, 1)
		qoff, koff, voff, ldq, ldkv = 0, 0, c.C, c.C, 2*c.C
	}
	if c.ragged {
		klen = make([]int32, c.B)
		for b := range klen {
			klen[b] = int32(1 + rng.IntN(c.Tk))
		}
		klen[0] = int32(c.Tk)
	}
	return
}

// TestAttentionKV checks the unmasked attention with key lengths against
// its float64 specification on every path, for both layouts, full and
// ragged key lengths, query and key counts that leave ragged row tiles and
// column panels on each micro-kernel, and both betas of the backward pass.
// The bound is TestAttention's.
func TestAttentionKV(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	cases := []kvCase{
		{1, 1, 1, 4, 1, true, false}, {2, 5, 5, 8, 2, true, true}, {3, 13, 13, 12, 3, true, true},
		{2, 40, 40, 64, 2, true, true}, {1, 7, 33, 64, 2, false, false}, {3, 33, 9, 48, 3, false, true},
		{2, 70, 45, 128, 2, false, true}, {1, 20, 20, 1024, 4, true, true}, {4, 17, 31, 60, 3, false, true},
	}
	forEachPath(t, func(t *testing.T, p path) {
		for _, c := range cases {
			t.Run(fmt.Sprint(c), func(t *testing.T) {
				B, Tq, Tk, C, NH := c.B, c.Tq, c.Tk, c.C, c.NH
				qt, kvt, qo, ko, vo, ldq, ldkv, klen := kvOperands(rng, c)
				q, k, v := qt[qo:], kvt[ko:], kvt[vo:]
				dout := randSlice(rng, B*Tq*C, -1, 1)
				wantOut, wantAtt, wdq, wdk, wdv := attentionKVRef(q, ldq, k, v, ldkv, klen, dout, B, Tq, Tk, C, NH)
				out := guarded(B * Tq * C)
				att := guarded(B * NH * Tq * Tk)
				for i := range att {
					att[i] = float32(math.NaN()) // every element is written
				}
				AttentionKVForward(out, att, q, ldq, k, v, ldkv, klen, B, Tq, Tk, C, NH)
				checkGuard(t, "out", out)
				checkGuard(t, "att", att)
				closeTo(t, "out", out, wantOut, 1)
				closeTo(t, "att", att, wantAtt, 1)
				scale := float64(max(Tq, Tk) * C / NH)
				for _, beta := range []float32{0, 1} {
					// Gradient tensors in the operands' layouts, with
					// random initial values (kept outside the head
					// columns; scaled by beta inside them).
					gq := guarded(len(qt))
					copy(gq, randSlice(rng, len(qt), -1, 1))
					gkv := gq
					if !c.packed {
						gkv = guarded(len(kvt))
						copy(gkv, randSlice(rng, len(kvt), -1, 1))
					}
					initQ, initKV := append([]float32(nil), gq...), append([]float32(nil), gkv...)
					AttentionKVBackward(gq[qo:], gkv[ko:], gkv[vo:], dout, q, ldq, k, v, ldkv, att, klen, B, Tq, Tk, C, NH, beta)
					checkGuard(t, "dq", gq)
					checkGuard(t, "dkv", gkv)
					name := fmt.Sprintf("beta %v", beta)
					checkGrad(t, "dq "+name, gq, initQ, qo, ldq, wdq, B*Tq, C, beta, scale)
					checkGrad(t, "dk "+name, gkv, initKV, ko, ldkv, wdk, B*Tk, C, beta, scale)
					checkGrad(t, "dv "+name, gkv, initKV, vo, ldkv, wdv, B*Tk, C, beta, scale)
				}
			})
		}
	})
}

// checkGrad compares the gradient columns [off, off+C) of rows rows of a
// tensor (row stride ld) against beta·init + want.
func checkGrad(t *testing.T, name string, got, init []float32, off, ld int, want []float64, rows, C int, beta float32, scale float64) {
	t.Helper()
	for r := range rows {
		for c := range C {
			i := r*ld + off + c
			w := want[r*ld+c] + float64(beta)*float64(init[i])
			if e := math.Abs(float64(got[i]) - w); !(e <= scale/(1<<14)) {
				t.Fatalf("%s: row %d column %d = %g, want %g (error %.3g)", name, r, c, got[i], w, e)
			}
		}
	}
}

// TestAttentionKVDeterministic: the same bits for any number of workers.
func TestAttentionKVDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	c := kvCase{B: 3, Tq: 37, Tk: 29, C: 48, NH: 3, ragged: true}
	qt, kvt, qo, ko, vo, ldq, ldkv, klen := kvOperands(rng, c)
	dout := randSlice(rng, c.B*c.Tq*c.C, -1, 1)
	run := func() ([]float32, []float32, []float32) {
		out, att := make([]float32, c.B*c.Tq*c.C), make([]float32, c.B*c.NH*c.Tq*c.Tk)
		AttentionKVForward(out, att, qt[qo:], ldq, kvt[ko:], kvt[vo:], ldkv, klen, c.B, c.Tq, c.Tk, c.C, c.NH)
		dq, dkv := make([]float32, len(qt)), make([]float32, len(kvt))
		AttentionKVBackward(dq, dkv[ko:], dkv[vo:], dout, qt[qo:], ldq, kvt[ko:], kvt[vo:], ldkv, att, klen, c.B, c.Tq, c.Tk, c.C, c.NH, 0)
		return out, dq, dkv
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	o1, q1, kv1 := run()
	runtime.GOMAXPROCS(3)
	o2, q2, kv2 := run()
	for _, p := range [][2][]float32{{o1, o2}, {q1, q2}, {kv1, kv2}} {
		for i := range p[0] {
			if math.Float32bits(p[0][i]) != math.Float32bits(p[1][i]) {
				t.Fatalf("element %d differs between 1 and 3 workers", i)
			}
		}
	}
}
