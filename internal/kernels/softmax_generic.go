package kernels

func maxGeneric(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m || v != v {
			m = v
			if v != v {
				return v
			}
		}
	}
	return m
}

func expSumGeneric(dst, src []float32, shift float32) float32 {
	dst = dst[:len(src)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(src); i += 4 {
		e0 := expGeneric(src[i] - shift)
		e1 := expGeneric(src[i+1] - shift)
		e2 := expGeneric(src[i+2] - shift)
		e3 := expGeneric(src[i+3] - shift)
		dst[i], dst[i+1], dst[i+2], dst[i+3] = e0, e1, e2, e3
		s0 += e0
		s1 += e1
		s2 += e2
		s3 += e3
	}
	for ; i < len(src); i++ {
		e := expGeneric(src[i] - shift)
		dst[i] = e
		s0 += e
	}
	return (s0 + s1) + (s2 + s3)
}
