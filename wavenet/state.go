package wavenet

import (
	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/logprobs"
	"github.com/autoreg/autoreg/nn"
)

// Generation reads every matrix from a copy packed into the matrix
// kernels' panel layout (kernels.PackedB), made once per Model on the first
// step of a State, so a sample's one-row products stream the panels
// (kernels.GemvPacked). Training drops the copy (Forward), and the next
// step packs the new weights.

type packedWeights struct {
	conv, res        []kernels.PackedB // per layer
	skip, out1, out2 kernels.PackedB
	queueOff         []int // layer l's ring of d_l·R floats starts at queueOff[l]
	queueLen         int
}

// ParamsChanged tells the model that its parameters were changed other
// than by training (Forward and Backward): written through Arena once
// States have run. The next step of a State repacks the weights.
func (m *Model) ParamsChanged() { m.pack.Drop() }

// packed returns the packed weights, packing them first if needed. Safe
// for concurrent States.
func (m *Model) packed() *packedWeights { return m.pack.Get(m.packWeights) }

// packWeights packs every matrix and lays out a State's queues.
func (m *Model) packWeights() *packedWeights {
	a := m.arena
	R, D, S, O, L, V := m.cfg.Residual, m.cfg.Gate, m.cfg.Skip, m.cfg.out(), m.cfg.Depth(), m.V
	p := &packedWeights{conv: make([]kernels.PackedB, L), res: make([]kernels.PackedB, L)}
	for l, w := range m.layers {
		p.conv[l].Pack(true, 2*R, 2*D, w.conv.Data(a), 2*R)
		if w.res.Len > 0 {
			p.res[l].Pack(true, D, R, w.res.Data(a), D)
		}
	}
	p.skip.Pack(true, L*D, S, m.skip.Data(a), L*D)
	p.out1.Pack(true, S, O, m.out1.Data(a), S)
	p.out2.Pack(true, O, V, m.out2.Data(a), O)
	p.queueOff, p.queueLen = m.queueLayout()
	return p
}

// queueLayout returns where each layer's queue starts in a State's queue
// memory, and its total length: layer l keeps its last d_l inputs.
func (m *Model) queueLayout() ([]int, int) {
	off := make([]int, m.cfg.Depth())
	n := 0
	for l := range off {
		off[l] = n
		n += m.cfg.Dilation(l) * m.cfg.Residual
	}
	return off, n
}

// State is one history: every layer's queue of its last d_l inputs (Fast
// WaveNet), the control code in force and the gated outputs of the last
// step, from which the next sample's distribution is computed when asked.
// Nothing is allocated after NewState.
type State struct {
	m      *Model
	n      int            // tokens appended
	ctl    int            // control index in force
	queue  []float32      // layer l's ring: slot t mod d_l holds r^l_t
	u      []float32      // (L·D) gated outputs of the last step
	r, cat []float32      // (R), (2R)
	z, act []float32      // (2D)
	tmp    []float32      // (R)
	skip   []float32      // (S)
	h      []float32      // (O)
	next   logprobs.Cache // the next token's logits and log-probabilities
	exact  bool           // the bit-exact path (NewExactState)
	th     []float32      // (D) exact path: the gates' tanh
	qoff   []int          // exact path: where each layer's queue starts
}

// NewState returns an empty history: silence in every layer.
func (m *Model) NewState() autoreg.State { return m.newState(false) }

func (m *Model) newState(exact bool) *State {
	R, D, S, O, L := m.cfg.Residual, m.cfg.Gate, m.cfg.Skip, m.cfg.out(), m.cfg.Depth()
	_, q := m.queueLayout()
	return &State{m: m, queue: make([]float32, q), u: make([]float32, L*D), r: make([]float32, R), cat: make([]float32, 2*R),
		z: make([]float32, 2*D), act: make([]float32, 2*D), tmp: make([]float32, R), skip: make([]float32, S),
		h: make([]float32, O), next: logprobs.New("wavenet", m.V, exact), exact: exact}
}

// Len is the number of tokens appended since Reset.
func (s *State) Len() int { return s.n }

// Reset returns to the empty history.
func (s *State) Reset() {
	clear(s.queue)
	s.n, s.ctl = 0, 0
	s.next.Stale()
}

// CopyTo makes dst, a State of the same Model, an independent copy.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m {
		panic("wavenet: CopyTo: destination is not a state of the same model")
	}
	if d.exact != s.exact {
		panic("wavenet: CopyTo: an exact state and a fast one")
	}
	copy(d.queue, s.queue)
	copy(d.u, s.u)
	s.next.CopyTo(&d.next)
	d.n, d.ctl = s.n, s.ctl
}

// Append runs one step of every layer per token.
func (s *State) Append(xs ...autoreg.Token) {
	m, a := s.m, s.m.arena
	R, D, L := m.cfg.Residual, m.cfg.Gate, m.cfg.Depth()
	if len(xs) == 0 {
		return
	}
	var p *packedWeights
	if !s.exact {
		p = m.packed()
	}
	emb := m.emb.Data(a)
	for _, x := range xs {
		s.next.CheckToken("Append", x)
		if k := m.control(x); k >= 0 {
			s.ctl = k
		}
		copy(s.r, emb[int(x)*R:int(x+1)*R])
		if s.exact {
			s.stepExact()
			s.n++
			continue
		}
		for l := range L {
			w := &m.layers[l]
			d := m.cfg.Dilation(l)
			slot := s.queue[p.queueOff[l]+(s.n&(d-1))*R:][:R]
			copy(s.cat[:R], slot) // r^l at t−d (zero before the start)
			copy(s.cat[R:], s.r)
			copy(slot, s.r) // for step t+d
			kernels.GemvPacked(s.z, s.cat, w.bias.Data(a), &p.conv[l], 0, 0, 2*D)
			if w.cond.Len > 0 {
				kernels.Axpy(1, w.cond.Data(a)[s.ctl*2*D:(s.ctl+1)*2*D], s.z)
			}
			u := s.u[l*D : (l+1)*D]
			nn.GatedForward(u, s.act, s.z, 1, D)
			if l < L-1 {
				kernels.GemvPacked(s.tmp, u, w.resb.Data(a), &p.res[l], 0, 0, R)
				kernels.Add(s.r, s.r, s.tmp)
			}
		}
		s.n++
	}
	s.next.Stale()
}

// logits computes the next token's logits from the last step's gated
// outputs.
func (s *State) logits(dst []float32) {
	if s.exact {
		s.logitsExact(dst)
		return
	}
	m, a := s.m, s.m.arena
	p := m.packed()
	kernels.GemvPacked(s.skip, s.u, m.skipb.Data(a), &p.skip, 0, 0, m.cfg.Skip)
	relu(s.skip)
	kernels.GemvPacked(s.h, s.skip, m.out1b.Data(a), &p.out1, 0, 0, m.cfg.out())
	relu(s.h)
	kernels.GemvPacked(dst, s.h, m.out2b.Data(a), &p.out2, 0, 0, m.V)
}

func relu(x []float32) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}

// LogProbs writes log P(next | history) for every token into dst. The
// empty history predicts the uniform distribution.
func (s *State) LogProbs(dst []float32) { s.next.LogProbs(dst, s.n == 0, s.logits) }

// LogProb returns log P(next = x | history).
func (s *State) LogProb(x autoreg.Token) float64 { return s.next.LogProb(x, s.n == 0, s.logits) }
