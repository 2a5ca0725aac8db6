package cm

// mixer2 is a two-layer gated linear network in the logistic domain
// (Mahoney, "Adaptive weighing of context models", 2005; paq8's two-layer
// form). The first layer has one neuron per selector; each selector picks,
// by a small context of its own (the partial byte, the match state, the
// previous byte, ...), one of its weight sets, and the neuron's output is
// the dot product of the inputs with that set. The second layer mixes the
// neurons' outputs with a weight set picked by one more context. Every
// neuron learns online from its own coding error:
//
//	d = Σ x_i w_i,  p = Squash(d),  w_i += η (bit − p) x_i.
//
// Integer arithmetic, defined bit for bit: inputs are stretched
// probabilities in [−2047, 2047] (nats × 256), weights Q16 clamped to
// ±(2^20 − 1) so that every product fits in 32 bits, and
//
//	d   = (Σ_i ((x_i · w_i) >> 8)) >> 8, clamped to ±2047
//	err = ((bit << 12) − p12) · rate
//	w_i = clamp(w_i + ((x_i · err + 2^15) >> 16))
//
// (>> is the arithmetic shift). Sums cannot overflow: fewer than 256
// inputs of < 2^23 each.
type mixer2 struct {
	n    int     // inputs
	x    []int32 // the inputs, set by the model before mix
	w    []int32 // first layer: every selector's sets of n weights
	base []int   // first weight of each selector's sets
	cur  []int   // the chosen set's first weight, per selector
	out  []int32 // each neuron's output d (the second layer's inputs)
	pr   []int32 // each neuron's p, 12 bits
	rate int32

	w2    []int32 // second layer: sets of len(out) weights
	cur2  int
	pr2   int32
	rate2 int32
}

const weightMax = 1<<20 - 1

// newMixer2 returns a mixer of n inputs whose selectors choose among
// sets[k] weight sets each, and whose second layer has sets2 weight sets.
func newMixer2(n int, sets []int, sets2 int, rate, rate2 int) *mixer2 {
	m := &mixer2{n: n, x: make([]int32, n), rate: int32(rate), rate2: int32(rate2)}
	total := 0
	for _, s := range sets {
		m.base = append(m.base, total)
		total += s * n
	}
	m.w = make([]int32, total)
	for i := range m.w {
		m.w[i] = 1 << 14
	}
	k := len(sets)
	m.cur = make([]int, k)
	m.out = make([]int32, k)
	m.pr = make([]int32, k)
	m.w2 = make([]int32, sets2*k)
	for i := range m.w2 {
		m.w2[i] = int32(65536 / k)
	}
	return m
}

// dot is the neuron output of inputs x and weights w (same length).
func dot(x, w []int32) int32 {
	w = w[:len(x)]
	var s int32
	for i, xi := range x {
		s += (xi * w[i]) >> 8
	}
	s >>= 8
	return max(-2047, min(2047, s))
}

// train moves weights w toward the bit by err (already scaled by the rate).
func train(x, w []int32, err int32) {
	w = w[:len(x)]
	for i, xi := range x {
		w[i] = max(-weightMax, min(weightMax, w[i]+(xi*err+1<<15)>>16))
	}
}

// mix computes the output, given each selector's chosen set in sel and
// the second layer's in sel2; it returns the probability of a one in 16
// bits and the logistic-domain value it squashes.
func (m *mixer2) mix(sel []int, sel2 int) (p int32, d int32) {
	for k, s := range sel {
		off := m.base[k] + s*m.n
		m.cur[k] = off
		o := dot(m.x, m.w[off:off+m.n])
		m.out[k] = o
		m.pr[k] = Squash(o) >> 4
	}
	k := len(m.out)
	if k == 1 { // one neuron: no second layer
		d = m.out[0]
		return Squash(d), d
	}
	m.cur2 = sel2 * k
	d = dot(m.out, m.w2[m.cur2:m.cur2+k])
	p = Squash(d)
	m.pr2 = p >> 4
	return p, d
}

// update trains every neuron that took part in the last mix on bit.
func (m *mixer2) update(bit int) {
	y := int32(bit) << 12
	for k, off := range m.cur {
		train(m.x, m.w[off:off+m.n], (y-m.pr[k])*m.rate)
	}
	if k := len(m.out); k > 1 {
		train(m.out, m.w2[m.cur2:m.cur2+k], (y-m.pr2)*m.rate2)
	}
}
