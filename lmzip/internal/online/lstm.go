package online

import (
	"math"

	"github.com/autoreg/autoreg/internal/exact"
)

// LSTM is the adaptive mode's LSTM predictor: one layer of h cells over
// bytes with a 256-way softmax, trained online as it codes (the approach of
// lstm-compress and cmix's LSTM: predict the next byte, learn it once
// coded, backpropagate through time over the last few bytes). Its byte
// distribution becomes the probability of each next bit given the bits of
// the byte coded so far, which the context mixer takes as one more input.
//
// Per byte x, with h and c the state after the previous byte:
//
//	z = exact.Linear(W_h, h, b) + W_x[x]      (4h pre-activations, [i f g o])
//	h, c = exact.LSTMCell(z, c)
//	p = exact.Softmax(exact.Linear(W_o, h, b_o))
//
// Every Horizon bytes, the coding loss Σₛ −ln pₛ(next byteₛ) of those steps
// is backpropagated through them (from the state the first one started in;
// the state itself runs on unbroken) with the pieces' backward passes, the
// gradients reaching h and the cell state clipped to ±Clip at every step,
// and Adam takes one step (the input matrix's rows only for the bytes that
// occurred).
type LSTM struct {
	h, horizon int

	// params are wx (256 rows of 4h: the input byte's column of the input
	// matrix, as a row), wh (4h×h), b (4h), wo (256×h), bo (256).
	params [5]Param

	// The last `horizon` steps, for backpropagation through time, each
	// buffer steps × width: step s read byte in[s] in the state hPrev[s],
	// cPrev[s], its gates' activations, tanh of its cell, its output hs
	// and softmax p; target[s] is the byte that followed. dz holds the
	// steps' pre-activation gradients.
	in, target                     []byte
	hPrev, cPrev, gates, tanhC, hs []float32
	p, dz                          []float32
	n                              int // steps recorded since the last update
	hCur, cCur                     []float32
	tree                           Tree
	opt                            Adam
	dh, dhNext, dcNext             []float32
	rows                           Rows
}

// NewLSTMParams returns the parameters of an LSTM of h cells: wx uniform
// in ±0.3, wh and wo in ±1/√h, biases zero but the forget gates' (1, open,
// as usual for LSTMs), each from its own seed. Every revision of the
// predictor starts from these weights.
func NewLSTMParams(h int) [5]Param {
	var ps [5]Param
	g := 4 * h
	shapes := [5][2]int{{256, g}, {g, h}, {1, g}, {256, h}, {1, 256}}
	inv := float32(1 / math.Sqrt(float64(h)))
	for k, scale := range []float32{0.3, inv, 0, inv, 0} {
		ps[k] = NewParam(shapes[k][0], shapes[k][1], uint64(k), scale)
	}
	ps[0].Sparse = true
	b := ps[2].W
	for j := h; j < 2*h; j++ {
		b[j] = 1
	}
	return ps
}

// LSTMMemory is the approximate memory, in bytes, of an LSTM of h cells
// with backpropagation over horizon bytes: the weights with their
// gradients and Adam moments, and the recorded steps.
func LSTMMemory(h, horizon int) int64 {
	h64, t := int64(h), int64(horizon)
	return 16*(256*4*h64+4*h64*h64+4*h64+256*h64+256) + 4*t*(12*h64+256)
}

// NewLSTM makes a model with h cells (a multiple of 32: the exact kernels'
// vector width), backpropagation over horizon bytes and Adam learning rate
// lr, and predicts the first byte (after a zero byte).
func NewLSTM(h, horizon int, lr float32) *LSTM {
	m := &LSTM{h: h, horizon: horizon, params: NewLSTMParams(h), opt: Adam{LR: lr}}
	vec := func(n int) []float32 { return make([]float32, n) }
	m.hPrev, m.cPrev, m.tanhC, m.hs = vec(horizon*h), vec(horizon*h), vec(horizon*h), vec(horizon*h)
	m.gates, m.dz, m.p = vec(horizon*4*h), vec(horizon*4*h), vec(horizon*256)
	m.in, m.target = make([]byte, horizon), make([]byte, horizon)
	m.hCur, m.cCur = vec(h), vec(h)
	m.dh, m.dhNext, m.dcNext = vec(h), vec(h), vec(h)
	m.step(0)
	return m
}

// P12 returns P(next bit = 1) in 12 bits given the byte's bits so far (c0,
// with a leading 1).
func (m *LSTM) P12(c0 uint32) uint32 { return m.tree.P12(c0) }

// Dist is the next byte's distribution as a sum tree.
func (m *LSTM) Dist() *Tree { return &m.tree }

// Update learns that the byte c followed, then predicts the next byte.
func (m *LSTM) Update(c byte) {
	m.target[m.n] = c
	m.n++
	if m.n == m.horizon {
		m.backward()
		lr := m.opt.Next()
		for k := 1; k < len(m.params); k++ {
			m.params[k].Step(lr)
		}
		m.rows.Step(&m.params[0], lr)
		m.n = 0
	}
	m.step(c)
}

// row returns step s's slice of a steps × width buffer.
func row(buf []float32, s, width int) []float32 { return buf[s*width : (s+1)*width] }

// step runs the LSTM on input byte x from (hCur, cCur), records the step at
// slot m.n and leaves the next byte's distribution in m.tree.
func (m *LSTM) step(x byte) {
	h, s := m.h, m.n
	wx, wh, b, wo, bo := &m.params[0], &m.params[1], &m.params[2], &m.params[3], &m.params[4]
	cp := row(m.cPrev, s, h)
	copy(row(m.hPrev, s, h), m.hCur)
	copy(cp, m.cCur)
	m.in[s] = x
	z := row(m.gates, s, 4*h)
	exact.Linear(z, m.hCur, wh.W, b.W, 1, h, 4*h)
	exact.Add(z, wx.W[int(x)*4*h:(int(x)+1)*4*h])
	hs := row(m.hs, s, h)
	exact.LSTMCell(hs, m.cCur, row(m.tanhC, s, h), z, cp)
	copy(m.hCur, hs)
	p := row(m.p, s, 256)
	exact.Linear(p, hs, wo.W, bo.W, 1, h, 256)
	exact.Softmax(p)
	m.tree.Set(p)
}

// clipGrad clips every entry of g to ±Clip (a NaN becomes 0).
func clipGrad(g []float32) {
	for j, x := range g {
		switch {
		case x > Clip:
			g[j] = Clip
		case x < -Clip:
			g[j] = -Clip
		case x != x:
			g[j] = 0
		}
	}
}

// backward sets the parameters' gradients of the coding loss of the
// recorded steps, Σₛ −ln pₛ(targetₛ), through time from the first recorded
// state. The softmax outputs in p become the output layer's gradients in
// place (p − onehot(target)).
func (m *LSTM) backward() {
	h, T, ps := m.h, m.horizon, &m.params
	clear(m.dhNext)
	clear(m.dcNext)
	for s := T - 1; s >= 0; s-- {
		dl := row(m.p, s, 256)
		exact.CrossEntropyBackward(dl, dl, int(m.target[s]))
		copy(m.dh, m.dhNext)
		exact.LinearBackwardInput(m.dh, dl, ps[3].W, 1, h, 256)
		clipGrad(m.dh)
		dz := row(m.dz, s, 4*h)
		exact.LSTMCellBackward(dz, m.dcNext, m.dh, m.dcNext, row(m.gates, s, 4*h), row(m.cPrev, s, h), row(m.tanhC, s, h))
		clipGrad(m.dcNext)
		x := m.in[s]
		exact.Add(ps[0].G[int(x)*4*h:(int(x)+1)*4*h], dz)
		m.rows.Add(x)
		if s > 0 {
			clear(m.dhNext)
			exact.LinearBackwardInput(m.dhNext, dz, ps[1].W, 1, h, 4*h)
		}
	}
	exact.LinearBackwardParams(ps[1].G, ps[2].G, m.dz, m.hPrev, T, h, 4*h)
	exact.LinearBackwardParams(ps[3].G, ps[4].G, m.p, m.hs, T, h, 256)
}
