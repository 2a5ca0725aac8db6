package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Training activations, time-major: row t·B + b is sequence b at step t
// (the layout of the Stack's).

type trainState struct {
	B, T     int
	lookup   bool      // layer 0's input projection through a per-token table (see lookupInput)
	table    []float32 // (V,G·H) W·emb[v] + b, or its gradient in Backward
	ids, tgt []int32   // (T,B)
	emb      []float32 // (T,B,E) the stack's inputs
	embMask  []float32
	st       StackActs
	logits   []float32 // (T·B,V)
	probs    []float32
	losses   []float32
	dtmp     []float32 // (N,H)
	ready    bool
}

func (m *Model) acts(B, T int) *trainState {
	s := m.tr
	if s == nil {
		s = &trainState{}
		m.tr = s
	}
	m.stack.Prepare(&s.st, B, T)
	if s.B == B && s.T == T {
		return s
	}
	H, E, G, V, N := m.cfg.Hidden, m.cfg.embed(), m.cfg.gates(), m.V, B*T
	g := tensor.Grow
	s.B, s.T = B, T
	if cap(s.ids) < N {
		s.ids, s.tgt = make([]int32, N), make([]int32, N)
	}
	s.ids, s.tgt = s.ids[:N], s.tgt[:N]
	g(&s.emb, N*E)
	g(&s.embMask, N*E)
	g(&s.logits, N*V)
	g(&s.probs, N*V)
	g(&s.losses, N)
	g(&s.dtmp, N*H)
	if V <= N/2 {
		g(&s.table, V*G*H)
	}
	return s
}

// lookupInput reports whether layer 0's input projection goes through a
// table: without dropout, the first layer's input at a position is the
// embedding row of its token, so W·x + b takes one of V values. Computing
// the V×G·H table (a V-row product) and gathering its rows replaces the
// N-row product W·x and the N-row products of its backward pass (the
// gradient is first summed per token, then multiplied once per token
// kind): for a char model (V = 65, E = 64, 4H = 2048) about a tenth of a
// training step's arithmetic. Used when V ≤ N/2.
func (m *Model) lookupInput(s *trainState, dropout bool) bool {
	return !dropout && len(s.table) > 0 && m.V <= s.B*s.T/2
}

// Forward runs B sequences of T tokens x (B×T, row-major as package train
// lays them out) against targets y, starting from the carried state (see
// Carry) and leaving the final state there. It returns the summed loss in
// nats and the number of targets; rng drives dropout (nil: none).
func (m *Model) Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	if T < 1 || B < 1 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("rnn: Forward: B=%d T=%d with %d inputs, %d targets", B, T, len(x), len(y)))
	}
	s := m.acts(B, T)
	a := m.arena
	H, E, G, V, N := m.cfg.Hidden, m.cfg.embed(), m.cfg.gates(), m.V, B*T
	for b := range B {
		for t := range T {
			id := x[b*T+t]
			if id < 0 || int(id) >= V {
				panic(fmt.Sprintf("rnn: Forward: token %d outside the vocabulary of %d", id, V))
			}
			s.ids[t*B+b] = id
			s.tgt[t*B+b] = y[b*T+t]
		}
	}
	p := m.cfg.Dropout
	dropout := rng != nil && p > 0
	s.lookup = m.lookupInput(s, dropout)
	in := s.emb[:N*E]
	if s.lookup {
		l0 := &m.stack.layers[0]
		nn.LinearForward(s.table, m.emb.Data(a), l0.wx.Data(a), l0.b.Data(a), m.V, E, G*H)
		nn.EmbeddingForward(s.st.Gates0(), s.ids, s.table, N, G*H)
		in = nil
	} else {
		nn.EmbeddingForward(s.emb, s.ids, m.emb.Data(a), N, E)
	}
	if dropout {
		nn.DropoutForward(s.emb, s.embMask, s.emb, p, rng)
	}
	top := m.stack.Forward(a, &s.st, in, m.Carry(B), B, T, rng)
	nn.LinearForward(s.logits, top, m.outWeight().Data(a), m.bout.Data(a), N, H, V)
	sum, n = nn.CrossEntropyForward(s.losses, s.probs, s.logits, s.tgt, N, V, Ignore)
	s.ready = true
	return sum, n
}

// Probs returns the next-token probabilities the last Forward predicted
// for sequence b at step t (train.Predictor), valid until the next
// Forward or Backward.
func (m *Model) Probs(b, t int) []float32 {
	s := m.tr
	r := t*s.B + b
	return s.probs[r*m.V : (r+1)*m.V]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward), through time within the batch
// (the carried initial state is a constant: truncated BPTT).
func (m *Model) Backward(scale float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("rnn: Backward without Forward")
	}
	s.ready = false
	a := m.arena
	B, T := s.B, s.T
	H, E, G, V, N := m.cfg.Hidden, m.cfg.embed(), m.cfg.gates(), m.V, B*T
	// The logits' gradient replaces the probabilities (not needed after).
	dlogits := s.probs
	fused.CrossEntropyBackwardSet(dlogits, s.probs, s.tgt, N, V, Ignore, scale)
	ow := m.outWeight()
	fused.LinearBackwardSet(s.dtmp, ow.Grad(a), m.bout.Grad(a), dlogits, s.st.Out(), ow.Data(a), N, H, V)
	// s.dtmp is the gradient of the top layer's output after dropout.
	dIn := m.stack.Backward(a, &s.st, s.dtmp, nil)
	if s.lookup {
		// dIn is the gradient of layer 0's pre-activations. The table's
		// gradient (it summed per token), then dW += its transpose times
		// the embedding table, db += its column sums and the embedding's
		// gradient += it times W.
		l0 := &m.stack.layers[0]
		clear(s.table)
		nn.EmbeddingBackward(s.table, dIn, s.ids, N, G*H)
		nn.LinearBackward(m.emb.Grad(a), l0.wx.Grad(a), l0.b.Grad(a), s.table, m.emb.Data(a), l0.wx.Data(a), m.V, E, G*H)
		return
	}
	// Embedding: through its dropout.
	demb := dIn
	if s.st.dropout {
		d := s.st.dG[:N*E]
		fused.DropoutBackwardSet(d, dIn, s.embMask)
		demb = d
	}
	nn.EmbeddingBackward(m.emb.Grad(a), demb, s.ids, N, E)
}
