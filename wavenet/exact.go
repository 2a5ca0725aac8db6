package wavenet

import (
	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
)

// NewExactState returns an empty history, a *State, whose
// log-probabilities are bit-identical on every platform, build tag and
// GOMAXPROCS: the coding-time path of lmzip's static mode
// (docs/COMPRESSION.md, numeric path 2). It is the same model as
// NewState's, computed with the pieces of internal/exact only: per layer
// exact.CausalConvStep over the layer's queue, the control code's gate
// bias by exact.Add, exact.GatedTanh, the residual's exact.Linear and
// exact.Add; then the skip and output layers by exact.Linear and
// exact.ReLU, and exact.LogSoftmax. Its results equal the fast state's up
// to float rounding. An exact state and a fast one cannot be copied into
// each other.
func (m *Model) NewExactState() autoreg.State {
	s := m.newState(true)
	s.th = make([]float32, m.cfg.Gate)
	s.qoff, _ = m.queueLayout()
	return s
}

// BitExactLogProbs reports whether s came from NewExactState, whose
// log-probabilities are the same bits everywhere (lmzip.BitExact).
func (s *State) BitExactLogProbs() bool { return s.exact }

// stepExact runs every layer of the exact path on the input r (the
// token's embedding), leaving the gated outputs in u.
func (s *State) stepExact() {
	m, a := s.m, s.m.arena
	R, D, L := m.cfg.Residual, m.cfg.Gate, m.cfg.Depth()
	off := s.qoff
	for l := range L {
		w := &m.layers[l]
		d := m.cfg.Dilation(l)
		slot := s.queue[off[l]+(s.n&(d-1))*R:][:R]
		exact.CausalConvStep(s.z, s.cat, slot, s.r, w.conv.Data(a), w.bias.Data(a))
		if w.cond.Len > 0 {
			exact.Add(s.z, w.cond.Data(a)[s.ctl*2*D:(s.ctl+1)*2*D])
		}
		u := s.u[l*D : (l+1)*D]
		exact.GatedTanh(u, s.th, s.act[:D], s.z[:D], s.z[D:])
		if l < L-1 {
			exact.Linear(s.tmp, u, w.res.Data(a), w.resb.Data(a), 1, D, R)
			exact.Add(s.r, s.tmp)
		}
	}
}

// logitsExact is logits on the exact path.
func (s *State) logitsExact(dst []float32) {
	m, a := s.m, s.m.arena
	L, D := m.cfg.Depth(), m.cfg.Gate
	exact.Linear(s.skip, s.u, m.skip.Data(a), m.skipb.Data(a), 1, L*D, m.cfg.Skip)
	exact.ReLU(s.skip)
	exact.Linear(s.h, s.skip, m.out1.Data(a), m.out1b.Data(a), 1, m.cfg.Skip, m.cfg.out())
	exact.ReLU(s.h)
	exact.Linear(dst, s.h, m.out2.Data(a), m.out2b.Data(a), 1, m.cfg.out(), m.V)
}
