// Package cm is lmzip's adaptive model: bitwise context mixing in the
// manner of the PAQ family (M. Mahoney, "Adaptive weighing of context
// models for lossless data compression", 2005; lpaq1). Each context (the
// previous k bytes, hashed, or the current word) owns a probability
// counter for every bit position of the next byte; a gated linear network
// in the logistic domain (the mixer, trained online by gradient descent on
// coding cost) combines their predictions, and adaptive probability maps
// (SSE) refine the result.
//
//	x_i = Stretch(p_i) = ln(p_i / (1 - p_i))
//	p   = Squash(Σ w_i x_i),   Δw_i = η (bit − p) x_i
//
// All state and arithmetic is integer, so the decoder replays the encoder's
// learning bit for bit on every platform. Online neural predictors (package
// online) join the mixer as inputs through [Predictor]. The counters and the
// integer exp, squash and stretch tables (numerics.go) also serve lmzip's
// static mode.
package cm

// counter: a probability of a one in the high 22 bits and an observation
// count in the low 10; the update moves p by (bit − p)/(n + 1.5), so a new
// context learns fast and an old one settles, up to the count limit.
// Counters are stored XORed with CounterInit, so zeroed memory (fresh from
// the allocator, never touched) holds initialized counters.
const CounterInit = 1 << 31 // p = 0.5, n = 0

// recip[n] = 65536 / (n + 1.5)
var recip [1024]int32

func init() {
	for n := range recip {
		recip[n] = int32(131072 / (2*n + 3))
	}
}

// CounterP12 is the counter's probability of a one, in 12 bits.
func CounterP12(c uint32) uint32 { return (c ^ CounterInit) >> 20 }

// CounterUpdate moves the counter *c toward bit, its count capped at limit.
func CounterUpdate(c *uint32, bit int, limit uint32) {
	v := *c ^ CounterInit
	n := v & 1023
	p := int64(v >> 10)
	target := int64(bit) << 22
	p += (target - p) * int64(recip[n]) >> 16
	if p < 0 {
		p = 0
	}
	if p > 1<<22-1 {
		p = 1<<22 - 1
	}
	if n < limit {
		n++
	}
	*c = (uint32(p)<<10 | n) ^ CounterInit
}

// Mixer is a gated linear network in the logistic domain: one set of Q16
// weights per value of a small context, trained online toward the coded
// bits.
type Mixer struct {
	n   int
	w   []int32
	lr  int64
	set int   // the selected weight set (offset into w)
	pr  int32 // the last output, 12-bit
	dot int32 // the last output in the logistic domain
}

// NewMixer returns a mixer of n inputs with sets weight sets, learning
// rate lr and every weight init (Q16).
func NewMixer(n, sets int, lr int, init int32) *Mixer {
	m := &Mixer{n: n, w: make([]int32, n*sets), lr: int64(lr)}
	for i := range m.w {
		m.w[i] = init
	}
	return m
}

// Mix returns the weighted sum of the inputs x (stretched probabilities)
// under weight set set, in the logistic domain, clamped to ±2047; the
// following Update trains that set.
func (m *Mixer) Mix(x []int32, set int) int32 {
	m.set = set * m.n
	w := m.w[m.set : m.set+m.n]
	x = x[:len(w)]
	var s int64
	for i := range w {
		s += int64(x[i]) * int64(w[i])
	}
	d := int32(s >> 16)
	if d > 2047 {
		d = 2047
	}
	if d < -2047 {
		d = -2047
	}
	m.dot = d
	m.pr = Squash(d) >> 4
	return d
}

// Update moves the weights of the last Mix toward bit.
func (m *Mixer) Update(x []int32, bit int) {
	// |err| ≤ 2^12·64 and |x| < 2^11, so x·err fits in int32.
	err := (int32(bit)<<12 - m.pr) * int32(m.lr)
	w := m.w[m.set : m.set+m.n]
	x = x[:len(w)]
	for i := range w {
		v := w[i] + (x[i]*err+1<<12)>>13
		if v > 1<<22 {
			v = 1 << 22
		}
		if v < -(1 << 22) {
			v = -(1 << 22)
		}
		w[i] = v
	}
}

// APM is an adaptive probability map (secondary estimation): for each
// context, a piecewise-linear map of the input probability in the logistic
// domain, learned toward the coded bits.
type APM struct {
	t    []uint16 // 33 knots per context, 16-bit probabilities
	idx  int
	rate uint
}

// NewAPM returns a map of contexts contexts learning at 2^-rate, each
// starting as the identity.
func NewAPM(contexts int, rate uint) *APM {
	a := &APM{t: make([]uint16, contexts*33), rate: rate}
	for c := 0; c < contexts; c++ {
		for j := 0; j < 33; j++ {
			a.t[c*33+j] = uint16(Squash(int32((j - 16) * 128)))
		}
	}
	return a
}

// Refine maps the logistic-domain input x (±2047) under context cx to a
// 16-bit probability.
func (a *APM) Refine(x int32, cx int) int32 {
	if x > 2047 {
		x = 2047
	}
	if x < -2047 {
		x = -2047
	}
	v := x + 2048 // 1..4095
	lo := int(v >> 7)
	wt := v & 127
	a.idx = cx*33 + lo
	if wt >= 64 {
		a.idx++
	}
	return (int32(a.t[cx*33+lo])*(128-wt) + int32(a.t[cx*33+lo+1])*wt) >> 7
}

// Update moves the knot nearest the last Refine's input toward bit.
func (a *APM) Update(bit int) {
	g := int32(bit<<16) + int32(bit<<a.rate) - int32(bit) - int32(bit)
	t := int32(a.t[a.idx])
	t += (g - t) >> a.rate
	if t < 1 {
		t = 1
	}
	if t > 65535 {
		t = 65535
	}
	a.t[a.idx] = uint16(t)
}
