package wavenet

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Training activations: row b·T + t is window b at time t (the windows'
// natural layout), so a causal tap d steps back is the row d before, within
// the same window, and the first d rows of a window read zeros.

type trainState struct {
	B, T     int
	ids, tgt []int32   // (N)
	ctl      []int32   // (N) control index in force at every position
	in       []float32 // (L,N,R): in[l] is layer l's input r^l
	act      []float32 // (L,N,2D): [tanh | σ] of every layer
	u        []float32 // (L,N,D): gated outputs
	z        []float32 // (N,2D) pre-activations, then their gradient
	skip     []float32 // (N,S) skip sum, then relu(skip)
	h        []float32 // (N,O) relu of the output layer's hidden units
	logits   []float32 // (N,V)
	probs    []float32 // (N,V); its gradient in Backward
	losses   []float32 // (N)
	dh       []float32 // (N,O)
	dskip    []float32 // (N,S)
	du       []float32 // (N,D)
	dr       []float32 // (N,R) gradient of the residual stream
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
	R, D, S, O, L, V, N := m.cfg.Residual, m.cfg.Gate, m.cfg.Skip, m.cfg.out(), m.cfg.Depth(), m.V, B*T
	g := tensor.Grow
	s.B, s.T = B, T
	if cap(s.ids) < N {
		s.ids, s.tgt, s.ctl = make([]int32, N), make([]int32, N), make([]int32, N)
	}
	s.ids, s.tgt, s.ctl = s.ids[:N], s.tgt[:N], s.ctl[:N]
	g(&s.in, L*N*R)
	g(&s.act, L*N*2*D)
	g(&s.u, L*N*D)
	g(&s.z, N*2*D)
	g(&s.skip, N*S)
	g(&s.h, N*O)
	g(&s.logits, N*V)
	g(&s.probs, N*V)
	g(&s.losses, N)
	g(&s.dh, N*O)
	g(&s.dskip, N*S)
	g(&s.du, N*D)
	g(&s.dr, N*R)
	return s
}

// Forward runs B windows of T tokens x (B×T, row-major) against targets y
// (Ignore marks positions without one) and returns the summed loss in nats
// and the number of targets. Each window starts from silence (zero inputs
// before its first token in every layer) and with no control code; rng is
// unused (no dropout).
func (m *Model) Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	if T < 1 || B < 1 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("wavenet: Forward: B=%d T=%d with %d inputs, %d targets", B, T, len(x), len(y)))
	}
	m.pack.Drop()
	s := m.acts(B, T)
	a := m.arena
	R, D, S, O, L, V, N := m.cfg.Residual, m.cfg.Gate, m.cfg.Skip, m.cfg.out(), m.cfg.Depth(), m.V, B*T
	for b := range B {
		c := int32(0)
		for t := range T {
			i := b*T + t
			id := x[i]
			if id < 0 || int(id) >= V {
				panic(fmt.Sprintf("wavenet: Forward: token %d outside the vocabulary of %d", id, V))
			}
			if k := m.control(autoreg.Token(id)); k >= 0 {
				c = int32(k)
			}
			s.ids[i], s.tgt[i], s.ctl[i] = id, y[i], c
		}
	}
	nn.EmbeddingForward(s.in[:N*R], s.ids, m.emb.Data(a), N, R)
	skipW := m.skip.Data(a)
	for l := range L {
		w := &m.layers[l]
		in := s.in[l*N*R : (l+1)*N*R]
		act := s.act[l*N*2*D : (l+1)*N*2*D]
		u := s.u[l*N*D : (l+1)*N*D]
		m.convForward(s, l, in)
		if w.cond.Len > 0 {
			cond := w.cond.Data(a)
			for i, c := range s.ctl {
				kernels.Axpy(1, cond[int(c)*2*D:int(c+1)*2*D], s.z[i*2*D:(i+1)*2*D])
			}
		}
		nn.GatedForward(u, act, s.z, N, D)
		if l < L-1 {
			next := s.in[(l+1)*N*R : (l+2)*N*R]
			kernels.Sgemm(false, true, N, R, D, 1, u, D, w.res.Data(a), D, 0, next, R)
			fused.BiasResidualForward(next, in, next, w.resb.Data(a), nil, N, R)
		}
		beta := float32(1)
		if l == 0 {
			beta = 0
		}
		kernels.Sgemm(false, true, N, S, D, 1, u, D, skipW[l*D:], L*D, beta, s.skip, S)
	}
	biasReLU(s.skip, m.skipb.Data(a), N, S)
	nn.LinearForward(s.h, s.skip, m.out1.Data(a), m.out1b.Data(a), N, S, O)
	biasReLU(s.h, nil, N, O)
	nn.LinearForward(s.logits, s.h, m.out2.Data(a), m.out2b.Data(a), N, O, V)
	sum, n = nn.CrossEntropyForward(s.losses, s.probs, s.logits, s.tgt, N, V, Ignore)
	s.ready = true
	return sum, n
}

// convForward sets s.z (N,2D) = the dilated causal convolution of layer l
// over its input in (N,R): the tap at t through the weight's right half
// for all rows at once, then the tap at t−d through its left half, window
// by window (rows d… of each window read rows …T−d of the same window).
func (m *Model) convForward(s *trainState, l int, in []float32) {
	R, D, N, T := m.cfg.Residual, m.cfg.Gate, s.B*s.T, s.T
	w := &m.layers[l]
	W := w.conv.Data(m.arena)
	fused.FillRows(s.z, w.bias.Data(m.arena), N, 2*D, 2*D)
	kernels.Sgemm(false, true, N, 2*D, R, 1, in, R, W[R:], 2*R, 1, s.z, 2*D)
	if d := m.cfg.Dilation(l); d < T {
		for b := range s.B {
			kernels.Sgemm(false, true, T-d, 2*D, R, 1, in[b*T*R:], R, W, 2*R, 1, s.z[(b*T+d)*2*D:], 2*D)
		}
	}
}

// biasReLU sets x (N,C) = relu(x + bias) row by row (bias nil: none).
func biasReLU(x, bias []float32, N, C int) {
	fused.ForRows(N, C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := x[r*C : (r+1)*C]
			if bias != nil {
				kernels.Add(row, row, bias)
			}
			for j, v := range row {
				row[j] = max(v, 0)
			}
		}
	})
}

// reluBackward zeroes the gradient dx (N·C) where the ReLU's output y was
// not positive.
func reluBackward(dx, y []float32) {
	fused.ForChunks(len(dx), func(lo, hi int) {
		for i, v := range y[lo:hi] {
			if v <= 0 {
				dx[lo+i] = 0
			}
		}
	})
}

// Probs returns the next-token probabilities the last Forward predicted
// for window b at position t (train.Predictor: scheduled sampling feeds
// them back), valid until the next Forward or Backward.
func (m *Model) Probs(b, t int) []float32 {
	s := m.tr
	r := b*s.T + t
	return s.probs[r*m.V : (r+1)*m.V]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward).
func (m *Model) Backward(scale float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("wavenet: Backward without Forward")
	}
	s.ready = false
	a := m.arena
	B, T := s.B, s.T
	R, D, S, O, L, V, N := m.cfg.Residual, m.cfg.Gate, m.cfg.Skip, m.cfg.out(), m.cfg.Depth(), m.V, B*T
	dlogits := s.probs
	fused.CrossEntropyBackwardSet(dlogits, s.probs, s.tgt, N, V, Ignore, scale)
	fused.LinearBackwardSet(s.dh, m.out2.Grad(a), m.out2b.Grad(a), dlogits, s.h, m.out2.Data(a), N, O, V)
	reluBackward(s.dh, s.h)
	fused.LinearBackwardSet(s.dskip, m.out1.Grad(a), m.out1b.Grad(a), s.dh, s.skip, m.out1.Data(a), N, S, O)
	reluBackward(s.dskip, s.skip)
	fused.ColumnSums(m.skipb.Grad(a), s.dskip, N, S)
	skipW, skipG := m.skip.Data(a), m.skip.Grad(a)
	clear(s.dr)
	for l := L - 1; l >= 0; l-- {
		w := &m.layers[l]
		in := s.in[l*N*R : (l+1)*N*R]
		act := s.act[l*N*2*D : (l+1)*N*2*D]
		u := s.u[l*N*D : (l+1)*N*D]
		// The gated output feeds the skip sum and (but for the last
		// layer) the residual stream.
		kernels.Sgemm(false, false, N, D, S, 1, s.dskip, S, skipW[l*D:], L*D, 0, s.du, D)
		kernels.Sgemm(true, false, S, D, N, 1, s.dskip, S, u, D, 1, skipG[l*D:], L*D)
		if l < L-1 {
			nn.LinearBackward(s.du, w.res.Grad(a), w.resb.Grad(a), s.dr, u, w.res.Data(a), N, D, R)
		}
		dz := s.z
		clear(dz)
		nn.GatedBackward(dz, s.du, act, N, D)
		fused.ColumnSums(w.bias.Grad(a), dz, N, 2*D)
		if w.cond.Len > 0 {
			cg := w.cond.Grad(a)
			for i, c := range s.ctl {
				kernels.Axpy(1, dz[i*2*D:(i+1)*2*D], cg[int(c)*2*D:int(c+1)*2*D])
			}
		}
		m.convBackward(s, l, in, dz)
	}
	nn.EmbeddingBackward(m.emb.Grad(a), s.dr, s.ids, N, R)
}

// convBackward adds layer l's convolution gradients given dz (N,2D): to the
// weights (both taps) and to s.dr, which holds the gradient of the layer's
// output stream r^(l+1) and leaves as that of its input r^l (the residual
// connection passes it through).
func (m *Model) convBackward(s *trainState, l int, in, dz []float32) {
	R, D, N, T := m.cfg.Residual, m.cfg.Gate, s.B*s.T, s.T
	w := &m.layers[l]
	W, G := w.conv.Data(m.arena), w.conv.Grad(m.arena)
	kernels.Sgemm(true, false, 2*D, R, N, 1, dz, 2*D, in, R, 1, G[R:], 2*R)
	kernels.Sgemm(false, false, N, R, 2*D, 1, dz, 2*D, W[R:], 2*R, 1, s.dr, R)
	if d := m.cfg.Dilation(l); d < T {
		for b := range s.B {
			kernels.Sgemm(true, false, 2*D, R, T-d, 1, dz[(b*T+d)*2*D:], 2*D, in[b*T*R:], R, 1, G, 2*R)
		}
		for b := range s.B {
			kernels.Sgemm(false, false, T-d, R, 2*D, 1, dz[(b*T+d)*2*D:], 2*D, W, 2*R, 1, s.dr[b*T*R:], R)
		}
	}
}
