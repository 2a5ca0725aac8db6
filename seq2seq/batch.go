package seq2seq

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Teacher-forced training: ForwardPairs runs B pairs at once — the encoder
// over B sources padded to S positions, the decoder over B target inputs
// padded to T — and Backward accumulates the gradient of the summed loss
// into the arena. The activations are allocated once per (B,S,T) and
// reused.

// sublayer holds what every residual sublayer saves: its input, the
// LayerNorm's output and statistics, the output projection (after bias and
// dropout), the dropout mask and the residual sum.
type sublayer struct {
	in              []float32 // (rows,C) the residual stream entering (a view)
	ln, mean, rstd  []float32 // (rows,C), (rows), (rows)
	proj, mask, res []float32 // (rows,C)
}

type attnActs struct {
	sublayer
	qkv []float32 // (rows,3C)
	att []float32 // (B,NH,T,T)
	y   []float32 // (rows,C)
}

type crossActs struct {
	sublayer
	q, y []float32 // (N,C)
	kv   []float32 // (M,2C)
	att  []float32 // (B,NH,T,S)
}

type mlpActs struct {
	sublayer
	h, hg []float32 // (rows,F): pre-activation and its GELU
}

type encActs struct {
	attn attnActs
	mlp  mlpActs
}

type decActs struct {
	attn  attnActs
	cross crossActs
	mlp   mlpActs
}

type trainState struct {
	B, S, T       int
	dropout       bool
	src, srcLen   []int32
	ids, tgt      []int32
	emb, embMask  []float32 // (M,C) the encoder's input after dropout, mask
	enc           []encActs
	mem           []float32 // (M,C) the encoder's output
	memMean       []float32
	memRstd       []float32
	demb, dembMsk []float32 // (N,C) the decoder's input after dropout, mask
	dec           []decActs
	head          nn.Head // the final LayerNorm, logits and loss (N rows)
	// Gradient scratch, sized for max(M, N) rows.
	dres, dA, dB []float32 // (rows,C)
	dF, dH       []float32 // (rows,F)
	dqkv         []float32 // (rows,3C)
	dkv          []float32 // (M,2C)
	dmem         []float32 // (M,C)
	ready        bool      // a ForwardPairs has run since the last Backward
}

func (s *sublayer) grow(rows, C int) {
	g := tensor.Grow
	g(&s.ln, rows*C)
	g(&s.mean, rows)
	g(&s.rstd, rows)
	g(&s.proj, rows*C)
	g(&s.mask, rows*C)
	g(&s.res, rows*C)
}

func (a *attnActs) grow(B, T, C, NH int) {
	a.sublayer.grow(B*T, C)
	tensor.Grow(&a.qkv, B*T*3*C)
	tensor.Grow(&a.att, B*NH*T*T)
	tensor.Grow(&a.y, B*T*C)
}

func (a *mlpActs) grow(rows, C, F int) {
	a.sublayer.grow(rows, C)
	tensor.Grow(&a.h, rows*F)
	tensor.Grow(&a.hg, rows*F)
}

// growEnc sizes the encoder's activations for B sources of S positions.
func (m *Model) growEnc(acts []encActs, B, S int) []encActs {
	C, F, NH, M := m.cfg.Dim, m.cfg.FFN, m.cfg.Heads, B*S
	if len(acts) != len(m.enc) {
		acts = make([]encActs, len(m.enc))
	}
	for l := range acts {
		acts[l].attn.grow(B, S, C, NH)
		acts[l].mlp.grow(M, C, F)
	}
	return acts
}

func (m *Model) acts(B, S, T int) *trainState {
	s := m.tr
	if s == nil {
		s = &trainState{}
		m.tr = s
	}
	if s.B == B && s.S == S && s.T == T {
		return s
	}
	C, F, V, NH := m.cfg.Dim, m.cfg.FFN, m.V, m.cfg.Heads
	M, N := B*S, B*T
	R := max(M, N)
	g := tensor.Grow
	s.B, s.S, s.T = B, S, T
	s.src, s.srcLen = make([]int32, M), make([]int32, B)
	s.ids, s.tgt = make([]int32, N), make([]int32, N)
	g(&s.emb, M*C)
	g(&s.embMask, M*C)
	s.enc = m.growEnc(s.enc, B, S)
	g(&s.mem, M*C)
	g(&s.memMean, M)
	g(&s.memRstd, M)
	g(&s.demb, N*C)
	g(&s.dembMsk, N*C)
	if len(s.dec) != len(m.dec) {
		s.dec = make([]decActs, len(m.dec))
	}
	for l := range s.dec {
		a := &s.dec[l]
		a.attn.grow(B, T, C, NH)
		a.cross.sublayer.grow(N, C)
		g(&a.cross.q, N*C)
		g(&a.cross.y, N*C)
		g(&a.cross.kv, M*2*C)
		g(&a.cross.att, B*NH*T*S)
		a.mlp.grow(N, C, F)
	}
	s.head.Grow(N, C, V)
	g(&s.dres, R*C)
	g(&s.dA, R*C)
	g(&s.dB, R*C)
	g(&s.dF, R*F)
	g(&s.dH, R*F)
	g(&s.dqkv, R*3*C)
	g(&s.dkv, M*2*C)
	g(&s.dmem, M*C)
	return s
}

// ForwardPairs runs B pairs against their targets and returns the summed
// loss in nats and the number of targets. src (B×S, row-major) holds the
// sources, each its tokens followed by the source vocabulary's </s> and
// padded with any valid id; srcLen[b] in [1, S] counts the real positions
// of source b. x and y (B×T) are the decoder's inputs (<s> y₁ y₂ ...) and
// targets (y₁ y₂ ... </s>), Ignore marking padding. rng drives dropout and
// marks training: with rng nil (evaluation) dropout is off. S and T must
// not exceed the source and target contexts. The activations stay for
// Backward.
func (m *Model) ForwardPairs(src, srcLen []int32, S int, x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	if B < 1 || S < 1 || S > m.cfg.SrcContext || T < 1 || T > m.cfg.Context ||
		len(src) < B*S || len(srcLen) < B || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("seq2seq: ForwardPairs: B=%d S=%d T=%d with %d source ids, %d lengths, %d inputs, %d targets; contexts %d, %d",
			B, S, T, len(src), len(srcLen), len(x), len(y), m.cfg.SrcContext, m.cfg.Context))
	}
	m.ParamsChanged() // training is about to change the weights
	s := m.acts(B, S, T)
	s.head.Smoothing = m.smooth
	a := m.arena
	C, V, N := m.cfg.Dim, m.V, B*T
	copyIDs(s.src, src[:B*S], m.Vs, "source")
	copyIDs(s.ids, x[:N], V, "input")
	copy(s.tgt, y[:N])
	for b, l := range srcLen[:B] {
		if l < 1 || int(l) > S {
			panic(fmt.Sprintf("seq2seq: ForwardPairs: source %d has length %d, want 1..%d", b, l, S))
		}
		s.srcLen[b] = l
	}
	p := m.cfg.Dropout
	s.dropout = rng != nil && p > 0
	if !s.dropout {
		rng = nil
	}

	m.encode(s.enc, s.emb, s.embMask, s.mem, s.memMean, s.memRstd, s.src, s.srcLen, B, S, rng)
	nn.EncoderForward(s.demb, s.ids, m.wte.Data(a), m.wpe.Data(a), B, T, C)
	if rng != nil {
		nn.DropoutForward(s.demb, s.dembMsk, s.demb, p, rng)
	}
	res := s.demb
	for l := range m.dec {
		w, la := &m.dec[l], &s.dec[l]
		res = m.attnForward(&la.attn, &w.attn, res, nil, B, T, true, rng)
		res = m.crossForward(&la.cross, &w.cross, res, s.mem, s.srcLen, B, T, S, rng)
		res = m.mlpForward(&la.mlp, &w.mlp, res, N, rng)
	}
	s.head.Norm(res, m.lnfw.Data(a), m.lnfb.Data(a), N, C)
	sum, n = s.head.Loss(s.tgt, m.wte.Data(a), N, C, V, Ignore)
	s.ready = true
	return sum, n
}

func copyIDs(dst, src []int32, V int, what string) {
	for i, id := range src {
		if id < 0 || int(id) >= V {
			panic(fmt.Sprintf("seq2seq: ForwardPairs: %s token %d outside the vocabulary of %d", what, id, V))
		}
		dst[i] = id
	}
}

// encode runs the encoder over B sources of S positions (ids src, real
// lengths lens) with the activations acts, writing the embedding sum to
// emb (and its dropout mask to mask when rng is not nil) and the output to
// mem (with the final LayerNorm's statistics).
func (m *Model) encode(acts []encActs, emb, mask, mem, mean, rstd []float32, src, lens []int32, B, S int, rng *rand.Rand) {
	a := m.arena
	C, M := m.cfg.Dim, B*S
	nn.EncoderForward(emb, src, m.swte.Data(a), m.swpe.Data(a), B, S, C)
	if rng != nil {
		nn.DropoutForward(emb, mask, emb, m.cfg.Dropout, rng)
	}
	res := emb
	for l := range m.enc {
		w, la := &m.enc[l], &acts[l]
		res = m.attnForward(&la.attn, &w.attn, res, lens, B, S, false, rng)
		res = m.mlpForward(&la.mlp, &w.mlp, res, M, rng)
	}
	nn.LayerNormForward(mem, mean, rstd, res, m.elnw.Data(a), m.elnb.Data(a), M, C)
}

// output finishes a sublayer: res = in + dropout(y·Wᵀ + b), y (rows,K).
func (m *Model) output(s *sublayer, w, b tensor.View, y, in []float32, rows, K int, rng *rand.Rand) []float32 {
	a := m.arena
	C := m.cfg.Dim
	nn.LinearForward(s.proj, y, w.Data(a), b.Data(a), rows, K, C)
	if rng != nil {
		nn.DropoutForward(s.proj, s.mask, s.proj, m.cfg.Dropout, rng)
	}
	nn.ResidualForward(s.res[:rows*C], in[:rows*C], s.proj[:rows*C])
	s.in = in
	return s.res
}

// attnForward runs a self-attention sublayer over B sequences of T
// positions: causal (the decoder) or over each sequence's lens[b] real
// positions (the encoder).
func (m *Model) attnForward(s *attnActs, w *attnView, in []float32, lens []int32, B, T int, causal bool, rng *rand.Rand) []float32 {
	a := m.arena
	C, NH, N := m.cfg.Dim, m.cfg.Heads, B*T
	nn.LayerNormForward(s.ln, s.mean, s.rstd, in, w.lnw.Data(a), w.lnb.Data(a), N, C)
	nn.LinearForward(s.qkv, s.ln, w.qkvw.Data(a), w.qkvb.Data(a), N, C, 3*C)
	if causal {
		nn.AttentionForward(s.y, s.att, s.qkv, B, T, C, NH)
	} else {
		nn.SelfAttentionForward(s.y, s.att, s.qkv, lens, B, T, C, NH)
	}
	return m.output(&s.sublayer, w.projw, w.projb, s.y, in, N, C, rng)
}

// crossForward runs a cross-attention sublayer: B target sequences of T
// positions attend to the encoder's output mem (B sources of S positions,
// lens[b] real).
func (m *Model) crossForward(s *crossActs, w *crossView, in, mem []float32, lens []int32, B, T, S int, rng *rand.Rand) []float32 {
	a := m.arena
	C, NH, N := m.cfg.Dim, m.cfg.Heads, B*T
	nn.LayerNormForward(s.ln, s.mean, s.rstd, in, w.lnw.Data(a), w.lnb.Data(a), N, C)
	nn.LinearForward(s.q, s.ln, w.qw.Data(a), w.qb.Data(a), N, C, C)
	nn.LinearForward(s.kv, mem, w.kvw.Data(a), w.kvb.Data(a), B*S, C, 2*C)
	nn.CrossAttentionForward(s.y, s.att, s.q, s.kv, lens, B, T, S, C, NH)
	return m.output(&s.sublayer, w.projw, w.projb, s.y, in, N, C, rng)
}

// mlpForward runs an MLP sublayer over rows positions.
func (m *Model) mlpForward(s *mlpActs, w *mlpView, in []float32, rows int, rng *rand.Rand) []float32 {
	a := m.arena
	C, F := m.cfg.Dim, m.cfg.FFN
	nn.LayerNormForward(s.ln, s.mean, s.rstd, in, w.lnw.Data(a), w.lnb.Data(a), rows, C)
	nn.LinearForward(s.h, s.ln, w.fcw.Data(a), w.fcb.Data(a), rows, C, F)
	nn.GELUForward(s.hg[:rows*F], s.h[:rows*F])
	return m.output(&s.sublayer, w.projw, w.projb, s.hg, in, rows, F, rng)
}

// SetLabelSmoothing makes Backward take the gradient of the cross-entropy
// against (1−eps)·onehot(target) + eps/V (label smoothing, see nn.Head)
// instead of the target alone; ForwardPairs still returns the plain negative
// log-likelihood. It implements train.LabelSmoother.
func (m *Model) SetLabelSmoothing(eps float64) { m.smooth = float32(eps) }

// Losses returns the per-position losses of the last ForwardPairs (B×T, 0
// at ignored positions). The slice is reused by the next ForwardPairs.
func (m *Model) Losses() []float32 { return m.tr.head.Losses[:m.tr.B*m.tr.T] }

// Probs returns the next-token probabilities the last ForwardPairs
// predicted for pair b at target position t (train.Predictor), valid
// until the next ForwardPairs or Backward.
func (m *Model) Probs(b, t int) []float32 {
	s := m.tr
	r := b*s.T + t
	return s.head.Probs[r*m.V : (r+1)*m.V]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last ForwardPairs); scale is typically one over
// the number of targets in the optimizer step.
func (m *Model) Backward(scale float32) { m.backward(scale, nil) }

// BackwardRows accumulates into the arena's gradients the gradient of
// Σ_b w[b]·(summed loss of pair b of the last ForwardPairs): a weight per
// sequence, as sequence-level objectives (minimum risk training) need.
func (m *Model) BackwardRows(w []float32) {
	if s := m.tr; s != nil && len(w) < s.B {
		panic(fmt.Sprintf("seq2seq: BackwardRows: %d weights for %d pairs", len(w), s.B))
	}
	m.backward(1, w)
}

// backward is Backward, and with rows set BackwardRows.
func (m *Model) backward(scale float32, rows []float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("seq2seq: Backward without ForwardPairs")
	}
	s.ready = false
	m.ParamsChanged() // an optimizer step follows
	a := m.arena
	B, S, T := s.B, s.S, s.T
	C, V, M, N := m.cfg.Dim, m.V, B*S, B*T

	dA := s.dA[:N*C]
	// With rows (BackwardRows), each pair's T positions weighted by its row.
	s.head.LossBackwardWeighted(dA, m.wte.Grad(a), m.wte.Data(a), s.tgt, N, C, V, Ignore, scale, rows, T)
	last := s.demb
	if len(s.dec) > 0 {
		last = s.dec[len(s.dec)-1].mlp.res
	}
	dres := s.dres[:N*C]
	fused.Zero(dres)
	nn.LayerNormBackward(dres, m.lnfw.Grad(a), m.lnfb.Grad(a), dA, last, m.lnfw.Data(a), s.head.Mean, s.head.Rstd, N, C)
	dmem := s.dmem[:M*C]
	fused.Zero(dmem)
	for l := len(m.dec) - 1; l >= 0; l-- {
		w, la := &m.dec[l], &s.dec[l]
		m.mlpBackward(dres, &la.mlp, &w.mlp, N, s.dropout)
		m.crossBackward(dres, dmem, &la.cross, &w.cross, s.mem, s.srcLen, B, T, S, s.dropout)
		m.attnBackward(dres, &la.attn, &w.attn, nil, B, T, true, s.dropout)
	}
	m.embedBackward(m.wte, m.wpe, dres, s.dembMsk, s.ids, B, T, s.dropout)

	dres = s.dres[:M*C]
	fused.Zero(dres)
	last = s.emb
	if len(s.enc) > 0 {
		last = s.enc[len(s.enc)-1].mlp.res
	}
	nn.LayerNormBackward(dres, m.elnw.Grad(a), m.elnb.Grad(a), dmem, last, m.elnw.Data(a), s.memMean, s.memRstd, M, C)
	for l := len(m.enc) - 1; l >= 0; l-- {
		w, la := &m.enc[l], &s.enc[l]
		m.mlpBackward(dres, &la.mlp, &w.mlp, M, s.dropout)
		m.attnBackward(dres, &la.attn, &w.attn, s.srcLen, B, S, false, s.dropout)
	}
	m.embedBackward(m.swte, m.swpe, dres, s.embMask, s.src, B, S, s.dropout)
}

// embedBackward accumulates the gradient dres of an embedding sum (after
// its dropout with mask) into the token and position tables.
func (m *Model) embedBackward(wte, wpe tensor.View, dres, mask []float32, ids []int32, B, T int, dropout bool) {
	a := m.arena
	d := dres
	if dropout {
		d = m.tr.dB[:len(dres)]
		fused.DropoutBackwardSet(d, dres, mask)
	}
	nn.EncoderBackward(wte.Grad(a), wpe.Grad(a), d, ids, B, T, m.cfg.Dim)
}

// outputBackward takes dres, the gradient of a sublayer's residual output,
// and accumulates the output projection's weight gradients; it returns the
// gradient of the projection's input y (rows,K), written to dY.
func (m *Model) outputBackward(dres, dY []float32, s *sublayer, w, b tensor.View, y []float32, rows, K int, dropout bool) []float32 {
	a := m.arena
	C := m.cfg.Dim
	dproj := dres
	if dropout {
		dproj = m.tr.dB[:rows*C]
		fused.DropoutBackwardSet(dproj, dres, s.mask[:rows*C])
	}
	dY = dY[:rows*K]
	fused.LinearBackwardSet(dY, w.Grad(a), b.Grad(a), dproj, y, w.Data(a), rows, K, C)
	return dY
}

// normBackward finishes a sublayer's backward pass: given dLN, the
// gradient of its LayerNorm's output, it accumulates the LayerNorm's
// gradients and adds the input's gradient to dres (which already holds the
// residual pass-through), so that dres becomes the gradient of the
// sublayer's input.
func (m *Model) normBackward(dres, dLN []float32, s *sublayer, lnw, lnb tensor.View, rows int) {
	a := m.arena
	nn.LayerNormBackward(dres, lnw.Grad(a), lnb.Grad(a), dLN, s.in, lnw.Data(a), s.mean, s.rstd, rows, m.cfg.Dim)
}

func (m *Model) attnBackward(dres []float32, s *attnActs, w *attnView, lens []int32, B, T int, causal, dropout bool) {
	a := m.arena
	C, NH, N := m.cfg.Dim, m.cfg.Heads, B*T
	dY := m.outputBackward(dres, m.tr.dA, &s.sublayer, w.projw, w.projb, s.y, N, C, dropout)
	dqkv := m.tr.dqkv[:N*3*C]
	if causal {
		fused.AttentionBackwardSet(dqkv, dY, s.qkv, s.att, B, T, C, NH)
	} else {
		fused.SelfAttentionBackwardSet(dqkv, dY, s.qkv, s.att, lens, B, T, C, NH)
	}
	dLN := dY // dY is consumed
	fused.LinearBackwardSet(dLN, w.qkvw.Grad(a), w.qkvb.Grad(a), dqkv, s.ln, w.qkvw.Data(a), N, C, 3*C)
	m.normBackward(dres, dLN, &s.sublayer, w.lnw, w.lnb, N)
}

func (m *Model) crossBackward(dres, dmem []float32, s *crossActs, w *crossView, mem []float32, lens []int32, B, T, S int, dropout bool) {
	a := m.arena
	C, NH, N, M := m.cfg.Dim, m.cfg.Heads, B*T, B*S
	dY := m.outputBackward(dres, m.tr.dA, &s.sublayer, w.projw, w.projb, s.y, N, C, dropout)
	dq, dkv := m.tr.dqkv[:N*C], m.tr.dkv[:M*2*C]
	fused.CrossAttentionBackwardSet(dq, dkv, dY, s.q, s.kv, s.att, lens, B, T, S, C, NH)
	nn.LinearBackward(dmem, w.kvw.Grad(a), w.kvb.Grad(a), dkv, mem, w.kvw.Data(a), M, C, 2*C)
	dLN := dY
	fused.LinearBackwardSet(dLN, w.qw.Grad(a), w.qb.Grad(a), dq, s.ln, w.qw.Data(a), N, C, C)
	m.normBackward(dres, dLN, &s.sublayer, w.lnw, w.lnb, N)
}

func (m *Model) mlpBackward(dres []float32, s *mlpActs, w *mlpView, rows int, dropout bool) {
	a := m.arena
	C, F := m.cfg.Dim, m.cfg.FFN
	dG := m.outputBackward(dres, m.tr.dF, &s.sublayer, w.projw, w.projb, s.hg, rows, F, dropout)
	dH := m.tr.dH[:rows*F]
	fused.Zero(dH)
	nn.GELUBackward(dH, s.h[:rows*F], dG)
	dLN := m.tr.dA[:rows*C]
	fused.LinearBackwardSet(dLN, w.fcw.Grad(a), w.fcb.Grad(a), dH, s.ln, w.fcw.Data(a), rows, C, F)
	m.normBackward(dres, dLN, &s.sublayer, w.lnw, w.lnb, rows)
}
