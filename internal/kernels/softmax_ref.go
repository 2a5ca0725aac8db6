package kernels

import "math"

// maxSumExpRef returns a row's maximum m and Σ exp(x − m), in float64:
// the normalizer of every softmax reference.
func maxSumExpRef(x []float32) (mx, s float64) {
	mx = math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx, s
}

func softmaxRef(dst, src []float32, rows, cols int) {
	for r := range rows {
		x := src[r*cols : (r+1)*cols]
		mx, s := maxSumExpRef(x)
		for j, v := range x {
			dst[r*cols+j] = float32(math.Exp(float64(v)-mx) / s)
		}
	}
}

func logSoftmaxRef(dst, src []float32, rows, cols int) {
	for r := range rows {
		x := src[r*cols : (r+1)*cols]
		mx, s := maxSumExpRef(x)
		ls := math.Log(s)
		for j, v := range x {
			dst[r*cols+j] = float32(float64(v) - mx - ls)
		}
	}
}
