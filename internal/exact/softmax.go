package exact

import "github.com/autoreg/autoreg/internal/kernels"

// rowMax returns the largest element of x (not empty) by sequential
// comparison from x[0] (NaN elements after the first are skipped).
func rowMax(x []float32) float32 {
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	return mx
}

// Softmax replaces x (not empty) by softmax(x): with m the first maximum by
// sequential comparison,
//
//	e[k] = ExactExp(x[k] − m),  S = ExactSum(e),  x[k] = e[k] / S
func Softmax(x []float32) {
	mx := rowMax(x)
	for k, v := range x {
		x[k] = v - mx
	}
	kernels.ExactExpSlice(x, x)
	s := kernels.ExactSum(x)
	for k := range x {
		x[k] /= s
	}
}

// LogSoftmax writes log softmax(x) into dst (same length as x, not empty;
// dst may be x): with m and S as in [Softmax] (the e[k] are staged in
// dst), dst[k] = (x[k] − m) − ExactLog(S).
func LogSoftmax(dst, x []float32) {
	need("LogSoftmax", "dst", len(x), len(dst))
	mx := rowMax(x)
	for k, v := range x {
		dst[k] = v - mx
	}
	kernels.ExactExpSlice(dst, dst)
	ls := kernels.ExactLog(kernels.ExactSum(dst))
	for k, v := range x {
		dst[k] = (v - mx) - ls
	}
}

// SoftmaxBackward sets dx, the gradient through p = softmax(x) given dp,
// the gradient reaching p:
//
//	s = ExactDot(p, dp),  dx[k] = float32(p[k]·(dp[k] − s))
//
// dx may alias dp.
func SoftmaxBackward(dx, p, dp []float32) {
	need("SoftmaxBackward", "dx, dp", len(p), len(dx), len(dp))
	s := kernels.ExactDot(p, dp)
	for k, v := range p {
		dx[k] = float32(v * (dp[k] - s))
	}
}

// CrossEntropyBackward sets dlogits, the gradient of the loss
// −ln p[target] with respect to the logits whose softmax is p:
// dlogits[k] = p[k], minus 1 at target. dlogits may alias p.
func CrossEntropyBackward(dlogits, p []float32, target int) {
	need("CrossEntropyBackward", "dlogits", len(p), len(dlogits))
	copy(dlogits, p)
	dlogits[target] -= 1
}
