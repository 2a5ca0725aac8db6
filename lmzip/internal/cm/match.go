package cm

// matchModel predicts the next byte to be the one that followed the last
// occurrence of the current context, the last minLen bytes (at least),
// found through a hash table of positions in the history. Its confidence
// grows with the length of the match. Models of different minimum lengths
// complement each other: a short one finds recent repeats quickly, a long
// one keeps old long repeats whose short contexts have been overwritten.
type matchModel struct {
	minLen int
	tab    []uint32 // hash of the last minLen bytes → the position after them
	tbits  uint
	ptr    uint32 // position of the predicted byte in the history
	len    int    // length of the current match (0: none)
	miss   bool   // the current byte already differs from the prediction
	hash   uint32 // rolling hash of the last minLen bytes
	outMul uint32 // hashMul^minLen, to remove the byte leaving the window
	sm     stateMap
	slot   int // the map entry of the current prediction, or -1
	ebit   int // the expected bit
	bucket int // the current match length's bucket (0 = no prediction)
}

const hashMul = 0x2F0B4C27 // odd: the rolling hash is a polynomial mod 2^32

func newMatchModel(minLen int, tbits uint) *matchModel {
	m := &matchModel{minLen: minLen, tab: make([]uint32, 1<<tbits), tbits: tbits, slot: -1}
	m.outMul = 1
	for i := 0; i < minLen; i++ {
		m.outMul *= hashMul
	}
	m.sm = newStateMap(1, 1023)
	for i := range m.sm.t {
		m.sm.t[i] = 1 << 31 // p = 1/2, n = 0; only entries 0..63 are used
	}
	return m
}

// lenBucket maps a match length to 1..31.
func lenBucket(l int) int {
	switch {
	case l < 16:
		return l
	case l < 64:
		return 16 + (l-16)/4
	default:
		return min(31, 28+(l-64)/64)
	}
}

// predict sets the model's input for the next bit, given the history h
// (mask hm), the partial byte c0 (with its leading 1) and the bit position.
// It returns the input (stretched probability of a one, 0 when there is
// no prediction).
func (m *matchModel) predict(h []byte, hm uint32, c0 uint32, bpos int) int32 {
	m.slot, m.bucket = -1, 0
	if m.len == 0 || m.miss {
		return 0
	}
	exp := uint32(h[m.ptr&hm]) | 256
	if exp>>(8-uint(bpos)) != c0 {
		m.miss = true
		return 0
	}
	m.ebit = int(exp>>(7-uint(bpos))) & 1
	m.bucket = lenBucket(m.len)
	m.slot = m.bucket<<1 | m.ebit
	return Stretch(m.sm.p12(m.slot))
}

func (m *matchModel) update(bit int) {
	if m.slot >= 0 {
		m.sm.update(m.slot, bit)
	}
}

// byteDone moves the model past byte c, just stored in the history at
// position pos-1 (pos bytes seen in all, modulo 2^32).
func (m *matchModel) byteDone(h []byte, hm uint32, pos uint32, c byte) {
	if m.len > 0 && !m.miss && h[m.ptr&hm] == c {
		m.len = min(m.len+1, 65535)
		m.ptr++
	} else {
		m.len = 0
	}
	m.miss = false
	m.hash = m.hash*hashMul + uint32(c) + 1
	if pos > uint32(m.minLen) {
		m.hash -= (uint32(h[(pos-1-uint32(m.minLen))&hm]) + 1) * m.outMul
	}
	if pos < uint32(m.minLen) {
		return
	}
	i := (m.hash * 0x9E3779B1) >> (32 - m.tbits)
	if m.len == 0 {
		cand := m.tab[i]
		if cand > 0 && pos-cand < hm-256 {
			n := uint32(0)
			for n < 400 && n < cand && h[(cand-1-n)&hm] == h[(pos-1-n)&hm] {
				n++
			}
			if n >= uint32(m.minLen) {
				m.len, m.ptr = int(n), cand
			}
		}
	}
	m.tab[i] = pos
}
