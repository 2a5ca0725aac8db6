package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Training activations, time-major: row t·B + b is sequence b at step t,
// so the rows of one step are contiguous for the recurrent GEMMs.

type layerActs struct {
	xg    []float32 // (T,B,G·H) W·x + b; LSTM: then the gate activations
	gates []float32 // GRU: (T,B,3H) activations [r z n]
	hg    []float32 // GRU: (T,B,3H) U·h' + [0 0 b_hn]
	hs    []float32 // (T+1,B,H): hs[0] is the carried state
	cs    []float32 // LSTM: (T+1,B,H)
	tanhC []float32 // LSTM: (T,B,H)
	out   []float32 // (T,B,H) hs[1:] after dropout
	mask  []float32 // (T,B,H) dropout factors
}

type trainState struct {
	B, T     int
	dropout  bool
	lookup   bool      // layer 0's input projection through a per-token table (see lookupInput)
	table    []float32 // (V,G·H) W·emb[v] + b, or its gradient in Backward
	ids, tgt []int32   // (T,B)
	emb      []float32
	embMask  []float32
	layers   []layerActs
	logits   []float32 // (T·B,V)
	probs    []float32
	losses   []float32
	// Gradient scratch.
	dH, dtmp []float32       // (N,H)
	dIn      []float32       // (N,max(E,H))
	dG, dhg  []float32       // (N,G·H)
	dhn, dcn []float32       // (B,H)
	dcp      []float32       // (B,H)
	colTmp   []float32       // (G·H)
	packU    kernels.PackedB // U of the current layer, packed for the step products
	ready    bool
}

func (m *Model) acts(B, T int) *trainState {
	s := m.tr
	if s == nil {
		s = &trainState{}
		m.tr = s
	}
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
	if len(s.layers) != m.cfg.Layers {
		s.layers = make([]layerActs, m.cfg.Layers)
	}
	for l := range s.layers {
		a := &s.layers[l]
		g(&a.xg, N*G*H)
		g(&a.hs, (T+1)*B*H)
		if m.cfg.Cell == LSTM {
			g(&a.cs, (T+1)*B*H)
			g(&a.tanhC, N*H)
		} else {
			g(&a.gates, N*G*H)
			g(&a.hg, N*G*H)
		}
		g(&a.out, N*H)
		g(&a.mask, N*H)
	}
	g(&s.logits, N*V)
	g(&s.probs, N*V)
	g(&s.losses, N)
	g(&s.dH, N*H)
	g(&s.dtmp, N*H)
	g(&s.dIn, N*max(E, H))
	g(&s.dG, N*max(G*H, E))
	g(&s.dhg, N*G*H)
	g(&s.dhn, B*H)
	g(&s.dcn, B*H)
	g(&s.dcp, B*H)
	g(&s.colTmp, G*H)
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
func (m *Model) lookupInput(s *trainState) bool {
	return !s.dropout && len(s.table) > 0 && m.V <= s.B*s.T/2
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
	H, E, V, N := m.cfg.Hidden, m.cfg.embed(), m.V, B*T
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
	s.dropout = rng != nil && p > 0
	s.lookup = m.lookupInput(s)
	if !s.lookup {
		nn.EmbeddingForward(s.emb, s.ids, m.emb.Data(a), N, E)
	}
	if s.dropout {
		nn.DropoutForward(s.emb, s.embMask, s.emb, p, rng)
	}
	in := m.stackForward(s, rng)
	nn.LinearForward(s.logits, in, m.outWeight().Data(a), m.bout.Data(a), N, H, V)
	sum, n = nn.CrossEntropyForward(s.losses, s.probs, s.logits, s.tgt, N, V, Ignore)
	s.ready = true
	return sum, n
}

// stackForward runs the layers over the B×T inputs in s.emb (time-major,
// after the input dropout; or, with s.lookup, through the token table of
// s.ids), starting from the carried state and leaving the final state
// there, and returns the top layer's output after dropout (N,H).
func (m *Model) stackForward(s *trainState, rng *rand.Rand) []float32 {
	a := m.arena
	B, T := s.B, s.T
	H, E, G, N := m.cfg.Hidden, m.cfg.embed(), m.cfg.gates(), B*T
	p := m.cfg.Dropout
	carry := m.Carry(B)
	in, inW := s.emb, E
	for l := range m.layers {
		w, la := &m.layers[l], &s.layers[l]
		if l == 0 && s.lookup {
			nn.LinearForward(s.table, m.emb.Data(a), w.wx.Data(a), w.b.Data(a), m.V, E, G*H)
			nn.EmbeddingForward(la.xg, s.ids, s.table, N, G*H)
		} else {
			nn.LinearForward(la.xg, in, w.wx.Data(a), w.b.Data(a), N, inW, G*H)
		}
		ch := carry[l*B*H : (l+1)*B*H]
		copy(la.hs[:B*H], ch)
		// The step products h·Uᵀ multiply by U packed once per Forward
		// (Sgemm would pack its right operand again at every step).
		pu := &s.packU
		pu.Pack(true, H, G*H, w.wh.Data(a), H)
		if m.cfg.Cell == LSTM {
			cc := carry[(m.cfg.Layers+l)*B*H : (m.cfg.Layers+l+1)*B*H]
			copy(la.cs[:B*H], cc)
			for t := range T {
				g := la.xg[t*B*G*H : (t+1)*B*G*H]
				kernels.SgemmPacked(false, B, 1, la.hs[t*B*H:], H, pu, 1, g, G*H)
				nn.LSTMCellForward(la.hs[(t+1)*B*H:(t+2)*B*H], la.cs[(t+1)*B*H:(t+2)*B*H],
					la.tanhC[t*B*H:(t+1)*B*H], g, la.cs[t*B*H:(t+1)*B*H], B, H)
			}
			copy(cc, la.cs[T*B*H:])
		} else {
			bhn := w.bhn.Data(a)
			for t := range T {
				hg := la.hg[t*B*G*H : (t+1)*B*G*H]
				kernels.SgemmPacked(false, B, 1, la.hs[t*B*H:], H, pu, 0, hg, G*H)
				for b := range B {
					kernels.Axpy(1, bhn, hg[b*G*H+2*H:b*G*H+3*H])
				}
				nn.GRUCellForward(la.hs[(t+1)*B*H:(t+2)*B*H], la.gates[t*B*G*H:(t+1)*B*G*H],
					la.xg[t*B*G*H:(t+1)*B*G*H], hg, la.hs[t*B*H:(t+1)*B*H], B, H)
			}
		}
		copy(ch, la.hs[T*B*H:])
		if s.dropout {
			nn.DropoutForward(la.out, la.mask, la.hs[B*H:], p, rng)
		} else {
			copy(la.out, la.hs[B*H:])
		}
		in, inW = la.out, H
	}
	return in
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
	H, E, V, N := m.cfg.Hidden, m.cfg.embed(), m.V, B*T
	L := len(m.layers)
	// The logits' gradient replaces the probabilities (not needed after).
	dlogits := s.probs
	fused.CrossEntropyBackwardSet(dlogits, s.probs, s.tgt, N, V, Ignore, scale)
	ow := m.outWeight()
	fused.LinearBackwardSet(s.dtmp, ow.Grad(a), m.bout.Grad(a), dlogits, s.layers[L-1].out, ow.Data(a), N, H, V)
	// s.dtmp is the gradient of the top layer's output after dropout.
	dOut := m.stackBackward(s, s.dtmp)
	if dOut == nil {
		return // the token table took the gradient to the embedding
	}
	// Embedding: through its dropout.
	demb := dOut
	if s.dropout {
		d := s.dG[:N*E]
		fused.DropoutBackwardSet(d, dOut, s.embMask)
		demb = d
	}
	nn.EmbeddingBackward(m.emb.Grad(a), demb, s.ids, N, E)
}

// stackBackward accumulates the gradients of the layers given dOut, the
// gradient of the top layer's output after dropout (N,H), and returns the
// gradient of the layers' input s.emb (N,E), or nil when the token table
// (s.lookup) took it to the embedding's gradient itself.
func (m *Model) stackBackward(s *trainState, dOut []float32) []float32 {
	a := m.arena
	B, T := s.B, s.T
	H, E, G, N := m.cfg.Hidden, m.cfg.embed(), m.cfg.gates(), B*T
	L := len(m.layers)
	for l := L - 1; l >= 0; l-- {
		w, la := &m.layers[l], &s.layers[l]
		// Through the output dropout: dH = gradient of hs[1:].
		if s.dropout {
			fused.DropoutBackwardSet(s.dH, dOut, la.mask)
		} else {
			copy(s.dH, dOut)
		}
		in, inW := s.emb, E
		if l > 0 {
			in, inW = s.layers[l-1].out, H
		}
		pu := &s.packU
		pu.Pack(false, G*H, H, w.wh.Data(a), H)
		dG := s.dG[:N*G*H]
		clear(s.dhn)
		if m.cfg.Cell == LSTM {
			dcn, dcp := s.dcn, s.dcp
			for t := T - 1; t >= 0; t-- {
				dh := s.dH[t*B*H : (t+1)*B*H]
				if t < T-1 {
					kernels.Axpy(1, s.dhn, dh)
				}
				var dc []float32
				if t < T-1 {
					dc = dcn
				}
				g := dG[t*B*G*H : (t+1)*B*G*H]
				fused.LSTMCellBackwardSet(g, dcp, dh, dc, la.xg[t*B*G*H:(t+1)*B*G*H], la.cs[t*B*H:(t+1)*B*H],
					la.tanhC[t*B*H:(t+1)*B*H], B, H)
				// dh_(t−1) = dG_t·U
				kernels.SgemmPacked(false, B, 1, g, G*H, pu, 0, s.dhn, H)
				dcn, dcp = dcp, dcn
			}
			// dU += Σ_t dG_tᵀ·h_(t−1), one GEMM over all steps.
			kernels.Sgemm(true, false, G*H, H, N, 1, dG, G*H, la.hs, H, 1, w.wh.Grad(a), H)
		} else {
			dhg := s.dhg[:N*G*H]
			for t := T - 1; t >= 0; t-- {
				dh := s.dH[t*B*H : (t+1)*B*H]
				if t < T-1 {
					kernels.Axpy(1, s.dhn, dh)
				}
				hgT := dhg[t*B*G*H : (t+1)*B*G*H]
				clear(hgT)
				clear(dG[t*B*G*H : (t+1)*B*G*H])
				clear(s.dcp) // dh_(t−1) accumulator
				nn.GRUCellBackward(dG[t*B*G*H:(t+1)*B*G*H], hgT, s.dcp, dh, la.gates[t*B*G*H:(t+1)*B*G*H],
					la.hg[t*B*G*H:(t+1)*B*G*H], la.hs[t*B*H:(t+1)*B*H], B, H)
				kernels.SgemmPacked(false, B, 1, hgT, G*H, pu, 1, s.dcp, H)
				copy(s.dhn, s.dcp)
			}
			kernels.Sgemm(true, false, G*H, H, N, 1, dhg, G*H, la.hs, H, 1, w.wh.Grad(a), H)
			clear(s.colTmp)
			fused.ColumnSums(s.colTmp, dhg, N, G*H)
			kernels.Axpy(1, s.colTmp[2*H:3*H], w.bhn.Grad(a))
		}
		if l == 0 && s.lookup {
			// The table's gradient (dG summed per token), then dW += its
			// transpose times the embedding table, db += its column sums
			// and the embedding's gradient += it times W.
			clear(s.table)
			nn.EmbeddingBackward(s.table, dG, s.ids, N, G*H)
			nn.LinearBackward(m.emb.Grad(a), w.wx.Grad(a), w.b.Grad(a), s.table, m.emb.Data(a), w.wx.Data(a), m.V, E, G*H)
			return nil
		}
		// Input side: dW += dGᵀ·in, db += Σ dG, dIn = dG·W.
		fused.LinearBackwardSet(s.dIn[:N*inW], w.wx.Grad(a), w.b.Grad(a), dG, in, w.wx.Data(a), N, inW, G*H)
		// Consumed into dH at the top of the next iteration, before dIn
		// is written again.
		dOut = s.dIn[:N*inW]
	}
	return dOut
}
