package nn

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
)

// Inference helpers over one row of logits, shared by the families'
// States: the normalizer is summed in float64 after shifting by the
// maximum, so scores stay accurate over large vocabularies.

// logSumExp returns the maximum of x and log Σ exp(x − max) (in float64),
// using scratch (len(x)) for the exponentials.
func logSumExp(x, scratch []float32) (mx float32, lse float64) {
	mx = x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	s := scratch[:len(x)]
	for i, v := range x {
		s[i] = v - mx
	}
	kernels.Exp(s, s)
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	return mx, math.Log(sum)
}

// LogSoftmaxRow writes log softmax(x) into dst (float32); scratch has
// len(x) floats.
func LogSoftmaxRow(dst, x, scratch []float32) {
	mx, l := logSumExp(x, scratch)
	lse := mx + float32(l)
	for i, v := range x {
		dst[i] = v - lse
	}
}

// LogProbRow returns log softmax(x)[t] in float64; scratch has len(x)
// floats.
func LogProbRow(x []float32, t int, scratch []float32) float64 {
	mx, l := logSumExp(x, scratch)
	return float64(x[t]-mx) - l
}

// SoftmaxRow replaces x by softmax(x) (float32 sum, shifted by the
// maximum): one attention row, on the vector kernels (kernels.Softmax).
func SoftmaxRow(x []float32) {
	kernels.Softmax(x, x, 1, len(x))
}
