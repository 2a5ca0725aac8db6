package imagecm

import "math/bits"

// The Slow level's context models: nModels tables of counters, one counter
// per (context, channel, slot). Model hashedModel's joint context is too
// large for a direct table: it is hashed into hashBuckets buckets of a
// slot each.
const (
	nModels      = 13
	hashedModel  = 12
	fastContexts = 16 * 4 * 8 // Fast: error level × neighbouring residual × fraction
	mantissaSets = 8          // the mixer's weight sets of the mantissa decisions
)

// modelSizes are the models' numbers of contexts (per channel).
var modelSizes = [nModels]int{
	16 * 4 * 8,  // 0: error level, neighbouring residual, fraction
	16 * 4 * 16, // 1: the same with four texture bits
	9 * 16,      // 2: signs of the W and N residuals, error level
	64 * 16,     // 3: magnitudes of N−NW and W−NW, error level
	16 * 32,     // 4: the predicted value's top four bits, fine error level
	7 * 7 * 7,   // 5: signed N−NW, W−NW, NE−N
	14 * 32,     // 6: N's disagreement with the blend, fine error level
	14 * 32,     // 7: W's disagreement
	196 * 8,     // 8: N's and W's
	196 * 8,     // 9: NE's and NW's
	196 * 8,     // 10: the planar predictor's and the N–W average's
	14 * 32,     // 11: NE's disagreement
	0,           // 12: hashed: N's, W's, NE's and NW's disagreements, error level
}

// hashBuckets is the number of buckets of the hashed model: about 2^22
// counters.
func hashBuckets(slots int) int { return 1 << (22 - bits.Len(uint(slots))) }

// dq quantizes a predictor's disagreement with the blend (×8) into 14
// levels, finer near zero.
func dq(d int32) uint32 {
	d = (d + 4) >> 3
	switch {
	case d < -20:
		return 0
	case d < -9:
		return 1
	case d < -4:
		return 2
	case d < -2:
		return 3
	case d < -1:
		return 4
	case d < 0:
		return 5
	case d == 0:
		return 6
	case d == 1:
		return 8
	case d <= 2:
		return 9
	case d <= 4:
		return 10
	case d <= 9:
		return 11
	case d <= 20:
		return 12
	}
	return 13
}

// sq quantizes a signed gradient into 7 levels.
func sq(a int32) uint32 {
	switch {
	case a < -12:
		return 0
	case a < -3:
		return 1
	case a < 0:
		return 2
	case a == 0:
		return 3
	case a <= 3:
		return 4
	case a <= 12:
		return 5
	}
	return 6
}

// rq is the sign of a residual, with a dead zone: 0, 1 or 2.
func rq(a int32) uint32 {
	switch {
	case a < -2:
		return 0
	case a > 2:
		return 2
	}
	return 1
}

// gq is the bit length of |a|, at most 7.
func gq(a int32) uint32 { return uint32(min(bits.Len32(uint32(abs32(a))), 7)) }

// contexts sets the Slow models' contexts and the SSE contexts of sample s
// (at x, y; i its index in the row's buffers).
func (m *model) contexts(s *sample, nb *neighbours, x, y int, rrow, rN []int32, i int) {
	C := m.im.Channels
	qf := 0
	for t := s.emin; t > 4 && qf < 31; t = t * 3 / 4 {
		qf++
	}
	s.qf = qf
	var rw, rn int32
	if x > 0 {
		rw = rrow[i-C]
	}
	if y > 0 {
		rn = rN[i]
	}
	p, pred := &s.p, s.pred
	q, q2, f := uint32(s.q), uint32(s.q2), uint32(qf)
	dN, dW, dNE, dNW := dq(p[1]-pred), dq(p[0]-pred), dq(p[2]-pred), dq(nb.nw*8-pred)
	cx := &m.cx
	cx[0] = (q*4+q2)*8 + uint32(s.frac)
	cx[1] = (q*4+q2)*16 + uint32(s.tex&15)
	cx[2] = (rq(rw)*3+rq(rn))*16 + q
	cx[3] = (gq(nb.n-nb.nw)*8+gq(nb.w-nb.nw))*16 + f/2
	cx[4] = uint32(s.pr>>max(m.E-4, 0))*32 + f
	cx[5] = (sq(nb.n-nb.nw)*7+sq(nb.w-nb.nw))*7 + sq(nb.ne-nb.n)
	cx[6] = dN*32 + f
	cx[7] = dW*32 + f
	cx[8] = (dN*14+dW)*8 + f/4
	cx[9] = (dNE*14+dNW)*8 + f/4
	cx[10] = (dq(p[3]-pred)*14+dq(p[11]-pred))*8 + f/4
	cx[11] = dNE*32 + f
	cx[12] = (((dN*14+dW)*14+dNE)*14+dNW)*4 + f/8
	for k := range cx {
		v := cx[k]*uint32(m.nc) + uint32(s.c)
		if k == hashedModel {
			v = (v * 0x9E3779B1) >> (32 - (22 - bits.Len(uint(m.slots))))
		}
		cx[k] = v * uint32(m.slots)
	}
	m.a1 = qf
	m.a2 = int(dN*14 + dW)
}
