package kernels

// References for the BLAS-1 leaves: float64 accumulation, one rounding.

func dotRef(x, y []float32) float32 {
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return float32(s)
}

func axpyRef(alpha float32, x, y []float32) {
	for i := range x {
		y[i] = float32(float64(y[i]) + float64(alpha)*float64(x[i]))
	}
}

func scaleRef(alpha float32, x []float32) {
	for i := range x {
		x[i] = float32(float64(alpha) * float64(x[i]))
	}
}

func addRef(dst, x, y []float32) {
	for i := range dst {
		dst[i] = float32(float64(x[i]) + float64(y[i]))
	}
}
