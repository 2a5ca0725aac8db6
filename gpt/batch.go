package gpt

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Teacher-forced training: Forward runs B sequences of T positions at once
// and Backward accumulates the gradient of the summed loss into the arena.
// The activations below are allocated once per (B,T) and reused.

type layerActs struct {
	ln1, ln1Mean, ln1Rstd []float32 // (N,C), (N), (N)
	qkv                   []float32 // (N,3C)
	att                   []float32 // (B,NH,T,T)
	atty                  []float32 // (N,C)
	attproj               []float32 // (N,C) projection before bias and dropout
	drop1                 []float32 // (N,C) dropout mask
	res2                  []float32 // (N,C)
	ln2, ln2Mean, ln2Rstd []float32
	// The (N,4C) buffers here and in trainState have rows
	// fused.PaddedStride(4C) apart: off multiples of 4 KiB.
	fch     []float32 // (N,4C): gelu' of the MLP's pre-activation
	fchGelu []float32 // (N,4C)
	fcproj  []float32 // (N,C) projection before bias and dropout
	drop2   []float32
	res3    []float32 // (N,C)
}

type trainState struct {
	B, T     int
	dropout  bool
	ids, tgt []int32
	encoded  []float32 // (N,C) after dropout
	drop0    []float32
	layers   []layerActs
	head     nn.Head // the final LayerNorm, logits and loss (N rows)
	// Gradient scratch.
	dres, dA, dB []float32 // (N,C)
	d4a, d4b     []float32 // (N,4C)
	dqkv         []float32 // (N,3C)
	ready        bool      // a Forward has run since the last Backward
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
	C, V, NH, N := m.cfg.Dim, m.V, m.cfg.Heads, B*T
	g := tensor.Grow
	s.B, s.T = B, T
	ld4 := fused.PaddedStride(4 * C)
	if cap(s.ids) < N {
		s.ids, s.tgt = make([]int32, N), make([]int32, N)
	}
	s.ids, s.tgt = s.ids[:N], s.tgt[:N]
	g(&s.encoded, N*C)
	g(&s.drop0, N*C)
	if len(s.layers) != m.cfg.Layers {
		s.layers = make([]layerActs, m.cfg.Layers)
	}
	for l := range s.layers {
		a := &s.layers[l]
		g(&a.ln1, N*C)
		g(&a.ln1Mean, N)
		g(&a.ln1Rstd, N)
		g(&a.qkv, N*3*C)
		g(&a.att, B*NH*T*T)
		g(&a.atty, N*C)
		g(&a.attproj, N*C)
		g(&a.drop1, N*C)
		g(&a.res2, N*C)
		g(&a.ln2, N*C)
		g(&a.ln2Mean, N)
		g(&a.ln2Rstd, N)
		g(&a.fch, N*ld4)
		g(&a.fchGelu, N*ld4)
		g(&a.fcproj, N*C)
		g(&a.drop2, N*C)
		g(&a.res3, N*C)
	}
	s.head.Grow(N, C, V)
	g(&s.dres, N*C)
	g(&s.dA, N*C)
	g(&s.dB, N*C)
	g(&s.d4a, N*ld4)
	g(&s.d4b, N*ld4)
	g(&s.dqkv, N*3*C)
	return s
}

// Forward runs B sequences of T tokens x (B×T, row-major) against targets
// y (the next tokens; Ignore marks positions without a target) and returns
// the summed loss in nats and the number of targets. rng drives dropout
// and marks training: with rng nil (evaluation) dropout is off. T must not
// exceed the context length. The activations stay for Backward.
func (m *Model) Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	if T < 1 || T > m.cfg.Context || B < 1 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("gpt: Forward: B=%d T=%d with %d inputs, %d targets, context %d", B, T, len(x), len(y), m.cfg.Context))
	}
	m.ParamsChanged() // training is about to change the weights
	s := m.acts(B, T)
	s.head.Smoothing = m.smooth
	a := m.arena
	C, V, N := m.cfg.Dim, m.V, B*T
	for i, id := range x[:N] {
		if id < 0 || int(id) >= V {
			panic(fmt.Sprintf("gpt: Forward: token %d outside the vocabulary of %d", id, V))
		}
		s.ids[i] = id
	}
	copy(s.tgt, y[:N])
	p := m.cfg.Dropout
	s.dropout = rng != nil && p > 0

	nn.EncoderForward(s.encoded, s.ids, m.wte.Data(a), m.wpe.Data(a), B, T, C)
	m.addImage(s.encoded, s.ids, B, T)
	if s.dropout {
		nn.DropoutForward(s.encoded, s.drop0, s.encoded, p, rng)
	}
	m.blocksForward(s, rng)
	sum, n = s.head.Loss(s.tgt, m.wte.Data(a), N, C, V, Ignore)
	s.ready = true
	return sum, n
}

// blocksForward runs the blocks and the final LayerNorm over s.encoded
// (after the embedding's dropout), leaving LN_f's output in s.head.LN (N,C).
// rng drives dropout when s.dropout is set.
func (m *Model) blocksForward(s *trainState, rng *rand.Rand) {
	a := m.arena
	B, T := s.B, s.T
	C, NH, N := m.cfg.Dim, m.cfg.Heads, B*T
	ld4 := fused.PaddedStride(4 * C)
	p := m.cfg.Dropout
	res := s.encoded
	for l := range m.layers {
		w, la := &m.layers[l], &s.layers[l]
		nn.LayerNormForward(la.ln1, la.ln1Mean, la.ln1Rstd, res, w.ln1w.Data(a), w.ln1b.Data(a), N, C)
		nn.LinearForward(la.qkv, la.ln1, w.qkvw.Data(a), w.qkvb.Data(a), N, C, 3*C)
		nn.AttentionForward(la.atty, la.att, la.qkv, B, T, C, NH)
		// Output projections without bias, then bias + dropout + residual
		// in one pass (fused.BiasResidualForward); the MLP's first bias goes
		// with its GELU.
		nn.LinearForward(la.attproj, la.atty, w.projw.Data(a), nil, N, C, C)
		var m1, m2 []float32
		if s.dropout {
			nn.DropoutMask(la.drop1, p, rng)
			m1 = la.drop1
		}
		fused.BiasResidualForward(la.res2, res, la.attproj, w.projb.Data(a), m1, N, C)
		nn.LayerNormForward(la.ln2, la.ln2Mean, la.ln2Rstd, la.res2, w.ln2w.Data(a), w.ln2b.Data(a), N, C)
		fused.LinearForwardStrided(la.fch, la.ln2, w.fcw.Data(a), nil, N, C, 4*C, C, ld4)
		// fch keeps gelu' of the pre-activation for Backward (computed
		// with the GELU: its backward is then a product).
		fused.BiasGELUForwardGradStrided(la.fchGelu, la.fch, w.fcb.Data(a), N, 4*C, ld4)
		fused.LinearForwardStrided(la.fcproj, la.fchGelu, w.fcprojw.Data(a), nil, N, 4*C, C, ld4, C)
		if s.dropout {
			nn.DropoutMask(la.drop2, p, rng)
			m2 = la.drop2
		}
		fused.BiasResidualForward(la.res3, la.res2, la.fcproj, w.fcpjb.Data(a), m2, N, C)
		res = la.res3
	}
	s.head.Norm(res, m.lnfw.Data(a), m.lnfb.Data(a), N, C)
}

// SetLabelSmoothing makes Backward take the gradient of the cross-entropy
// against (1−eps)·onehot(target) + eps/V (label smoothing, see nn.Head)
// instead of the target alone; Forward still returns the plain negative
// log-likelihood. It implements train.LabelSmoother.
func (m *Model) SetLabelSmoothing(eps float64) { m.smooth = float32(eps) }

// Losses returns the per-position losses of the last Forward (B×T, 0 at
// ignored positions). The slice is reused by the next Forward.
func (m *Model) Losses() []float32 { return m.tr.head.Losses }

// Probs returns the next-token probabilities the last Forward predicted
// for sequence b at position t (train.Predictor), valid until the next
// Forward or Backward.
func (m *Model) Probs(b, t int) []float32 {
	s := m.tr
	r := b*s.T + t
	return s.head.Probs[r*m.V : (r+1)*m.V]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward); scale is typically one over the
// number of targets in the optimizer step.
func (m *Model) Backward(scale float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("gpt: Backward without Forward")
	}
	s.ready = false
	m.ParamsChanged() // an optimizer step follows
	a := m.arena
	B, T := s.B, s.T
	C, V, N := m.cfg.Dim, m.V, B*T
	s.head.LossBackward(s.dA, m.wte.Grad(a), m.wte.Data(a), s.tgt, N, C, V, Ignore, scale)
	demb := m.blocksBackward(s)
	m.addImageGrad(demb, s.ids, B, T)
	nn.EncoderBackward(m.wte.Grad(a), m.wpe.Grad(a), demb, s.ids, B, T, C)
}

// blocksBackward accumulates the gradients of the final LayerNorm and the
// blocks given s.dA, the gradient of LN_f's output (N,C), and returns the
// gradient of s.encoded before the embedding's dropout (N,C).
func (m *Model) blocksBackward(s *trainState) []float32 {
	a := m.arena
	B, T := s.B, s.T
	C, NH, N := m.cfg.Dim, m.cfg.Heads, B*T
	ld4 := fused.PaddedStride(4 * C)
	last := s.encoded
	if len(m.layers) > 0 {
		last = s.layers[len(m.layers)-1].res3
	}
	// Without dropout, the bias gradients of the output projections are
	// the column sums of the residual stream's gradient: each LayerNorm
	// backward sums them while it writes that gradient (and the GELU
	// backward sums the MLP's first bias gradient), so the linear layers'
	// backward passes skip their bias sums.
	sumBias := !s.dropout
	// biasSum is the bias gradient a LayerNorm backward sums for the
	// linear layer before it, nil when there is none or dropout is on.
	biasSum := func(l int) []float32 {
		if !sumBias || l < 0 {
			return nil
		}
		return m.layers[l].fcpjb.Grad(a)
	}
	fused.Zero(s.dres)
	fused.LayerNormBackwardSum(s.dres, m.lnfw.Grad(a), m.lnfb.Grad(a), biasSum(len(m.layers)-1), s.dA, last, m.lnfw.Data(a), s.head.Mean, s.head.Rstd, N, C)
	for l := len(m.layers) - 1; l >= 0; l-- {
		w, la := &m.layers[l], &s.layers[l]
		prev := s.encoded
		if l > 0 {
			prev = s.layers[l-1].res3
		}
		// res3 = res2 + drop(fcproj): dres is d(res3) and becomes d(res2).
		dfcproj, dfcpjb, dprojb := s.dres, []float32(nil), []float32(nil)
		if s.dropout {
			fused.DropoutBackwardSet(s.dB, s.dres, la.drop2)
			dfcproj, dfcpjb, dprojb = s.dB, w.fcpjb.Grad(a), w.projb.Grad(a)
		}
		fused.LinearBackwardSetStrided(s.d4a, w.fcprojw.Grad(a), dfcpjb, dfcproj, la.fchGelu, w.fcprojw.Data(a), N, 4*C, C, ld4, C)
		fused.GELUBackwardGradSumStrided(s.d4b, w.fcb.Grad(a), la.fch, s.d4a, N, 4*C, ld4)
		fused.LinearBackwardSetStrided(s.dA, w.fcw.Grad(a), nil, s.d4b, la.ln2, w.fcw.Data(a), N, C, 4*C, C, ld4)
		var projSum []float32
		if sumBias {
			projSum = w.projb.Grad(a)
		}
		fused.LayerNormBackwardSum(s.dres, w.ln2w.Grad(a), w.ln2b.Grad(a), projSum, s.dA, la.res2, w.ln2w.Data(a), la.ln2Mean, la.ln2Rstd, N, C)
		// res2 = prev + drop(attproj): dres becomes d(prev).
		dproj := s.dres
		if s.dropout {
			fused.DropoutBackwardSet(s.dB, s.dres, la.drop1)
			dproj = s.dB
		}
		fused.LinearBackwardSet(s.dA, w.projw.Grad(a), dprojb, dproj, la.atty, w.projw.Data(a), N, C, C)
		fused.AttentionBackwardSet(s.dqkv, s.dA, la.qkv, la.att, B, T, C, NH)
		fused.LinearBackwardSet(s.dA, w.qkvw.Grad(a), w.qkvb.Grad(a), s.dqkv, la.ln1, w.qkvw.Data(a), N, C, 3*C)
		fused.LayerNormBackwardSum(s.dres, w.ln1w.Grad(a), w.ln1b.Grad(a), biasSum(l-1), s.dA, prev, w.ln1w.Data(a), la.ln1Mean, la.ln1Rstd, N, C)
	}
	if s.dropout {
		fused.DropoutBackwardSet(s.dB, s.dres, s.drop0)
		return s.dB
	}
	return s.dres
}
