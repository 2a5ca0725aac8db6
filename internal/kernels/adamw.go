package kernels

import (
	"fmt"
	"math"
)

// AdamW applies one step of Adam with decoupled weight decay (Loshchilov
// and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) to a flat
// parameter slice, in place:
//
//	m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²
//	p −= lr·( (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + eps) + wd·p·[decay[i] ≠ 0] )
//
// step t counts from 1 (it sets the bias corrections). params, grads, m, v
// and decay must have the same length; decay marks the elements (matrices)
// that get weight decay, so biases and norms can be excluded. Elements are
// independent, so the update is split among workers without changing any
// result.
func AdamW(params, grads, m, v []float32, decay []uint8, lr, beta1, beta2, eps, weightDecay float32, step int) {
	n := len(params)
	if len(grads) != n || len(m) != n || len(v) != n || len(decay) != n {
		panic(fmt.Sprintf("kernels: AdamW: lengths differ: params %d grads %d m %d v %d decay %d",
			n, len(grads), len(m), len(v), len(decay)))
	}
	if step < 1 {
		panic(fmt.Sprintf("kernels: AdamW: step %d < 1", step))
	}
	a := adamArgs{
		lr: lr, b1: beta1, b2: beta2, eps: eps, wd: weightDecay,
		c1:  float32(1 / (1 - math.Pow(float64(beta1), float64(step)))),
		c2:  float32(1 / (1 - math.Pow(float64(beta2), float64(step)))),
		ob1: 1 - beta1, ob2: 1 - beta2,
	}
	Parallel(n, 1<<15, func(lo, hi int) {
		adamWChunk(params[lo:hi], grads[lo:hi], m[lo:hi], v[lo:hi], decay[lo:hi], &a)
	})
}

// adamArgs are AdamW's scalars with the bias corrections c1 = 1/(1−β₁ᵗ),
// c2 = 1/(1−β₂ᵗ) and ob1 = 1−β₁, ob2 = 1−β₂ precomputed. The assembly
// reads the fields by offset: keep the order.
type adamArgs struct {
	lr, b1, b2, eps, wd, c1, c2, ob1, ob2 float32
}

// adamWChunk runs the vector path on whole vectors and on the tail padded
// into a stack buffer, so every element goes through the same
// instructions wherever it sits.
func adamWChunk(p, g, m, v []float32, decay []uint8, a *adamArgs) {
	f := adamWGeneric
	switch {
	case useAVX512:
		f = adamWAVX512
	case useAVX2:
		f = adamWAVX2
	default:
		f(p, g, m, v, decay, a)
		return
	}
	const w = 16 // a multiple of both vector widths
	n := len(p) &^ (w - 1)
	if n > 0 {
		f(p[:n], g[:n], m[:n], v[:n], decay[:n], a)
	}
	if r := len(p) - n; r > 0 {
		var tp, tg, tm, tv [w]float32
		var td [w]uint8
		copy(tp[:], p[n:])
		copy(tg[:], g[n:])
		copy(tm[:], m[n:])
		copy(tv[:], v[n:])
		copy(td[:], decay[n:])
		f(tp[:], tg[:], tm[:], tv[:], td[:], a)
		copy(p[n:], tp[:r])
		copy(m[n:], tm[:r])
		copy(v[n:], tv[:r])
	}
}

func adamWGeneric(p, g, m, v []float32, decay []uint8, a *adamArgs) {
	n := len(p)
	g, m, v, decay = g[:n], m[:n], v[:n], decay[:n]
	for i := range p {
		gi := g[i]
		mi := a.b1*m[i] + a.ob1*gi
		vi := a.b2*v[i] + a.ob2*gi*gi
		m[i], v[i] = mi, vi
		u := (mi * a.c1) / (float32(math.Sqrt(float64(vi*a.c2))) + a.eps)
		if decay[i] != 0 {
			u += a.wd * p[i]
		}
		p[i] -= a.lr * u
	}
}
