package cm

// A stateMap learns, for each of its contexts and each bit-history state,
// the probability that the next bit is 1: 22 bits of probability and a
// 10-bit count in a uint32, moved by (bit − p)/(n + 1.5) with n capped at
// the map's limit (fast at first, then stable: an adaptive rate). It is
// the indirect half of a context: the history says what was seen, the map
// what that history has meant so far.
type stateMap struct {
	t     []uint32
	limit uint32
}

// newStateMap returns a map of n contexts × 256 states, each started at the
// state's prior.
func newStateMap(n int, limit int) stateMap {
	m := stateMap{t: make([]uint32, n*numStates), limit: uint32(limit)}
	for i := range m.t {
		m.t[i] = statePrior(i%numStates) << 10
	}
	return m
}

// p12 returns the probability of a one at index i in 12 bits.
func (m *stateMap) p12(i int) uint32 { return m.t[i] >> 20 }

// update moves entry i toward bit.
func (m *stateMap) update(i int, bit int) {
	updateCounter(&m.t[i], bit, m.limit)
}

// updateCounter moves the probability-and-count word *c toward bit, its
// count capped at limit: the counters of every map and model here.
func updateCounter(c *uint32, bit int, limit uint32) {
	v := *c
	n := v & 1023
	p := int32(v >> 10)
	target := int32(bit) << 22
	p += int32((int64(target-p) * int64(recip[n])) >> 16)
	if n < limit {
		n++
	}
	*c = uint32(p)<<10 | n
}
