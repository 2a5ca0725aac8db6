package exact

import "github.com/autoreg/autoreg/internal/kernels"

// GELU constants (Hendrycks and Gimpel 2016, GPT-2's tanh approximation),
// rounded to float32 where they are used.
const (
	geluS = 0.7978845608028654 // √(2/π)
	geluC = 0.044715
	// geluS2 is 2√(2/π): ½(1 + tanh z) = σ(2z).
	geluS2 = float32(2 * geluS)
)

// GELU writes gelu(x) = ½x(1 + tanh z), z = √(2/π)(x + 0.044715x³), into
// dst (dst may be x), through ½(1 + tanh z) = σ(2z), which has no
// cancellation for negative x:
//
//	x3 = float32(float32(x·x)·x),  t = x + float32(0.044715·x3)
//	s = ExactSigmoid(float32(2√(2/π)·t)),  dst = float32(x·s)
//
// with the constants rounded to float32. sig receives s for GELUBackward
// (nil: not kept); it may not alias x or dst. With sig the sigmoids run
// on the vector path (the scalar function's bits); without, one at a time
// (no scratch to allocate).
func GELU(dst, sig, x []float32) {
	need("GELU", "dst", len(x), len(dst))
	if sig == nil {
		for k, v := range x {
			dst[k] = float32(v * kernels.ExactSigmoid(float32(geluS2*geluT(v))))
		}
		return
	}
	need("GELU", "sig", len(x), len(sig))
	for k, v := range x {
		sig[k] = float32(geluS2 * geluT(v))
	}
	kernels.ExactSigmoidSlice(sig, sig)
	for k, v := range x {
		dst[k] = float32(v * sig[k])
	}
}

// geluT is x + 0.044715x³ rounded as GELU specifies.
func geluT(v float32) float32 {
	x3 := float32(float32(v*v) * v)
	return v + float32(float32(geluC)*x3)
}

// GELUBackward sets dx[k] = float32(dy[k]·g′), the gradient through GELU
// given dy, with x and sig the forward's input and kept sigmoid s:
//
//	a = float32(x·float32(s·(1 − s)))
//	u = float32(2√(2/π)·(1 + float32(3·0.044715·float32(x·x))))
//	g′ = s + float32(a·u)
//
// (d/dx x·σ(2z) = σ(2z) + x·σ(2z)(1 − σ(2z))·2z′). dx may alias dy.
func GELUBackward(dx, dy, x, sig []float32) {
	need("GELUBackward", "dx, dy, sig", len(x), len(dx), len(dy), len(sig))
	for k, v := range x {
		s := sig[k]
		a := float32(v * float32(s*(1-s)))
		u := float32(geluS2 * (1 + float32(float32(3*geluC)*float32(v*v))))
		dx[k] = float32(dy[k] * (s + float32(a*u)))
	}
}
