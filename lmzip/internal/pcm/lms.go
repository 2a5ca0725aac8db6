package pcm

import "github.com/autoreg/autoreg/internal/kernels"

// lms is one stage of a prediction cascade: an adaptive FIR filter of
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
type lms struct {
	n, shift, inShift uint
	w                 []int16 // the weights, oldest input first
	hist, adapt       []int16 // inputs and their adaptation values; [pos−n, pos) is the window
	pos               int
	avg               int32 // running mean of |h|
}

// slack is how many inputs the history holds beyond the window before it
// moves the window back to its start (one copy of n values per slack
// samples).
const slack = 1024

func newLMS(n, shift, inShift uint) *lms {
	return &lms{n: n, shift: shift, inShift: inShift, w: make([]int16, n),
		hist: make([]int16, int(n)+slack), adapt: make([]int16, int(n)+slack), pos: int(n)}
}

// predict returns the prediction of the next input.
func (f *lms) predict() int32 {
	d := kernels.DotInt16(f.w, f.hist[f.pos-int(f.n):f.pos])
	sh := f.shift - f.inShift
	return (d + 1<<(sh-1)) >> sh
}

// update adapts the weights to the error e of the last prediction and
// appends the input in to the history.
func (f *lms) update(in, e int32) {
	win := f.adapt[f.pos-int(f.n) : f.pos]
	switch {
	case e > 0:
		kernels.AddInt16(f.w, win)
	case e < 0:
		kernels.SubInt16(f.w, win)
	}
	v := in >> f.inShift
	v = max(-32768, min(32767, v))
	m := v
	if m < 0 {
		m = -m
	}
	var s int16
	switch {
	case m > 3*f.avg:
		s = 4
	case 3*m > 4*f.avg:
		s = 2
	case m > 0:
		s = 1
	}
	if v < 0 {
		s = -s
	}
	f.avg += (m - f.avg) / 16
	if f.pos == len(f.hist) {
		copy(f.hist, f.hist[f.pos-int(f.n):f.pos])
		copy(f.adapt, f.adapt[f.pos-int(f.n):f.pos])
		f.pos = int(f.n)
	}
	f.hist[f.pos] = int16(v)
	f.adapt[f.pos] = s
	f.pos++
}
