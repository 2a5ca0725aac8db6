package kernels

import "sync"

// Elementwise nonlinearities. All of them are built on one float32 exp
// (expGeneric and its vector twins): Cody–Waite range reduction
// x = n·ln2 + r, |r| ≤ ln2/2, a degree-7 Taylor polynomial for eʳ and a
// scaling by 2ⁿ split in two factors so that subnormal results and the top
// of the range come out right. Its relative error is at most expMaxErr.
// out may alias inp in all of them. Slices longer than elemGrain are split
// among the workers; elements are independent and every one goes through the
// same instructions, so the split changes no result.

// elemGrain is the chunk of the elementwise leaves' parallel split: a
// multiple of every vector width, ~10–30µs of work.
const elemGrain = 1 << 15

// elemJob is an elementwise leaf split over the worker pool, pooled with a
// long-lived method value so that a large call allocates nothing (a
// closure over the slices would, at every call).
type elemJob struct {
	f2      func(a, b []float32)
	f3      func(a, b, c []float32)
	a, b, c []float32
	fn      func(lo, hi int)
}

func (j *elemJob) run(lo, hi int) {
	if j.f3 != nil {
		j.f3(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi])
		return
	}
	j.f2(j.a[lo:hi], j.b[lo:hi])
}

var elemPool = sync.Pool{New: func() any {
	j := new(elemJob)
	j.fn = j.run
	return j
}}

// parallel2 runs f over a and b (same length) in elemGrain chunks.
func parallel2(f func(a, b []float32), a, b []float32) {
	j := elemPool.Get().(*elemJob)
	j.f2, j.a, j.b = f, a, b
	Parallel(len(a), elemGrain, j.fn)
	*j = elemJob{fn: j.fn}
	elemPool.Put(j)
}

// parallel3 runs f over a, b and c (same length) in elemGrain chunks.
func parallel3(f func(a, b, c []float32), a, b, c []float32) {
	j := elemPool.Get().(*elemJob)
	j.f3, j.a, j.b, j.c = f, a, b, c
	Parallel(len(a), elemGrain, j.fn)
	*j = elemJob{fn: j.fn}
	elemPool.Put(j)
}

// Exp computes out[i] = eˣ for x = inp[i]: +Inf above ~88.72, 0 below
// ~-103.97, subnormal in between as IEEE would round it (to within
// expMaxErr relative error).
func Exp(out, inp []float32) {
	checkLen("Exp", len(out), "out, inp", len(inp))
	if len(inp) <= elemGrain {
		expSlice(out, inp)
		return
	}
	parallel2(expSlice, out, inp)
}

func expSlice(out, inp []float32) {
	switch {
	case useAVX512:
		expAVX512(out, inp)
	case useAVX2:
		expAVX2(out, inp)
	default:
		expSliceGeneric(out, inp)
	}
}

// Sigmoid computes out[i] = 1/(1+e^(−inp[i])).
func Sigmoid(out, inp []float32) {
	checkLen("Sigmoid", len(out), "out, inp", len(inp))
	if len(inp) <= elemGrain {
		sigmoidSlice(out, inp)
		return
	}
	parallel2(sigmoidSlice, out, inp)
}

func sigmoidSlice(out, inp []float32) {
	switch {
	case useAVX512:
		sigmoidAVX512(out, inp)
	case useAVX2:
		sigmoidAVX2(out, inp)
	default:
		sigmoidSliceGeneric(out, inp)
	}
}

// Tanh computes out[i] = tanh(inp[i]): an odd Taylor polynomial for
// |x| < 0.5 (no cancellation near zero), 1 − 2/(e^(2|x|)+1) with the sign
// restored elsewhere.
func Tanh(out, inp []float32) {
	checkLen("Tanh", len(out), "out, inp", len(inp))
	if len(inp) <= elemGrain {
		tanhSlice(out, inp)
		return
	}
	parallel2(tanhSlice, out, inp)
}

func tanhSlice(out, inp []float32) {
	switch {
	case useAVX512:
		tanhAVX512(out, inp)
	case useAVX2:
		tanhAVX2(out, inp)
	default:
		tanhSliceGeneric(out, inp)
	}
}

// GELU constants: the tanh approximation of Hendrycks and Gimpel (2016) used
// by GPT-2, gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
const (
	geluS = 0.7978845608028654 // √(2/π)
	geluC = 0.044715
)

// GELU computes out = gelu(inp) in GPT-2's tanh form. It evaluates the
// identity ½(1+tanh z) = σ(2z), which has no cancellation for negative x.
func GELU(out, inp []float32) {
	checkLen("GELU", len(out), "out, inp", len(inp))
	if len(inp) <= elemGrain {
		geluSlice(out, inp)
		return
	}
	parallel2(geluSlice, out, inp)
}

func geluSlice(out, inp []float32) {
	switch {
	case useAVX512:
		geluAVX512(out, inp)
	case useAVX2:
		geluAVX2(out, inp)
	default:
		geluSliceGeneric(out, inp)
	}
}

// GELUBackward accumulates dinp[i] += gelu'(inp[i])*dout[i]. dinp may alias
// dout.
func GELUBackward(dinp, inp, dout []float32) {
	checkLen("GELUBackward", len(dinp), "dinp, inp, dout", len(inp), len(dout))
	if len(inp) <= elemGrain {
		geluBackwardSlice(dinp, inp, dout)
		return
	}
	parallel3(geluBackwardSlice, dinp, inp, dout)
}

// GELUBackwardSet sets dinp[i] = gelu'(inp[i])*dout[i]: the values
// GELUBackward accumulates into zeros (a zero may keep its sign), without a
// pass to clear dinp first. dinp may alias dout.
func GELUBackwardSet(dinp, inp, dout []float32) {
	checkLen("GELUBackwardSet", len(dinp), "dinp, inp, dout", len(inp), len(dout))
	if len(inp) <= elemGrain {
		geluBackwardSetSlice(dinp, inp, dout)
		return
	}
	parallel3(geluBackwardSetSlice, dinp, inp, dout)
}

// GELUWithGrad computes out = gelu(inp) and grad = gelu'(inp) in one pass
// (one exponential per element): a training forward pass that keeps
// gelu' instead of the pre-activation needs only a product in its
// backward. grad holds the values GELUBackwardSet gives with dout = 1; out
// is within GELU's error bound (on AVX-512 and AVX2 it is x·σ(2z) rather
// than GELU's x/(1+e^(−2z))). grad and out may alias inp, not each other.
func GELUWithGrad(out, grad, inp []float32) {
	checkLen("GELUWithGrad", len(out), "out, grad, inp", len(grad), len(inp))
	if len(inp) <= elemGrain {
		geluWithGradSlice(out, grad, inp)
		return
	}
	parallel3(geluWithGradSlice, out, grad, inp)
}

func geluWithGradSlice(out, grad, inp []float32) {
	switch {
	case useAVX512:
		geluWithGradAVX512(out, grad, inp)
	case useAVX2:
		geluWithGradAVX2(out, grad, inp)
	default:
		geluWithGradSliceGeneric(out, grad, inp)
	}
}

func geluBackwardSetSlice(dinp, inp, dout []float32) {
	switch {
	case useAVX512:
		geluBackwardSetAVX512(dinp, inp, dout)
	case useAVX2:
		geluBackwardSetAVX2(dinp, inp, dout)
	default:
		geluBackwardSetSliceGeneric(dinp, inp, dout)
	}
}

func geluBackwardSlice(dinp, inp, dout []float32) {
	switch {
	case useAVX512:
		geluBackwardAVX512(dinp, inp, dout)
	case useAVX2:
		geluBackwardAVX2(dinp, inp, dout)
	default:
		geluBackwardSliceGeneric(dinp, inp, dout)
	}
}
