package legacy

import (
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// LSTM is revision 1 of the adaptive mode's LSTM predictor (online.LSTM
// is the current one): a one-layer LSTM over bytes with a 256-way softmax,
// trained online as it codes, gate order [i f o g], its cell, softmax and
// backward pass written out here with their own summation orders.
type LSTM struct {
	h, horizon int

	// Parameters, each with its gradient and Adam moments: params[k] is
	// wx (256 rows of 4h: the input byte's column of the input matrix, as a
	// row), wh (4h×h), b (4h), wo (256×h), bo (256).
	params [5]online.Param

	// The last `horizon` steps, for backpropagation through time. Step s
	// read byte in[s] with state hPrev[s], cPrev[s]; its gates (i, f, o
	// activated, g after tanh), cell c, tanh(c), h and softmax p; target[s]
	// is the byte that followed.
	in, target []byte
	hPrev      [][]float32 // views of hPrevBuf, hsBuf, pBuf, dzBuf:
	cPrev      [][]float32 // steps × width, contiguous, for ExactOuterSum
	gates      [][]float32
	c, tc, hs  [][]float32
	p          [][]float32
	dzs        [][]float32
	hPrevBuf   []float32
	hsBuf      []float32
	pBuf       []float32
	dzBuf      []float32
	n          int // steps recorded since the last update

	hCur, cCur []float32 // the state after the last step
	tree       online.Tree
	logits     []float32
	opt        online.Adam

	// scratch for backpropagation
	dh, dhNext, dcNext []float32
	rows               online.Rows
}

// NewLSTM makes a model with h cells (a multiple of 32: the exact kernels'
// vector width), backpropagation over horizon bytes and Adam learning rate
// lr.
func NewLSTM(h, horizon int, lr float32) *LSTM {
	m := &LSTM{h: h, horizon: horizon, params: online.NewLSTMParams(h), opt: online.Adam{LR: lr}}
	g := 4 * h
	vec := func() []float32 { return make([]float32, h) }
	m.hPrevBuf = make([]float32, horizon*h)
	m.hsBuf = make([]float32, horizon*h)
	m.pBuf = make([]float32, horizon*256)
	m.dzBuf = make([]float32, horizon*g)
	for s := 0; s < horizon; s++ {
		m.hPrev = append(m.hPrev, m.hPrevBuf[s*h:(s+1)*h])
		m.hs = append(m.hs, m.hsBuf[s*h:(s+1)*h])
		m.p = append(m.p, m.pBuf[s*256:(s+1)*256])
		m.dzs = append(m.dzs, m.dzBuf[s*g:(s+1)*g])
		m.cPrev = append(m.cPrev, vec())
		m.gates = append(m.gates, make([]float32, g))
		m.c = append(m.c, vec())
		m.tc = append(m.tc, vec())
	}
	m.in = make([]byte, horizon)
	m.target = make([]byte, horizon)
	m.hCur, m.cCur = vec(), vec()
	m.logits = make([]float32, 256)
	m.dh, m.dhNext, m.dcNext = vec(), vec(), vec()
	m.step(0)
	return m
}

// P12 returns P(next bit = 1) in 12 bits given the byte's bits so far (c0,
// with a leading 1).
func (m *LSTM) P12(c0 uint32) uint32 { return m.tree.P12(c0) }

// Update learns that the byte c followed, then predicts the next byte.
func (m *LSTM) Update(c byte) {
	m.target[m.n] = c
	m.n++
	if m.n == m.horizon {
		m.train()
		m.n = 0
	}
	m.step(c)
}

// step runs the LSTM on input byte x from (hCur, cCur), records the step at
// slot m.n and leaves the next byte's distribution in m.tree.
func (m *LSTM) step(x byte) {
	h := m.h
	s := m.n
	copy(m.hPrev[s], m.hCur)
	copy(m.cPrev[s], m.cCur)
	m.in[s] = x
	z := m.gates[s]
	wx, wh, b := &m.params[0], &m.params[1], &m.params[2]
	kernels.ExactMatVec(z, wh.W, m.hCur)
	xr := wx.W[int(x)*4*h : (int(x)+1)*4*h]
	for j := range z {
		z[j] = (z[j] + xr[j]) + b.W[j]
	}
	kernels.ExactSigmoidSlice(z[:3*h], z[:3*h])
	kernels.ExactTanhSlice(z[3*h:], z[3*h:])
	ig, fg, og, gg := z[:h], z[h:2*h], z[2*h:3*h], z[3*h:]
	c, tc, hs := m.c[s], m.tc[s], m.hs[s]
	for j := 0; j < h; j++ {
		c[j] = float32(fg[j]*m.cCur[j]) + float32(ig[j]*gg[j])
	}
	kernels.ExactTanhSlice(tc, c)
	for j := 0; j < h; j++ {
		hs[j] = float32(og[j] * tc[j])
	}
	copy(m.hCur, hs)
	copy(m.cCur, c)

	// Softmax over the next byte, then the bit tree.
	kernels.ExactMatVec(m.logits, m.params[3].W, hs)
	kernels.ExactAxpy(1, m.params[4].W, m.logits)
	softmaxTree(m.p[s], m.logits, &m.tree)
}

func clip(x float32) float32 {
	if x > online.Clip {
		return online.Clip
	}
	if x < -online.Clip {
		return -online.Clip
	}
	if x != x {
		return 0
	}
	return x
}

// train backpropagates the coding loss of the recorded steps through time
// and takes one Adam step.
func (m *LSTM) train() {
	m.backward()
	m.adam()
}

// backward sets the parameters' gradients of the coding loss of the
// recorded steps, Σₛ −ln pₛ(targetₛ), through time from the first recorded
// state. The softmax outputs in pBuf become the output layer's gradients in
// place (p − onehot(target)). Entries of dh and dc are clipped to
// ±online.Clip.
func (m *LSTM) backward() {
	h, T := m.h, m.horizon
	wx, wh, b, wo, bo := &m.params[0], &m.params[1], &m.params[2], &m.params[3], &m.params[4]
	clear(m.dhNext)
	clear(m.dcNext)
	for s := T - 1; s >= 0; s-- {
		dl := m.p[s]
		dl[m.target[s]] -= 1
		dh := m.dh
		copy(dh, m.dhNext)
		kernels.ExactMatTVecAdd(dh, wo.W, dl)

		z := m.gates[s]
		ig, fg, og, gg := z[:h], z[h:2*h], z[2*h:3*h], z[3*h:]
		tc, cp := m.tc[s], m.cPrev[s]
		dz := m.dzs[s]
		for j := 0; j < h; j++ {
			dhj := clip(dh[j])
			do := float32(dhj * tc[j])
			dc := float32(float32(dhj*og[j])*(1-float32(tc[j]*tc[j]))) + m.dcNext[j]
			dc = clip(dc)
			dz[j] = float32(float32(dc*gg[j])*ig[j]) * (1 - ig[j])     // input gate
			dz[h+j] = float32(float32(dc*cp[j])*fg[j]) * (1 - fg[j])   // forget gate
			dz[2*h+j] = float32(do*og[j]) * (1 - og[j])                // output gate
			dz[3*h+j] = float32(dc*ig[j]) * (1 - float32(gg[j]*gg[j])) // candidate
			m.dcNext[j] = float32(dc * fg[j])
		}
		x := m.in[s]
		kernels.ExactAxpy(1, dz, wx.G[int(x)*4*h:(int(x)+1)*4*h])
		m.rows.Add(x)
		if s > 0 {
			clear(m.dhNext)
			kernels.ExactMatTVecAdd(m.dhNext, wh.W, dz)
		}
	}
	kernels.ExactOuterSum(wh.G, m.dzBuf, m.hPrevBuf, T)
	kernels.ExactOuterSum(wo.G, m.pBuf, m.hsBuf, T)
	for s := 0; s < T; s++ {
		kernels.ExactAxpy(1, m.dzs[s], b.G)
		kernels.ExactAxpy(1, m.p[s], bo.G)
	}
}

// adam takes one Adam step on every parameter with its gradient (clipped
// to ±online.Clip), zeroing the gradients; of the input matrix only the rows
// of the bytes seen since the last step.
func (m *LSTM) adam() {
	lr := m.opt.Next()
	for k := range m.params {
		q := &m.params[k]
		if !q.Sparse {
			q.Step(lr)
			continue
		}
		m.rows.Step(q, lr)
	}
}
