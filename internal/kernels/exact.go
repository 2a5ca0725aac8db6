package kernels

import "math"

// The exact kernels: float32 arithmetic whose every result is specified to
// the bit, so that the same inputs give the same outputs on every platform
// (amd64 with or without assembly, arm64, 32-bit ARM), at any GOMAXPROCS.
// lmzip needs this: an encoder and a decoder on different machines must
// compute identical probabilities (docs/COMPRESSION.md).
//
// The rules that make it so:
//   - every product is rounded to float32 before it is added (Go may fuse
//     a*b+c into one FMA on arm64; an explicit float32(a*b) forbids it), and
//     the assembly uses separate multiply and add instructions;
//   - sums have a fixed order: a dot product of length n keeps exactLanes
//     partial sums, lane j adding the products of the indices k ≡ j (mod
//     exactLanes) in increasing k, starting from +0; the lanes are then
//     combined pairwise, s[i] += s[i+h] for h = 16, 8, 4, 2, 1 — exactly what
//     a vector unit computes with four 8-wide accumulators;
//   - elementwise operations are one correctly rounded IEEE operation each
//     (+, −, ×, ÷, square root);
//   - exp, sigmoid and tanh are this file's own float32 functions with the
//     same explicit roundings, never the math package's.
//
// These are the primitives; the network pieces built from them (linear
// layers, LSTM and GRU cells, LayerNorm, GELU, softmax, attention), each
// with its backward pass, are specified in internal/exact. Nothing runs in
// parallel: the callers are sequential online learners and the neural
// families' bit-exact inference states (NewExactState).

// exactLanes is the number of partial sums of the exact dot product.
const exactLanes = 32

// ExactDot returns Σ x[k]·y[k] in the exact kernels' order (see above).
// x and y must have the same length.
func ExactDot(x, y []float32) float32 {
	checkLen("ExactDot", len(x), "x, y", len(y))
	if useAVX2 && len(x) > 0 {
		return exactDotAVX2(&x[0], &y[0], len(x))
	}
	return exactDotGeneric(x, y)
}

// ExactMatVec computes dst[i] = ExactDot(w[i·cols:(i+1)·cols], x) for every
// row i of the row-major rows×cols matrix w; x has cols elements.
func ExactMatVec(dst, w, x []float32) {
	rows, cols := len(dst), len(x)
	checkLen("ExactMatVec", rows*cols, "rows·cols, w", len(w))
	if rows == 0 {
		return
	}
	if useAVX2 && cols > 0 {
		exactMatVecAVX2(&dst[0], &w[0], &x[0], rows, cols)
		return
	}
	for i := range dst {
		dst[i] = exactDotGeneric(w[i*cols:(i+1)*cols], x)
	}
}

// ExactAxpy computes y[k] = y[k] + float32(alpha·x[k]) (two roundings).
func ExactAxpy(alpha float32, x, y []float32) {
	checkLen("ExactAxpy", len(x), "x, y", len(y))
	if len(x) == 0 {
		return
	}
	if useAVX2 {
		exactAxpyAVX2(alpha, &x[0], &y[0], len(x))
		return
	}
	exactAxpyGeneric(alpha, x, y)
}

// ExactMatTVecAdd adds wᵀ·g to dst: for each row i in increasing order,
// dst = dst + g[i]·w[i,:] elementwise with [ExactAxpy]'s rounding. w is
// row-major len(g)×len(dst).
func ExactMatTVecAdd(dst, w, g []float32) {
	rows, cols := len(g), len(dst)
	checkLen("ExactMatTVecAdd", rows*cols, "rows·cols, w", len(w))
	if rows == 0 || cols == 0 {
		return
	}
	if useAVX2 && cols%exactLanes == 0 {
		exactMatTVecAddAVX2(&dst[0], &w[0], &g[0], rows, cols)
		return
	}
	for i, gi := range g {
		exactAxpyGeneric(gi, w[i*cols:(i+1)*cols], dst)
	}
}

// ExactOuterSum sets the row-major rows×cols matrix dst to Σₛ a[s]·b[s]ᵀ,
// where a[s] = a[s·rows:(s+1)·rows] and b[s] = b[s·cols:(s+1)·cols] for s
// = 0..steps−1: element (i, j) starts at +0 and adds float32(a[s][i]·b[s][j])
// for s in increasing order. len(a) = steps·rows, len(b) = steps·cols.
func ExactOuterSum(dst, a, b []float32, steps int) {
	rows, cols := len(a)/max(steps, 1), len(b)/max(steps, 1)
	checkLen("ExactOuterSum", steps*rows, "steps·rows, a", len(a))
	checkLen("ExactOuterSum", steps*cols, "steps·cols, b", len(b))
	checkLen("ExactOuterSum", rows*cols, "rows·cols, dst", len(dst))
	if len(dst) == 0 {
		return
	}
	if steps == 0 {
		clear(dst)
		return
	}
	if useAVX2 && cols%exactLanes == 0 {
		exactOuterSumAVX2(&dst[0], &a[0], &b[0], steps, rows, cols)
		return
	}
	for i := 0; i < rows; i++ {
		d := dst[i*cols : (i+1)*cols]
		clear(d)
		for s := 0; s < steps; s++ {
			exactAxpyGeneric(a[s*rows+i], b[s*cols:(s+1)*cols], d)
		}
	}
}

// ExactAdam applies one Adam step (Kingma and Ba 2015, without weight decay)
// to p with gradient g and moments m, v, then zeroes g:
//
//	m = b1·m + c1·g            (c1 = 1−b1, given)
//	v = b2·v + c2·(g·g)        (c2 = 1−b2, given)
//	p = p − lr·m / (√v + eps)  (lr already includes the bias correction)
//
// each product, sum, quotient and square root rounded to float32 in the
// order written, after g is clipped to [−clip, clip] (a NaN becomes −clip:
// g = −clip unless g > −clip, then g = clip unless g < clip). All slices have
// the same length.
func ExactAdam(p, g, m, v []float32, b1, c1, b2, c2, lr, eps, clip float32) {
	checkLen("ExactAdam", len(p), "p, g, m, v", len(g), len(m), len(v))
	if len(p) == 0 {
		return
	}
	if useAVX2 {
		a := exactAdamArgs{b1, c1, b2, c2, lr, eps, -clip, clip}
		exactAdamAVX2(&p[0], &g[0], &m[0], &v[0], len(p), &a)
		return
	}
	exactAdamGeneric(p, g, m, v, b1, c1, b2, c2, lr, eps, clip)
}

// exactAdamArgs is passed to the assembly by pointer, in this field order.
type exactAdamArgs struct{ b1, c1, b2, c2, lr, eps, lo, hi float32 }

func exactDotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s [exactLanes]float32
	k := 0
	for ; k+exactLanes <= len(x); k += exactLanes {
		a := x[k : k+exactLanes : k+exactLanes]
		b := y[k : k+exactLanes : k+exactLanes]
		for j := range s {
			s[j] += float32(a[j] * b[j])
		}
	}
	for j := 0; k < len(x); j, k = j+1, k+1 {
		s[j] += float32(x[k] * y[k])
	}
	for h := exactLanes / 2; h >= 1; h /= 2 {
		for i := 0; i < h; i++ {
			s[i] += s[i+h]
		}
	}
	return s[0]
}

func exactAxpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for k, v := range x {
		y[k] += float32(alpha * v)
	}
}

func exactAdamGeneric(p, g, m, v []float32, b1, c1, b2, c2, lr, eps, clip float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for k := range p {
		gk := g[k]
		if !(gk > -clip) {
			gk = -clip
		}
		if !(gk < clip) {
			gk = clip
		}
		mk := float32(b1*m[k]) + float32(c1*gk)
		vk := float32(b2*v[k]) + float32(c2*float32(gk*gk))
		m[k], v[k] = mk, vk
		// float64's correctly rounded square root rounded again to float32
		// is float32's correctly rounded square root (53 ≥ 2·24 + 2).
		d := float32(math.Sqrt(float64(vk))) + eps
		p[k] -= float32(float32(lr*mk) / d)
		g[k] = 0
	}
}

// Exact scalar functions. Each intermediate is rounded explicitly, so the
// results are the same wherever float32 arithmetic is IEEE 754.

// ExactExp returns e^x in float32 with a relative error below 2·2⁻²³.
func ExactExp(x float32) float32 {
	if !(x <= expHi) { // also NaN
		if x != x {
			return x
		}
		return float32(math.Inf(1))
	}
	if x < expLo {
		return 0
	}
	t := float32(x*log2e) + roundMag
	n := t - roundMag
	r := x - float32(n*ln2Hi)
	r -= float32(n * ln2Lo)
	p := float32(1.0 / 5040)
	p = float32(p*r) + 1.0/720
	p = float32(p*r) + 1.0/120
	p = float32(p*r) + 1.0/24
	p = float32(p*r) + 1.0/6
	p = float32(p*r) + 0.5
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return float32(p*s1) * s2
}

// ExactExpSlice sets dst[i] = ExactExp(src[i]); dst may be src.
func ExactExpSlice(dst, src []float32) {
	exactSlice("ExactExpSlice", dst, src, exactExpAVX2, ExactExp)
}

// ExactSigmoidSlice sets dst[i] = ExactSigmoid(src[i]); dst may be src.
func ExactSigmoidSlice(dst, src []float32) {
	exactSlice("ExactSigmoidSlice", dst, src, exactSigmoidAVX2, ExactSigmoid)
}

// ExactTanhSlice sets dst[i] = ExactTanh(src[i]); dst may be src.
func ExactTanhSlice(dst, src []float32) {
	exactSlice("ExactTanhSlice", dst, src, exactTanhAVX2, ExactTanh)
}

// exactSlice applies a function elementwise: the assembly over the whole
// groups of 8, the scalar Go function over the rest (identical bits).
func exactSlice(name string, dst, src []float32, vec func(dst, src *float32, n int), scalar func(float32) float32) {
	checkLen(name, len(src), "src, dst", len(dst))
	i := 0
	if n := len(src) &^ 7; useAVX2 && n > 0 {
		vec(&dst[0], &src[0], n)
		i = n
	}
	for ; i < len(src); i++ {
		dst[i] = scalar(src[i])
	}
}

// ExactSigmoid returns 1/(1+e^-x).
func ExactSigmoid(x float32) float32 {
	return 1 / (1 + ExactExp(-x))
}

// ExactTanh returns tanh x: an odd polynomial for |x| < 0.5, else
// 1 − 2/(e^2|x| + 1) with the sign of x.
func ExactTanh(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.5 {
		z := float32(x * x)
		p := float32(-929569.0 / 638512875)
		p = float32(p*z) + 21844.0/6081075
		p = float32(p*z) - 1382.0/155925
		p = float32(p*z) + 62.0/2835
		p = float32(p*z) - 17.0/315
		p = float32(p*z) + 2.0/15
		p = float32(p*z) - 1.0/3
		return x + float32(float32(x*z)*p)
	}
	t := 1 - 2/(ExactExp(2*ax)+1)
	if x < 0 {
		return -t
	}
	return t
}

// ExactLog returns ln x in float32 (fdlibm's method): x = 2^k·m with m in
// [√½, √2), f = m − 1 (exact), s = f/(2+f), z = s·s,
// R = z·(2/3 + z·(2/5 + z·(2/7 + z·2/9))) by Horner, hfsq = ½f·f, and
//
//	ln x = k·ln2Hi − ((hfsq − (s·(hfsq+R) + k·ln2Lo)) − f)
//
// with every product rounded to float32 before it is added. ln 0 = −Inf,
// ln +Inf = +Inf, a negative x or NaN gives NaN. The error is below 2·2⁻²³
// of |ln x| plus 2⁻²⁴ of the input's ulp (TestExactFunctionsAccuracy).
func ExactLog(x float32) float32 {
	switch {
	case !(x >= 0): // negative or NaN
		return float32(math.NaN())
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	k := int32(0)
	b := math.Float32bits(x)
	if b < 0x00800000 { // subnormal: scale into the normal range (exact)
		b = math.Float32bits(x * (1 << 25))
		k = -25
	}
	k += int32(b>>23) - 127
	b &= 0x007fffff
	var m float32
	if b >= 0x3504f3 { // m ≥ √2: use m/2
		m = math.Float32frombits(b | 0x3f000000)
		k++
	} else {
		m = math.Float32frombits(b | 0x3f800000)
	}
	f := m - 1
	s := f / (2 + f)
	z := float32(s * s)
	r := float32(z*(2.0/9)) + 2.0/7
	r = float32(r*z) + 2.0/5
	r = float32(r*z) + 2.0/3
	r = float32(r * z)
	hfsq := float32(float32(0.5*f) * f)
	dk := float32(k)
	return float32(dk*ln2Hi) - ((hfsq - (float32(s*(hfsq+r)) + float32(dk*ln2Lo))) - f)
}

// exactOnes is a row of ones: ExactSum(x) is ExactDot(x, 1…1), whose
// products x[k]·1 are exact, so short sums take the dot product's assembly.
var exactOnes = func() (o [4096]float32) {
	for i := range o {
		o[i] = 1
	}
	return o
}()

// ExactSum returns Σ x[k] in [ExactDot]'s order: exactLanes partial sums,
// lane j adding x[k] for k ≡ j (mod exactLanes) in increasing k from +0,
// then combined pairwise, s[i] += s[i+h] for h = 16, 8, 4, 2, 1.
func ExactSum(x []float32) float32 {
	if useAVX2 && len(x) > 0 && len(x) <= len(exactOnes) {
		return exactDotAVX2(&x[0], &exactOnes[0], len(x))
	}
	var s [exactLanes]float32
	k := 0
	for ; k+exactLanes <= len(x); k += exactLanes {
		a := x[k : k+exactLanes : k+exactLanes]
		for j := range s {
			s[j] += a[j]
		}
	}
	for j := 0; k < len(x); j, k = j+1, k+1 {
		s[j] += x[k]
	}
	for h := exactLanes / 2; h >= 1; h /= 2 {
		for i := 0; i < h; i++ {
			s[i] += s[i+h]
		}
	}
	return s[0]
}
