package pcm

// The integer logistic machinery of the residual coder (the PAQ family's,
// Mahoney 2005): probabilities of a 1 bit in 12 bits, the logistic domain
// ("stretch", ln(p/(1−p))·256) in [−2047, 2047], adaptive counters and a
// gated linear mixer. Everything is integer arithmetic from a table of
// integer constants, so encoder and decoder agree on every platform.

// squashPoints is 4096/(1 + e^(−x/256)) at x = −2048, −1920, …, 2048,
// rounded: squash interpolates between them.
var squashPoints = [33]int32{1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546,
	2048, 2550, 2994, 3349, 3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095}

// squash maps the logistic domain to a 12-bit probability.
func squash(x int32) int32 {
	if x > 2047 {
		return 4095
	}
	if x < -2047 {
		return 1
	}
	w := x & 127
	i := (x >> 7) + 16
	return (squashPoints[i]*(128-w) + squashPoints[i+1]*w + 64) >> 7
}

// stretchTab inverts squash: stretchTab[p] is the smallest x with
// squash(x) ≥ p, for p in 0..4095.
var stretchTab = func() (t [4096]int16) {
	pi := 0
	for x := int32(-2047); x <= 2047; x++ {
		v := squash(x)
		for j := pi; j <= int(v); j++ {
			t[j] = int16(x)
		}
		pi = int(v) + 1
	}
	for j := pi; j < 4096; j++ {
		t[j] = 2047
	}
	return t
}()

func stretch(p int32) int32 { return int32(stretchTab[p]) }

// counter is an adaptive estimate of P(1) in 16 bits, learning at rate
// 1/(n+1.5) from its n-th bit until n reaches its limit (a fast start,
// then a fixed window).
type counter struct {
	p, n uint16
}

// recip[n] = 65536/(n + 1.5), rounded.
var recip = func() (t [1024]int32) {
	for n := range t {
		t[n] = int32((2*65536 + (2*n+3)/2) / (2*n + 3))
	}
	return t
}()

func (c *counter) p12() int32 {
	if c.n == 0 {
		return 2048
	}
	return int32(c.p >> 4)
}

func (c *counter) update(bit int, limit uint16) {
	p := int32(c.p)
	if c.n == 0 {
		p = 32768
	}
	target := int32(bit) << 16
	p += int32((int64(target-p) * int64(recip[c.n])) >> 16)
	c.p = uint16(max(32, min(65535-32, p)))
	if c.n < limit {
		c.n++
	}
}

// mixer combines the stretched probabilities of n inputs with one of
// several weight sets chosen by a context: p = squash(Σ wᵢ·xᵢ >> 16),
// trained online to reduce coding cost (weights move by xᵢ·error).
type mixer struct {
	n   int
	w   []int32
	x   []int32
	set int
	pr  int32
	lr  int32
}

func newMixer(n, sets int, lr int32) *mixer {
	m := &mixer{n: n, w: make([]int32, n*sets), x: make([]int32, n), lr: lr}
	for i := range m.w {
		m.w[i] = 65536 * 4 / 10 // a start that sums several inputs
	}
	return m
}

// mix returns the mixed 12-bit probability of the inputs in m.x.
func (m *mixer) mix(set int) int32 {
	m.set = set
	w := m.w[set*m.n : (set+1)*m.n]
	var dot int64
	for i, x := range m.x {
		dot += int64(x) * int64(w[i])
	}
	m.pr = squash(int32(dot >> 16))
	return m.pr
}

func (m *mixer) update(bit int) {
	err := (int32(bit) << 12) - m.pr
	w := m.w[m.set*m.n : (m.set+1)*m.n]
	for i, x := range m.x {
		w[i] += (x*err*m.lr + 1<<13) >> 14
	}
}
