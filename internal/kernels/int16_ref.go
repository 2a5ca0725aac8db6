package kernels

// dotInt16Ref is the specification of DotInt16: the exact sum in int64,
// reduced modulo 2³² to int32.
func dotInt16Ref(x, y []int16) int32 {
	var s int64
	for i := range x {
		s += int64(x[i]) * int64(y[i])
	}
	return int32(s)
}
