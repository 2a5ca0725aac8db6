package decode

import "math"

// The numeric leaves of the sampler: a float32 exponential and the passes over
// a whole vocabulary that use it. A sampling step at a 50,257-token
// vocabulary has a budget of a few nanoseconds per token, and math.Exp
// (float64, ~7 ns here) alone would spend most of it, so the hot passes use
// expf: a Cody–Waite range reduction and a degree-6 polynomial, accurate to
// < 1 ulp-ish (relative error < 2⁻²², tested against math.Exp). Every
// operation is float32 with an explicit conversion, so no FMA fusion can make
// two machines disagree, and sums run in four float64 lanes in a fixed order:
// the result is the same for any GOMAXPROCS and on every run.

// expfMin is the smallest argument with a normal float32 result; below it
// expf returns 0, which also makes exp(-Inf) = 0 for removed tokens.
const expfMin = -87.33

// expf returns e^x in float32 for x ≤ 88 (callers pass x ≤ 0: scores minus
// their maximum or normalizer); it returns 0 for x < expfMin and for NaN.
func expf(x float32) float32 {
	if !(x >= expfMin) {
		return 0
	}
	scale, r := expfReduce(x)
	return expfPoly(scale, r)
}

// expfReduce is expf's range reduction, split out so that it and expfPoly
// are each small enough for Go's inliner (expf whole is not): k =
// round(x / ln 2) via the 1.5·2²³ trick (adding it rounds to an integer held
// in the low mantissa bits), and r = x − k·ln2 in two pieces (Cody–Waite),
// |r| ≤ ln2/2; it returns 2^k as a float32 and r.
func expfReduce(x float32) (scale, r float32) {
	const magic = 12582912.0
	kf := float32(x*1.44269504) + magic
	k := int32(math.Float32bits(kf)) - 0x4B400000
	kf = float32(kf - magic)
	r = float32(x - float32(kf*0.693359375))
	r = float32(r - float32(kf*-2.12194440e-4))
	return math.Float32frombits(uint32(k+127) << 23), r
}

// expfPoly returns scale · e^r (scale = 2^k) by a degree-6 polynomial in r.
func expfPoly(scale, r float32) float32 {
	p := float32(1.9875691500e-4)
	p = float32(float32(p*r) + 1.3981999507e-3)
	p = float32(float32(p*r) + 8.3334519073e-3)
	p = float32(float32(p*r) + 4.1665795894e-2)
	p = float32(float32(p*r) + 1.6666665459e-1)
	p = float32(float32(p*r) + 5.0000001201e-1)
	y := float32(float32(float32(p*r)*r)+r) + 1
	return float32(y * scale)
}

// sumExpDense returns Σ exp(x[i] − m) over all i (−Inf entries contribute
// 0), in four float64 lanes combined in a fixed order.
func sumExpDense(x []float32, m float32) float64 {
	return expShift(nil, x, m)
}

// expShift returns Σ exp(src[i] − m) and, when dst is non-nil (length ≥
// len(src)), stores each term in dst. It calls expf's two inlinable halves
// directly (expf itself is too big for Go's inliner, and the call would cost
// a third of the time); TestExpShiftMatchesExpf checks that it is
// bit-identical.
func expShift(dst, src []float32, m float32) float64 {
	var lanes [4]float64
	store := dst != nil
	for i, v := range src {
		x := float32(v - m)
		var e float32
		if x >= expfMin {
			scale, r := expfReduce(x)
			e = expfPoly(scale, r)
		}
		if store {
			dst[i] = e
		}
		lanes[i&3] += float64(e)
	}
	return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

// sumExpIDs returns Σ exp(x[id] − m) over ids.
func sumExpIDs(x []float32, ids []int32, m float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(ids); i += 4 {
		s0 += float64(expf(x[ids[i]] - m))
		s1 += float64(expf(x[ids[i+1]] - m))
		s2 += float64(expf(x[ids[i+2]] - m))
		s3 += float64(expf(x[ids[i+3]] - m))
	}
	for ; i < len(ids); i++ {
		s0 += float64(expf(x[ids[i]] - m))
	}
	return (s0 + s1) + (s2 + s3)
}

// maxDense returns the largest entry of x (−Inf if x is empty or all −Inf).
// NaN entries are ignored.
func maxDense(x []float32) float32 {
	m0, m1 := float32(math.Inf(-1)), float32(math.Inf(-1))
	i := 0
	for ; i+2 <= len(x); i += 2 {
		if x[i] > m0 {
			m0 = x[i]
		}
		if x[i+1] > m1 {
			m1 = x[i+1]
		}
	}
	if i < len(x) && x[i] > m0 {
		m0 = x[i]
	}
	return max(m0, m1)
}

// maxIDs returns the largest x[id] over ids.
func maxIDs(x []float32, ids []int32) float32 {
	m := float32(math.Inf(-1))
	for _, id := range ids {
		if x[id] > m {
			m = x[id]
		}
	}
	return m
}

// weigh sets ws[id] = expf(lp[id] − m) · scale for the token id of every
// rankKey of ks and returns the sum of these weights, accumulated in order
// in one float64. Like expShift it calls expf's inlinable halves
// (TestWeighMatchesExpf checks that it is bit-identical).
func weigh(ws, lp []float32, ks []uint64, m, scale float32) float64 {
	s := 0.0
	for _, key := range ks {
		id := keyID(key)
		x := float32(lp[id] - m)
		var e float32
		if x >= expfMin {
			scale, r := expfReduce(x)
			e = expfPoly(scale, r)
		}
		w := float32(e * scale)
		ws[id] = w
		s += float64(w)
	}
	return s
}
