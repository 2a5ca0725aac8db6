package online

import "math"

// GPTCore is what every revision of the transformer predictor holds: its
// shape, its parameters (initialized alike), the activations of the
// positions in its window that the backward pass needs, scratch space, and
// the window policy (Learn). A revision supplies the forward step for one
// position and the backward pass over the window (GPT here; the frozen
// revision 1 in package legacy).
type GPTCore struct {
	D, Heads, HD, Layers, W int
	Scale                   float32 // 1/√HD

	Tok, Pos   Param // 256×D (also the output matrix), W×D
	Blocks     []Block
	LnfG, LnfB Param
	Opt        Adam
	params     []*Param

	N      int    // positions in the window
	Inputs []byte // Inputs[t] is the byte read at position t
	// Per position: the final LayerNorm's input, normalized value and
	// output; the softmax over the next byte, and its gradient.
	Xfin, XhatF, Xf []float32 // W×D
	RstdF           []float32 // W
	Probs, DLog     []float32 // W×256
	Tree            Tree

	// scratch
	DX, DTmp, DCur, DLN []float32 // D
	DH4                 []float32 // 4D
	DP                  []float32 // W
}

// Block holds one transformer block's parameters and, per position of the
// window, the activations its backward pass needs.
type Block struct {
	Ln1G, Ln1B, QKV, BQKV, Proj, BProj Param
	Ln2G, Ln2B, FC, BFC, Out, BOut     Param

	XIn, Xhat1, A1 []float32 // W×D: block input, LN1 normalized and output
	Rstd1          []float32 // W
	QKVs           []float32 // W×3D: q, k, v of each position
	Att            []float32 // Heads×W×W: attention weights of position t over j ≤ t
	O              []float32 // W×D: attention output (heads concatenated)
	X2, Xhat2, C   []float32 // W×D: after attention; LN2 normalized and output
	Rstd2          []float32 // W
	F, Act, GF     []float32 // W×4D: MLP pre-GELU, the GELU's kept activation, post-GELU

	// gradients per position, kept for the weight gradients
	DQKV, DY, DF, DM []float32 // W×3D, W×D, W×4D, W×D
}

// NewGPTCore makes the state of a model of width d (a multiple of 32),
// heads heads (each d/heads wide), layers blocks, a window of w bytes
// (even), and Adam rate lr. The weights are uniform in ±0.035 (standard
// deviation 0.02, as GPT-2; the residual projections divided by
// √(2·layers)), LayerNorm gains 1, biases 0, each parameter from its own
// seed in the order below.
func NewGPTCore(d, heads, layers, w int, lr float32) *GPTCore {
	m := &GPTCore{D: d, Heads: heads, HD: d / heads, Layers: layers, W: w, Opt: Adam{LR: lr}}
	m.Scale = float32(1 / math.Sqrt(float64(m.HD)))
	seed := uint64(1000)
	param := func(rows, cols int, scale float32) Param {
		seed++
		return NewParam(rows, cols, seed, scale)
	}
	ones := func() Param {
		p := param(1, d, 0)
		for i := range p.W {
			p.W[i] = 1
		}
		return p
	}
	const s = 0.035
	m.Tok, m.Pos = param(256, d, s), param(w, d, s)
	vec := func(n int) []float32 { return make([]float32, n) }
	for i := 0; i < layers; i++ {
		m.Blocks = append(m.Blocks, Block{
			Ln1G: ones(), Ln1B: param(1, d, 0), QKV: param(3*d, d, s), BQKV: param(1, 3*d, 0),
			Proj: param(d, d, s/float32(math.Sqrt(2*float64(layers)))), BProj: param(1, d, 0),
			Ln2G: ones(), Ln2B: param(1, d, 0), FC: param(4*d, d, s), BFC: param(1, 4*d, 0),
			Out: param(d, 4*d, s/float32(math.Sqrt(2*float64(layers)))), BOut: param(1, d, 0),
			XIn: vec(w * d), Xhat1: vec(w * d), A1: vec(w * d), Rstd1: vec(w),
			QKVs: vec(w * 3 * d), Att: vec(heads * w * w), O: vec(w * d),
			X2: vec(w * d), Xhat2: vec(w * d), C: vec(w * d), Rstd2: vec(w),
			F: vec(w * 4 * d), Act: vec(w * 4 * d), GF: vec(w * 4 * d),
			DQKV: vec(w * 3 * d), DY: vec(w * d), DF: vec(w * 4 * d), DM: vec(w * d),
		})
	}
	m.LnfG, m.LnfB = ones(), param(1, d, 0)
	m.params = []*Param{&m.Tok, &m.Pos}
	for i := range m.Blocks {
		l := &m.Blocks[i]
		m.params = append(m.params, &l.Ln1G, &l.Ln1B, &l.QKV, &l.BQKV, &l.Proj, &l.BProj, &l.Ln2G, &l.Ln2B, &l.FC, &l.BFC, &l.Out, &l.BOut)
	}
	m.params = append(m.params, &m.LnfG, &m.LnfB)
	m.Inputs = make([]byte, w)
	m.Xfin, m.XhatF, m.Xf, m.RstdF = vec(w*d), vec(w*d), vec(w*d), vec(w)
	m.Probs, m.DLog = vec(w*256), vec(w*256)
	m.DX, m.DTmp, m.DCur, m.DLN, m.DH4 = vec(d), vec(d), vec(d), vec(d), vec(4*d)
	m.DP = vec(w)
	return m
}

// GPTMemory is the approximate memory, in bytes, of a transformer of width
// d with heads heads, layers blocks and a window of w bytes: the weights
// with their gradients and Adam moments, and the window's activations.
func GPTMemory(d, heads, layers, w int) int64 {
	d64, w64, l64 := int64(d), int64(w), int64(layers)
	params := 256*d64 + w64*d64 + l64*(12*d64*d64+13*d64) + 2*d64
	perPos := l64*(31*d64+int64(heads)*w64+2) + 3*d64 + 1 + 512
	return 16*params + 4*w64*perPos
}

// Params lists every parameter, in the order of their seeds.
func (m *GPTCore) Params() []*Param { return m.params }

// P12 returns P(next bit = 1) in 12 bits given the byte's bits so far (c0,
// with a leading 1).
func (m *GPTCore) P12(c0 uint32) uint32 { return m.Tree.P12(c0) }

// Dist is the next byte's distribution as a sum tree.
func (m *GPTCore) Dist() *Tree { return &m.Tree }

// Learn is the window policy, given the byte c that followed the last
// position: with the window full, backward(c) sets the gradients of its
// coding loss, Adam takes one step, and the newest half of the window is
// re-encoded with the new weights at positions 0..W/2−1 (the gpt package's
// KV cache policy: drop the oldest half); then push(c) encodes c at the
// next position.
func (m *GPTCore) Learn(c byte, backward, push func(byte)) {
	if m.N == m.W {
		backward(c)
		lr := m.Opt.Next()
		for _, q := range m.params {
			q.Step(lr)
		}
		half := m.W / 2
		copy(m.Inputs, m.Inputs[half:])
		m.N = 0
		for t := 0; t < half; t++ {
			push(m.Inputs[t])
		}
	}
	push(c)
}

// Target returns the byte that followed position t of a full window, c
// after the last one.
func (m *GPTCore) Target(t int, c byte) byte {
	if t+1 < m.W {
		return m.Inputs[t+1]
	}
	return c
}
