package kernels

import "math"

// Constants of the float32 exp shared by every path.
const (
	expHi    = 88.72283935546875 // above: +Inf (e^x > MaxFloat32)
	expLo    = -103.972084       // below: 0 (e^x under half the smallest subnormal)
	log2e    = 1.44269504088896341
	ln2Hi    = 0.693359375 // 9 significant bits: n*ln2Hi is exact for |n| < 2^15
	ln2Lo    = -2.12194440e-4
	roundMag = 12582912 // 1.5·2²³: adding it rounds a float32 to an integer
)

// expMaxErr bounds the relative error of every path's exp, in units of 2⁻²³
// (checked by TestExpAccuracy over a dense sweep).
const expMaxErr = 2

// expGeneric is the scalar float32 exp every vector path mirrors.
func expGeneric(x float32) float32 {
	if !(x <= expHi) { // also NaN
		if x != x {
			return x
		}
		return float32(math.Inf(1))
	}
	if x < expLo {
		return 0
	}
	t := x*log2e + roundMag
	n := t - roundMag
	r := x - n*ln2Hi
	r -= n * ln2Lo
	p := expPoly(r)
	// 2^n as two factors, each a normal float32 for n in [-150, 128].
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return p * s1 * s2
}

// expPoly is eʳ for |r| ≤ ln2/2 by Taylor to degree 7 (truncation error
// below 2⁻²⁷ relative), in Horner form.
func expPoly(r float32) float32 {
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p
}

func sigmoidGeneric(x float32) float32 {
	return 1 / (1 + expGeneric(-x))
}

// tanhSmall is tanh for |x| < 0.5: the odd Taylor series to x¹⁵ (the next
// term is below 2⁻²⁶ relative at |x| = 0.5).
func tanhSmall(x float32) float32 {
	z := x * x
	p := float32(-929569.0 / 638512875)
	p = p*z + 21844.0/6081075
	p = p*z - 1382.0/155925
	p = p*z + 62.0/2835
	p = p*z - 17.0/315
	p = p*z + 2.0/15
	p = p*z - 1.0/3
	return x + x*z*p
}

func tanhGeneric(x float32) float32 {
	ax := float32(math.Abs(float64(x)))
	if ax < 0.5 {
		return tanhSmall(x)
	}
	t := 1 - 2/(expGeneric(2*ax)+1)
	if x < 0 {
		return -t
	}
	return t
}

func geluGeneric(x float32) float32 {
	z := geluS * (x + geluC*x*x*x)
	return x / (1 + expGeneric(-2*z))
}

func geluGradGeneric(x float32) float32 {
	// Beyond ±20 the derivative is exactly 1 or 0 in float32, and x² could
	// overflow (0·Inf = NaN): clamp (NaN passes through).
	if x > 20 {
		x = 20
	} else if x < -20 {
		x = -20
	}
	x2 := x * x
	z := geluS * (x + geluC*x2*x)
	s := 1 / (1 + expGeneric(-2*z)) // σ(2z) = ½(1+tanh z)
	// d/dx x·σ(2z) = σ(2z) + x·2σ(1−σ)·z'
	return s + 2*x*s*(1-s)*geluS*(1+3*geluC*x2)
}

func expSliceGeneric(out, inp []float32) {
	out = out[:len(inp)]
	for i, x := range inp {
		out[i] = expGeneric(x)
	}
}

func sigmoidSliceGeneric(out, inp []float32) {
	out = out[:len(inp)]
	for i, x := range inp {
		out[i] = sigmoidGeneric(x)
	}
}

func tanhSliceGeneric(out, inp []float32) {
	out = out[:len(inp)]
	for i, x := range inp {
		out[i] = tanhGeneric(x)
	}
}

func geluSliceGeneric(out, inp []float32) {
	out = out[:len(inp)]
	for i, x := range inp {
		out[i] = geluGeneric(x)
	}
}

func geluBackwardSetSliceGeneric(dinp, inp, dout []float32) {
	dinp = dinp[:len(inp)]
	dout = dout[:len(inp)]
	for i, x := range inp {
		dinp[i] = geluGradGeneric(x) * dout[i]
	}
}

func geluWithGradSliceGeneric(out, grad, inp []float32) {
	out = out[:len(inp)]
	grad = grad[:len(inp)]
	for i, x := range inp {
		out[i], grad[i] = geluGeneric(x), geluGradGeneric(x)
	}
}

func geluBackwardSliceGeneric(dinp, inp, dout []float32) {
	dinp = dinp[:len(inp)]
	dout = dout[:len(inp)]
	for i, x := range inp {
		dinp[i] += geluGradGeneric(x) * dout[i]
	}
}
