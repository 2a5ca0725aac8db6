package pcm

import "github.com/autoreg/autoreg/internal/kernels"

// stage is one filter of a prediction cascade: predict the next input,
// then learn from it and its prediction error.
type stage interface {
	predict() int32
	update(in, e int32)
}

// lms16 is one stage of a prediction cascade: an adaptive FIR filter of
// order n over the stage's recent inputs, adapted by the sign of its
// error (sign-error LMS, the "neural network filters" of Monkey's Audio;
// Ashland 2000–2024). The prediction is
//
//	p = (Σᵢ w[i]·h[i] + 2^(shift−1)) >> shift
//
// over the 16-bit inputs h (the stage's inputs scaled down by inShift and
// saturated to int16), in int32 arithmetic modulo 2³² (kernels.DotInt16:
// the same bits on every platform). After the error e = input − p is
// known, every weight moves by the adaptation value of its input, up if
// e > 0 and down if e < 0: a[i] = sign(h[i])·s, where the step s is 4, 2
// or 1 for an input above 3, above 4/3 or below 4/3 times the running mean
// |h| (0 for a zero input), so that loud inputs, which dominate the
// product, do not dominate the adaptation (a normalized LMS in integers).
type lms16 struct {
	n, shift, inShift uint
	w                 []int16 // the weights, oldest input first
	hist, adapt       []int16 // inputs and their adaptation values; [pos−n, pos) is the window
	pos               int
	avg               int32 // running mean of |h|
	dot               int32 // Σ w·h over the current window (update computes it)
}

// slack is how many inputs the history holds beyond the window before it
// moves the window back to its start (one copy of n values per slack
// samples).
const slack = 1024

func newLMS16(n, shift, inShift uint) *lms16 {
	return &lms16{n: n, shift: shift, inShift: inShift, w: make([]int16, n),
		hist: make([]int16, int(n)+slack), adapt: make([]int16, int(n)+slack), pos: int(n)}
}

// predict returns the prediction of the next input.
func (f *lms16) predict() int32 {
	sh := f.shift - f.inShift
	return (f.dot + 1<<(sh-1)) >> sh
}

// update adapts the weights to the error e of the last prediction, appends
// the input in to the history, and computes the next prediction's dot
// product with the moved weights in the same pass (kernels.AdaptDotInt16).
func (f *lms16) update(in, e int32) {
	v := in >> f.inShift
	v = max(-32768, min(32767, v))
	s := int16(adaptStep(v, &f.avg))
	if f.pos == len(f.hist) {
		copy(f.hist, f.hist[f.pos-int(f.n):f.pos])
		copy(f.adapt, f.adapt[f.pos-int(f.n):f.pos])
		f.pos = int(f.n)
	}
	f.hist[f.pos] = int16(v)
	f.adapt[f.pos] = s
	f.pos++
	n := int(f.n)
	f.dot = kernels.AdaptDotInt16(f.w, f.adapt[f.pos-n-1:f.pos-1], f.hist[f.pos-n:f.pos], e)
}

// adaptStep returns the adaptation value of an input v and moves the
// running mean of |v|: sign(v) times 4, 2 or 1 for |v| above 3, above 4/3
// or at most 4/3 times the mean, 0 for v = 0.
func adaptStep(v int32, avg *int32) int32 {
	m := v
	if m < 0 {
		m = -m
	}
	var s int32
	switch {
	case m > 3**avg:
		s = 4
	case 3*m > 4**avg:
		s = 2
	case m > 0:
		s = 1
	}
	if v < 0 {
		s = -s
	}
	*avg += (m - *avg) / 16
	return s
}

// lms32 is lms16 for samples wider than 16 bits: 32-bit inputs and
// weights, products summed in int64 (exact), in plain Go. The weights of
// a filter with the same shift mean the same gains as lms16's.
type lms32 struct {
	n, shift    uint
	w           []int32
	hist, adapt []int32
	pos         int
	avg         int32
}

func newLMS32(n, shift uint) *lms32 {
	return &lms32{n: n, shift: shift, w: make([]int32, n), hist: make([]int32, int(n)+slack),
		adapt: make([]int32, int(n)+slack), pos: int(n)}
}

func (f *lms32) predict() int32 {
	h := f.hist[f.pos-int(f.n) : f.pos]
	var d int64
	for i, w := range f.w {
		d += int64(w) * int64(h[i])
	}
	return int32((d + 1<<(f.shift-1)) >> f.shift)
}

func (f *lms32) update(in, e int32) {
	a := f.adapt[f.pos-int(f.n) : f.pos]
	switch {
	case e > 0:
		for i, v := range a {
			f.w[i] += v
		}
	case e < 0:
		for i, v := range a {
			f.w[i] -= v
		}
	}
	v := max(-1<<24, min(1<<24, in))
	s := adaptStep(v, &f.avg)
	if f.pos == len(f.hist) {
		copy(f.hist, f.hist[f.pos-int(f.n):f.pos])
		copy(f.adapt, f.adapt[f.pos-int(f.n):f.pos])
		f.pos = int(f.n)
	}
	f.hist[f.pos] = v
	f.adapt[f.pos] = s
	f.pos++
}
