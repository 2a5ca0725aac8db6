package kernels

import "math"

// References for the nonlinearities: float64 math, one rounding.

func expRef(out, inp []float32) {
	for i, x := range inp {
		out[i] = float32(math.Exp(float64(x)))
	}
}

func sigmoidRef(out, inp []float32) {
	for i, x := range inp {
		out[i] = float32(1 / (1 + math.Exp(-float64(x))))
	}
}

func tanhRef(out, inp []float32) {
	for i, x := range inp {
		out[i] = float32(math.Tanh(float64(x)))
	}
}

// gelu(x) = ½x(1 + tanh z), z = √(2/π)(x + 0.044715x³), evaluated through
// the exact identities ½(1 + tanh z) = σ(2z) and sech²z = 4σ(2z)σ(−2z):
// the textbook form cancels catastrophically for x ≲ −5 even in float64.
func geluRef64(x float64) float64 {
	z := geluS * (x + geluC*x*x*x)
	return x * sig64(2*z)
}

func geluGradRef64(x float64) float64 {
	if math.IsInf(x, 0) { // the limits; the formula would give Inf·0
		return math.Max(0, math.Copysign(1, x))
	}
	z := geluS * (x + geluC*x*x*x)
	s, sm := sig64(2*z), sig64(-2*z)
	// d/dx ½x(1+tanh z) = ½(1+tanh z) + ½x·sech²z·z'
	return s + 2*x*s*sm*geluS*(1+3*geluC*x*x)
}

func geluRef(out, inp []float32) {
	for i, x := range inp {
		out[i] = float32(geluRef64(float64(x)))
	}
}

func geluBackwardRef(dinp, inp, dout []float32) {
	for i, x := range inp {
		dinp[i] = float32(float64(dinp[i]) + geluGradRef64(float64(x))*float64(dout[i]))
	}
}
