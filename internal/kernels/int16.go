package kernels

// Integer kernels of the lossless audio coder's LMS filters (package
// lmzip's PCM codec): 16-bit weights and inputs, 32-bit wrapping sums.
// Integer addition modulo 2³² is associative and commutative, so every
// path (AVX2 lanes, the portable loop, any split of the work) gives the
// same bits: the results are exact by construction, on every platform.

// DotInt16 returns Σᵢ x[i]·y[i] computed in int32 arithmetic modulo 2³²
// (each product is exact; the sum wraps). x and y must have the same
// length.
func DotInt16(x, y []int16) int32 {
	checkLen("DotInt16", len(x), "x, y", len(y))
	if useAVX2 && len(x) >= 16 {
		n := len(x) &^ 15
		return dotInt16AVX2(x[:n], y[:n]) + dotInt16Generic(x[n:], y[n:])
	}
	return dotInt16Generic(x, y)
}

// AddInt16 sets y[i] += x[i] in int16 arithmetic (wrapping). x and y must
// have the same length.
func AddInt16(y, x []int16) {
	checkLen("AddInt16", len(x), "x, y", len(y))
	if useAVX2 && len(x) >= 16 {
		n := len(x) &^ 15
		addInt16AVX2(y[:n], x[:n])
		y, x = y[n:], x[n:]
	}
	addInt16Generic(y, x)
}

// SubInt16 sets y[i] −= x[i] in int16 arithmetic (wrapping). x and y must
// have the same length.
func SubInt16(y, x []int16) {
	checkLen("SubInt16", len(x), "x, y", len(y))
	if useAVX2 && len(x) >= 16 {
		n := len(x) &^ 15
		subInt16AVX2(y[:n], x[:n])
		y, x = y[n:], x[n:]
	}
	subInt16Generic(y, x)
}

// AdaptDotInt16 is one step of a sign-error LMS filter in one pass: it
// moves the weights w by the adaptation values a, up if e > 0 and down if
// e < 0 (int16, wrapping), then returns the dot product of the moved
// weights with h (as DotInt16). All slices have the same length.
func AdaptDotInt16(w, a, h []int16, e int32) int32 {
	checkLen("AdaptDotInt16", len(w), "w, a, h", len(a), len(h))
	var sign int16
	switch {
	case e > 0:
		sign = 1
	case e < 0:
		sign = -1
	}
	if useAVX2 && len(w) >= 16 {
		n := len(w) &^ 15
		return adaptDotInt16AVX2(w[:n], a[:n], h[:n], sign) + adaptDotInt16Generic(w[n:], a[n:], h[n:], sign)
	}
	return adaptDotInt16Generic(w, a, h, sign)
}

func adaptDotInt16Generic(w, a, h []int16, sign int16) int32 {
	a, h = a[:len(w)], h[:len(w)]
	var s int32
	for i := range w {
		w[i] += sign * a[i]
		s += int32(w[i]) * int32(h[i])
	}
	return s
}

func dotInt16Generic(x, y []int16) int32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b := x[i:i+4:i+4], y[i:i+4:i+4]
		s0 += int32(a[0]) * int32(b[0])
		s1 += int32(a[1]) * int32(b[1])
		s2 += int32(a[2]) * int32(b[2])
		s3 += int32(a[3]) * int32(b[3])
	}
	for ; i < len(x); i++ {
		s0 += int32(x[i]) * int32(y[i])
	}
	return s0 + s1 + s2 + s3
}

func addInt16Generic(y, x []int16) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += v
	}
}

func subInt16Generic(y, x []int16) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] -= v
	}
}
