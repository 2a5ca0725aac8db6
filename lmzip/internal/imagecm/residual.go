package imagecm

import (
	"math/bits"

	"github.com/autoreg/autoreg/lmzip/internal/cm"
)

// The binarization of a residual r, |r| ≤ MaxVal, with E the bits of
// MaxVal; each decision has a slot:
//
//	0            r = 0?
//	1            r < 0? (not coded when round(pred) is 0 or MaxVal: the sign is known)
//	2 … E         the exponent e of |r| (|r| in [2^e, 2^(e+1))) in unary, at most E−1
//	2+E+e        the mantissa's first bit below the leading one
//	2+2E+2e+b    its second, after first bit b
//	2+4E+eE+i    bit i of the rest
//
// so slots = 2 + 4E + E².

// residual codes r (encoding) or decodes a residual and returns it.
func (m *model) residual(s *sample, r int32) int32 {
	E := m.E
	zero := 0
	if r == 0 {
		zero = 1
	}
	if m.bit(s, 0, zero) == 1 {
		return 0
	}
	sign := 0
	if r < 0 {
		sign, r = 1, -r
	}
	switch s.pr {
	case 0:
		sign = 0
	case int32(m.im.MaxVal):
		sign = 1
	default:
		sign = m.bit(s, 1, sign)
	}
	e := 0
	if r > 0 {
		e = bits.Len32(uint32(r)) - 1
	}
	k := 0
	for k < E-1 {
		more := 0
		if k < e {
			more = 1
		}
		if m.bit(s, 2+k, more) == 0 {
			break
		}
		k++
	}
	e = k
	mag := int32(1)
	for i := e - 1; i >= 0; i-- {
		var slot int
		switch {
		case i == e-1:
			slot = 2 + E + e
		case i == e-2:
			slot = 2 + 2*E + 2*e + int(mag&1)
		default:
			slot = 2 + 4*E + e*E + i
		}
		mag = mag<<1 | int32(m.bit(s, slot, int((r>>i)&1)))
	}
	if sign == 1 {
		return -mag
	}
	return mag
}

// bit codes one decision of the binarization at slot (or decodes it) and
// learns from it.
func (m *model) bit(s *sample, slot, bit int) int {
	if m.level == Fast {
		frac := 0
		if slot < 2 { // the fraction tells the zero and the sign decisions
			frac = s.frac
		}
		ctr := &m.fast[(((s.q*4+s.q2)*8+frac)*m.nc+s.c)*m.slots+slot]
		bit = m.code((*ctr^cm.CounterInit)>>16, bit)
		cm.CounterUpdate(ctr, bit, fastLimit)
		return bit
	}
	for k := range m.tabs {
		m.x[k] = cm.Stretch(cm.CounterP12(m.tabs[k][m.cx[k]+uint32(slot)]))
	}
	m.x[nModels] = 256
	set := slot
	if slot >= 2+m.E { // the mantissa decisions share mantissaSets sets
		set = 2 + m.E + (slot-2-m.E)*mantissaSets/(m.slots-2-m.E)
	}
	dot := m.mix.Mix(m.x[:], set)
	p1 := m.apm1.Refine(dot, m.a1*m.slots+slot)
	p2 := m.apm2.Refine(dot, m.a2*m.slots+slot)
	p := (2*cm.Squash(dot) + 3*p1 + 3*p2) >> 3
	bit = m.code(uint32(p), bit)
	m.mix.Update(m.x[:], bit)
	m.apm1.Update(bit)
	m.apm2.Update(bit)
	for k := range m.tabs {
		cm.CounterUpdate(&m.tabs[k][m.cx[k]+uint32(slot)], bit, slowLimit)
	}
	return bit
}
