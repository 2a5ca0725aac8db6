package cm

// apm2 is an adaptive probability map (secondary symbol estimation): for
// each of its contexts a piecewise-linear function of the input
// probability, 33 knots over the logistic domain [−2048, 2048], learned
// toward the coded bits. Both knots around the input move, each by its
// share of the interpolation, at rate 2^-rate.
type apm2 struct {
	t    []uint16 // 16-bit probabilities, 33 per context
	idx  int      // the lower knot of the last refine
	wt   int32    // the upper knot's share of it, 0..127
	rate uint
}

func newAPM2(contexts int, rate uint) *apm2 {
	a := &apm2{t: make([]uint16, contexts*33), rate: rate}
	for c := 0; c < contexts; c++ {
		for j := 0; j < 33; j++ {
			a.t[c*33+j] = uint16(Squash(int32((j - 16) * 128)))
		}
	}
	return a
}

// refine maps the logistic-domain input x under context cx to a 16-bit
// probability.
func (a *apm2) refine(x int32, cx int) int32 {
	x = max(-2047, min(2047, x))
	v := x + 2048 // 1..4095
	lo := int(v >> 7)
	wt := v & 127
	a.idx = cx*33 + lo
	a.wt = wt
	t := a.t[a.idx : a.idx+2 : a.idx+2]
	return (int32(t[0])*(128-wt) + int32(t[1])*wt) >> 7
}

func (a *apm2) update(bit int) {
	g := int32(bit) << 16
	g -= int32(bit) // 65535 for a one
	t := a.t[a.idx : a.idx+2 : a.idx+2]
	v0 := int32(t[0])
	v0 += ((g - v0) >> a.rate) * (128 - a.wt) >> 7
	v1 := int32(t[1])
	v1 += ((g - v1) >> a.rate) * a.wt >> 7
	t[0] = uint16(max(1, min(65535, v0)))
	t[1] = uint16(max(1, min(65535, v1)))
}
