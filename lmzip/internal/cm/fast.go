package cm

// The fast profile's code path. A Config with Fast set, one match model and
// no predictors has a fixed shape: eight mixer inputs (orders 0-2, three
// hashed contexts, the match model and a bias) and one neuron. These
// methods compute exactly what predict and Update compute for it, spelled
// out on fixed-size arrays and one flat table of state maps, unrolled,
// which spares the slice headers, bounds checks, loops and calls that
// make up much of the generic path's instructions (the default level runs
// here). TestFastPathAgrees checks that the two paths give the same
// probabilities on every kind of data.

// fastInputs is the fast profile's number of mixer inputs.
const fastInputs = 8

// matchState coarsens a match length's bucket (lenBucket; 0: no
// prediction) to the four states that select the fast profile's weights:
// none, shorter than 8 bytes, shorter than 16, longer.
var matchState = [32]uint8{0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}

// predictFast is predict for the fast profile.
func (m *Model) predictFast() {
	c0 := m.c0
	c4 := m.c4
	idx := &m.fidx
	x := &m.fx
	t := m.fsm
	d := m.direct
	idx[0] = int(c0)
	idx[1] = 256 + int((c4&0xFF)<<8|c0)
	idx[2] = 256 + 1<<16 + int((c4&0xFFFF)<<8|c0)
	x[0] = Stretch(t[d[idx[0]]] >> 20)
	x[1] = Stretch(t[numStates+int(d[idx[1]])] >> 20)
	x[2] = Stretch(t[2*numStates+int(d[idx[2]])] >> 20)
	if len(m.ctxs) == 3 {
		st := m.slots.t
		nib := int(m.nib)
		idx[3], idx[4], idx[5] = m.slot[0]+nib, m.slot[1]+nib, m.slot[2]+nib
		x[3] = Stretch(t[3*numStates+int(st[idx[3]])] >> 20)
		x[4] = Stretch(t[4*numStates+int(st[idx[4]])] >> 20)
		x[5] = Stretch(t[5*numStates+int(st[idx[5]])] >> 20)
	} else { // compressed data: no hashed contexts
		x[3], x[4], x[5] = 0, 0, 0
	}
	mm := m.mms[0]
	x[6] = mm.predict(m.hist, m.hm, c0, m.bpos)
	x[7] = 256
	sel := int(c0) | int(matchState[mm.bucket&31])<<10
	if m.kind == KindARM64 {
		sel |= int(m.pos&3) << 8
	}
	sel *= fastInputs
	w := (*[fastInputs]int32)(m.mx.w[sel : sel+fastInputs])
	// mixer2's dot product, unrolled; the bias input is 256, so its term
	// is its weight.
	dp := (x[0]*w[0])>>8 + (x[1]*w[1])>>8 + (x[2]*w[2])>>8 + (x[3]*w[3])>>8 +
		(x[4]*w[4])>>8 + (x[5]*w[5])>>8 + (x[6]*w[6])>>8 + w[7]
	s := max(-2047, min(2047, dp>>8))
	m.fsel = sel
	p := Squash(s)
	m.fpr12 = p >> 4
	m.pr = m.refine(p, s)
}

// updateFast is Update for the fast profile.
func (m *Model) updateFast(bit int) {
	t := m.fsm
	lim := uint32(m.cfg.Limit)
	idx := &m.fidx
	d := m.direct
	s0, s1, s2 := d[idx[0]], d[idx[1]], d[idx[2]]
	updateCounter(&t[s0], bit, lim)
	updateCounter(&t[numStates+int(s1)], bit, lim)
	updateCounter(&t[2*numStates+int(s2)], bit, lim)
	d[idx[0]] = stateNext[s0][bit]
	d[idx[1]] = stateNext[s1][bit]
	d[idx[2]] = stateNext[s2][bit]
	if len(m.ctxs) == 3 {
		st := m.slots.t
		// One after another: two contexts may share a slot.
		s3 := st[idx[3]]
		updateCounter(&t[3*numStates+int(s3)], bit, lim)
		st[idx[3]] = stateNext[s3][bit]
		s4 := st[idx[4]]
		updateCounter(&t[4*numStates+int(s4)], bit, lim)
		st[idx[4]] = stateNext[s4][bit]
		s5 := st[idx[5]]
		updateCounter(&t[5*numStates+int(s5)], bit, lim)
		st[idx[5]] = stateNext[s5][bit]
	}
	m.mms[0].update(bit)
	err := ((int32(bit) << 12) - m.fpr12) * m.mx.rate
	w := (*[fastInputs]int32)(m.mx.w[m.fsel : m.fsel+fastInputs])
	x := &m.fx
	// mixer2's train, unrolled; for the bias input (256),
	// (256·err + 2^15) >> 16 = (err + 128) >> 8.
	w[0] = clampWeight(w[0] + (x[0]*err+1<<15)>>16)
	w[1] = clampWeight(w[1] + (x[1]*err+1<<15)>>16)
	w[2] = clampWeight(w[2] + (x[2]*err+1<<15)>>16)
	w[3] = clampWeight(w[3] + (x[3]*err+1<<15)>>16)
	w[4] = clampWeight(w[4] + (x[4]*err+1<<15)>>16)
	w[5] = clampWeight(w[5] + (x[5]*err+1<<15)>>16)
	w[6] = clampWeight(w[6] + (x[6]*err+1<<15)>>16)
	w[7] = clampWeight(w[7] + (err+128)>>8)
	m.updateAPMs(bit)
	m.advance(bit)
}

// clampWeight bounds a mixer weight to ±weightMax.
func clampWeight(v int32) int32 { return max(-weightMax, min(weightMax, v)) }
