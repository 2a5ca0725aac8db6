package gpt

import (
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/nn"
)

// NewExactState returns an empty history, a *State, whose log-probabilities
// are bit-identical on every platform, build tag (the assembly kernels or
// -tags noasm) and GOMAXPROCS: the coding-time path of lmzip's static mode
// (docs/COMPRESSION.md, numeric path 2).
//
// It is the same model as NewState's, with the same window policy, <s> and
// control-code handling; only the arithmetic differs. Every float is
// computed by the bit-exact pieces of internal/exact (fixed summation
// orders, every product rounded to float32 before it is added, our own
// exp and log, nothing in parallel): per position, embedding sum,
// exact.LayerNorm, exact.Linear, exact.AttentionStep over the KV cache,
// exact.GELU, residual additions (exact.Add), and exact.LogSoftmax over
// the tied output layer. The
// results equal the fast state's up to float rounding (about 1e-5 relative
// in a log-probability), and a long Append gives the same bits as
// appending its tokens one by one. It is slower than NewState's state
// (one core, no FMA); ScoreSequence on it scores token by token.
//
// An exact state and a fast one cannot be copied into each other.
func (m *Model) NewExactState() autoreg.State {
	return m.newState(true)
}

// BitExactLogProbs reports whether s came from NewExactState, whose
// log-probabilities are the same bits everywhere (lmzip.BitExact).
func (s *State) BitExactLogProbs() bool { return s.exact }

// forwardExact is forward on the exact path: it encodes xs at the next
// positions of the window (which must have room), one row per token, and
// leaves the last position's logits in s.next.Logits.
func (s *State) forwardExact(xs []autoreg.Token) {
	m, a := s.m, s.m.arena
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	x, n, pos := s.embed(xs)
	wte := m.wte.Data(a)
	ln, qkv, atty, tmp, fch := s.ln[:n*C], s.qkv[:n*3*C], s.atty[:n*C], s.tmp[:n*C], s.fch[:n*4*C]
	// 1/√hs: the square root and the division are correctly rounded.
	scale := float32(1 / math.Sqrt(float64(hs)))
	norm := func(w, b []float32) {
		for i := range n {
			exact.LayerNorm(ln[i*C:(i+1)*C], nil, x[i*C:(i+1)*C], w, b, nn.LayerNormEps)
		}
	}
	for l := range m.layers {
		w := &m.layers[l]
		kc, vc := s.k[l], s.v[l]
		norm(w.ln1w.Data(a), w.ln1b.Data(a))
		exact.Linear(qkv, ln, w.qkvw.Data(a), w.qkvb.Data(a), n, C, 3*C)
		for i := range n {
			copy(kc[(pos+i)*C:(pos+i+1)*C], qkv[i*3*C+C:i*3*C+2*C])
			copy(vc[(pos+i)*C:(pos+i+1)*C], qkv[i*3*C+2*C:i*3*C+3*C])
		}
		for i := range n {
			end := pos + i + 1 // causal: positions 0..pos+i
			for h := range NH {
				exact.AttentionStep(atty[i*C+h*hs:i*C+(h+1)*hs], s.scores[:end], qkv[i*3*C+h*hs:i*3*C+(h+1)*hs],
					kc[h*hs:], vc[h*hs:], C, scale)
			}
		}
		exact.Linear(tmp, atty, w.projw.Data(a), w.projb.Data(a), n, C, C)
		exact.Add(x, tmp)
		norm(w.ln2w.Data(a), w.ln2b.Data(a))
		exact.Linear(fch, ln, w.fcw.Data(a), w.fcb.Data(a), n, C, 4*C)
		exact.GELU(fch, nil, fch)
		exact.Linear(tmp, fch, w.fcprojw.Data(a), w.fcpjb.Data(a), n, 4*C, C)
		exact.Add(x, tmp)
	}
	exact.LayerNorm(ln[:C], nil, x[(n-1)*C:], m.lnfw.Data(a), m.lnfb.Data(a), nn.LayerNormEps)
	exact.Linear(s.next.Logits, ln[:C], wte, nil, 1, C, m.V)
	s.next.SetLogits()
}
