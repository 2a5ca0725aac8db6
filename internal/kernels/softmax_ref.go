package kernels

import "math"

func softmaxRef(dst, src []float32, rows, cols int) {
	for r := range rows {
		x := src[r*cols : (r+1)*cols]
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		var s float64
		for _, v := range x {
			s += math.Exp(float64(v) - mx)
		}
		for j, v := range x {
			dst[r*cols+j] = float32(math.Exp(float64(v)-mx) / s)
		}
	}
}

func logSoftmaxRef(dst, src []float32, rows, cols int) {
	for r := range rows {
		x := src[r*cols : (r+1)*cols]
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		var s float64
		for _, v := range x {
			s += math.Exp(float64(v) - mx)
		}
		ls := math.Log(s)
		for j, v := range x {
			dst[r*cols+j] = float32(float64(v) - mx - ls)
		}
	}
}
