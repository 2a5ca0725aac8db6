package vae

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tensor"
)

// Training activations are time-major, as the Stacks' are: row t·B + b is
// sentence b at step t.

// Ignore is the target of a position without one (package train's).
const Ignore = -1

// decScratch is the decoder's pass over a batch of B rows of T steps, each
// row with its code: the training path's second half, and ScoreLatents'
// whole pass.
type decScratch struct {
	B, T     int
	ids, tgt []int32   // (T,B) inputs (after word dropout), targets
	z        []float32 // (B,D) each row's code
	h0       []float32 // (B,L·H) W_z z + b_z, then (tanh) the initial h
	carry    []float32 // (B·StateLen) the initial state in the Stack's layout
	dcarry   []float32
	dinit    []float32 // (B,L·H) the gradient of W_z z + b_z
	emb      []float32 // (T,B,E) after dropout
	embMask  []float32
	in       []float32 // (T,B,E+D) [e(x); z]
	acts     rnn.StackActs
	logits   []float32 // (N,V)
	probs    []float32 // (N,V); the logits' gradient in Backward
	losses   []float32 // (N)
	dtop     []float32 // (N,H)
	dz       []float32 // (B,D) the gradient of the codes, set by decBackward
	dropout  bool
}

func (m *Model) growDec(sc *decScratch, B, T int) {
	E, D, H, L, V, N := m.cfg.embed(), m.cfg.Latent, m.cfg.Hidden, m.cfg.Layers, m.V, B*T
	g := tensor.Grow
	sc.B, sc.T = B, T
	sc.ids, sc.tgt = grow32(sc.ids, N), grow32(sc.tgt, N)
	g(&sc.z, B*D)
	g(&sc.h0, B*L*H)
	g(&sc.carry, B*m.dec.StateLen())
	g(&sc.dcarry, B*m.dec.StateLen())
	g(&sc.dinit, B*L*H)
	g(&sc.emb, N*E)
	g(&sc.embMask, N*E)
	g(&sc.in, N*(E+D))
	g(&sc.logits, N*V)
	g(&sc.probs, N*V)
	g(&sc.losses, N)
	g(&sc.dtop, N*H)
	g(&sc.dz, B*D)
}

func grow32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// initState computes the decoder's initial state of each of the B codes
// z (B,D) into h0 (B,L·H): c⁰ = W_z z + b_z and h⁰ = tanh(c⁰) for LSTM
// (written to carry, laid out as rnn.Stack's), h⁰ = tanh(W_z z + b_z) for
// GRU. h0 keeps tanh's output for the backward pass.
func (m *Model) initState(carry, h0, z []float32, B int) {
	a := m.arena
	D, H, L := m.cfg.Latent, m.cfg.Hidden, m.cfg.Layers
	nn.LinearForward(h0, z, m.wz.Data(a), m.bz.Data(a), B, D, L*H)
	lstm := m.cfg.Cell == rnn.LSTM
	for b := range B {
		for l := range L {
			row := h0[b*L*H+l*H : b*L*H+(l+1)*H]
			if lstm {
				copy(carry[(L+l)*B*H+b*H:(L+l)*B*H+(b+1)*H], row)
			}
			kernels.Tanh(row, row)
			copy(carry[l*B*H+b*H:l*B*H+(b+1)*H], row)
		}
	}
}

// decForward runs the decoder over sc's B×T inputs and targets given the
// codes in sc.z and returns the summed loss and the number of targets.
// rng drives dropout (nil: none).
func (m *Model) decForward(sc *decScratch, rng *rand.Rand) (float64, int) {
	a := m.arena
	B, T := sc.B, sc.T
	E, D, H, V, N := m.cfg.embed(), m.cfg.Latent, m.cfg.Hidden, m.V, B*T
	m.initState(sc.carry, sc.h0, sc.z, B)
	nn.EmbeddingForward(sc.emb, sc.ids, m.emb.Data(a), N, E)
	p := m.cfg.Dropout
	sc.dropout = rng != nil && p > 0
	if sc.dropout {
		nn.DropoutForward(sc.emb, sc.embMask, sc.emb, p, rng)
	}
	for r := range N {
		b := r % B
		copy(sc.in[r*(E+D):r*(E+D)+E], sc.emb[r*E:(r+1)*E])
		copy(sc.in[r*(E+D)+E:(r+1)*(E+D)], sc.z[b*D:(b+1)*D])
	}
	top := m.dec.Forward(a, &sc.acts, sc.in, sc.carry, B, T, rng)
	nn.LinearForward(sc.logits, top, m.outWeight().Data(a), m.bout.Data(a), N, H, V)
	return nn.CrossEntropyForward(sc.losses, sc.probs, sc.logits, sc.tgt, N, V, Ignore)
}

// decBackward accumulates the decoder's gradients for scale × its summed
// loss and sets sc.dz to the gradient of the codes.
func (m *Model) decBackward(sc *decScratch, scale float32) {
	a := m.arena
	B, T := sc.B, sc.T
	E, D, H, L, V, N := m.cfg.embed(), m.cfg.Latent, m.cfg.Hidden, m.cfg.Layers, m.V, B*T
	dlogits := sc.probs
	fused.CrossEntropyBackwardSet(dlogits, sc.probs, sc.tgt, N, V, Ignore, scale)
	ow := m.outWeight()
	fused.LinearBackwardSet(sc.dtop, ow.Grad(a), m.bout.Grad(a), dlogits, sc.acts.Out(), ow.Data(a), N, H, V)
	dIn := m.dec.Backward(a, &sc.acts, sc.dtop, sc.dcarry)
	// The code's share of every step's input, summed over the steps in
	// order; the embedding's share, through its dropout.
	clear(sc.dz)
	demb := sc.emb // the embeddings are not needed after Forward
	for r := range N {
		b := r % B
		kernels.Axpy(1, dIn[r*(E+D)+E:(r+1)*(E+D)], sc.dz[b*D:(b+1)*D])
		copy(demb[r*E:(r+1)*E], dIn[r*(E+D):r*(E+D)+E])
	}
	if sc.dropout {
		fused.DropoutBackwardSet(demb, demb, sc.embMask)
	}
	nn.EmbeddingBackward(m.emb.Grad(a), demb, sc.ids, N, E)
	// The initial state: LSTM c⁰ = pre and h⁰ = tanh(pre), GRU h⁰ =
	// tanh(pre).
	lstm := m.cfg.Cell == rnn.LSTM
	for b := range B {
		for l := range L {
			d := sc.dinit[b*L*H+l*H : b*L*H+(l+1)*H]
			h := sc.h0[b*L*H+l*H : b*L*H+(l+1)*H]
			dh := sc.dcarry[l*B*H+b*H : l*B*H+(b+1)*H]
			for j := range H {
				d[j] = dh[j] * (1 - h[j]*h[j])
			}
			if lstm {
				kernels.Axpy(1, sc.dcarry[(L+l)*B*H+b*H:(L+l)*B*H+(b+1)*H], d)
			}
		}
	}
	nn.LinearBackward(sc.dz, m.wz.Grad(a), m.bz.Grad(a), sc.dinit, sc.z, m.wz.Data(a), B, D, L*H)
}

// encScratch is the encoder's pass over a training batch.
type encScratch struct {
	ids   [2][]int32   // (T,B) the tokens read forwards, backwards (padded after each row's length)
	in    [2][]float32 // (T,B,E) their embeddings after dropout
	mask  [2][]float32
	acts  [2]rnn.StackActs
	carry []float32 // zeros: every sentence starts from a zero state
	hcat  []float32 // (B,2·He) [forward; backward] final states
	dhcat []float32
	dout  []float32 // (T,B,He)
	drop  bool
}

// trainState holds a Forward's activations for Backward.
type trainState struct {
	B, T  int
	lens  []int // targets per row
	enc   encScratch
	dec   decScratch
	post  []float32 // (B,2D) [μ | ln σ²]
	dpost []float32
	eps   []float32 // (B,D)
	kl    []float64 // (B,D)
	rec   float64   // the last Forward's summed reconstruction loss
	klSum float64   // and KL
	ready bool
}

// evalNoise seeds the noise ε of a Forward without rng (validation), so
// that it is the same at every evaluation.
const evalNoise = 0x65766e6f697365 // "evnoise"

// Forward runs B whole sentences against their targets: row b of x (B×T,
// row-major as package train lays them out) is <s> and the sentence's
// tokens, row b of y the same tokens and </s>, then Ignore to the end of
// the row. It returns the summed negative ELBO, Σ (−ln p(x | z) + KL), in
// nats, and the number of targets; the reconstruction and KL parts are
// LossParts. rng draws the dropout masks, the word dropout and the noise
// of the reparameterization; nil means evaluation: no dropout, and noise
// from a fixed seed.
func (m *Model) Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	if T < 1 || B < 1 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("vae: Forward: B=%d T=%d with %d inputs, %d targets", B, T, len(x), len(y)))
	}
	s := m.acts(B, T)
	a := m.arena
	E, D, He, V, N := m.cfg.embed(), m.cfg.Latent, m.cfg.encHidden(), m.V, B*T
	bos, eos, unk := int32(m.vocab.BOS()), int32(m.vocab.EOS()), int32(m.vocab.UNK())
	wd := 0.0
	if rng != nil {
		wd = m.cfg.Objective.WordDropout
	}
	dec := &s.dec
	for b := range B {
		row, tgt := x[b*T:(b+1)*T], y[b*T:(b+1)*T]
		L := 0
		for L < T && tgt[L] != Ignore {
			L++
		}
		if L == 0 || row[0] != bos {
			panic(fmt.Sprintf("vae: Forward: row %d is not a sentence from <s> (package train's Options.Sentences)", b))
		}
		s.lens[b] = L
		for t := range T {
			id, tg := row[t], tgt[t]
			if id < 0 || int(id) >= V || (tg != Ignore && (tg < 0 || int(tg) >= V)) {
				panic(fmt.Sprintf("vae: Forward: token %d or target %d outside the vocabulary of %d", id, tg, V))
			}
			if t >= L && tg != Ignore {
				panic(fmt.Sprintf("vae: Forward: row %d has a target after its end", b))
			}
			if t > 0 && t < L && wd > 0 && rng.Float64() < wd {
				id = unk
			}
			dec.ids[t*B+b], dec.tgt[t*B+b] = id, tg
			fw, bw := eos, eos
			if t < L {
				fw, bw = tgt[t], tgt[L-1-t]
			}
			s.enc.ids[0][t*B+b], s.enc.ids[1][t*B+b] = fw, bw
		}
	}
	// The encoder: both directions from a zero state; each row's final
	// state is its output at its last token.
	e := &s.enc
	e.drop = rng != nil && m.cfg.Dropout > 0
	for dir := range 2 {
		nn.EmbeddingForward(e.in[dir], e.ids[dir], m.emb.Data(a), N, E)
		if e.drop {
			nn.DropoutForward(e.in[dir], e.mask[dir], e.in[dir], m.cfg.Dropout, rng)
		}
		clear(e.carry)
		out := m.enc[dir].Forward(a, &e.acts[dir], e.in[dir], e.carry, B, T, rng)
		for b, L := range s.lens[:B] {
			r := (L-1)*B + b
			copy(e.hcat[b*2*He+dir*He:b*2*He+(dir+1)*He], out[r*He:(r+1)*He])
		}
	}
	nn.LinearForward(s.post, e.hcat, m.wq.Data(a), m.bq.Data(a), B, 2*He, 2*D)
	// z = μ + σ⊙ε.
	noise := rng
	if noise == nil {
		noise = rand.New(rand.NewPCG(evalNoise, 0))
	}
	for i := range s.eps {
		s.eps[i] = float32(noise.NormFloat64())
	}
	reparamForward(dec.z, s.post, s.eps, B, D)
	s.klSum = klForward(s.kl, s.post, B, D)
	s.rec, n = m.decForward(dec, rng)
	s.ready = true
	return s.rec + s.klSum, n
}

// Backward accumulates into the arena's gradients the gradient of scale ×
// the objective of the last Forward: the reconstruction loss plus β times
// the KL term, with free bits (see Objective).
func (m *Model) Backward(scale float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("vae: Backward without Forward")
	}
	s.ready = false
	a := m.arena
	B, T := s.B, s.T
	E, D, He, N := m.cfg.embed(), m.cfg.Latent, m.cfg.encHidden(), B*T
	m.decBackward(&s.dec, scale)
	clear(s.dpost)
	reparamBackward(s.dpost, s.dec.dz, s.post, s.eps, B, D)
	klBackward(s.dpost, s.post, s.kl, B, D, float64(scale), m.beta, m.cfg.Objective.FreeBits)
	e := &s.enc
	clear(e.dhcat)
	nn.LinearBackward(e.dhcat, m.wq.Grad(a), m.bq.Grad(a), s.dpost, e.hcat, m.wq.Data(a), B, 2*He, 2*D)
	for dir := range 2 {
		clear(e.dout)
		for b, L := range s.lens[:B] {
			r := (L-1)*B + b
			copy(e.dout[r*He:(r+1)*He], e.dhcat[b*2*He+dir*He:b*2*He+(dir+1)*He])
		}
		dIn := m.enc[dir].Backward(a, &e.acts[dir], e.dout, nil)
		if e.drop {
			fused.DropoutBackwardSet(dIn, dIn, e.mask[dir])
		}
		nn.EmbeddingBackward(m.emb.Grad(a), dIn[:N*E], e.ids[dir], N, E)
	}
}

// LossParts returns the parts of the last Forward's summed loss (package
// train's LossParts): "rec", the reconstruction −ln p(x | z), and "kl",
// the KL term, in nats summed over the batch; and the setting "kl_weight",
// the weight β of the step's objective.
func (m *Model) LossParts() (sums, settings map[string]float64) {
	var rec, kl float64
	if m.tr != nil {
		rec, kl = m.tr.rec, m.tr.klSum
	}
	return map[string]float64{"rec": rec, "kl": kl}, map[string]float64{"kl_weight": m.beta}
}

// WholeSequences reports that every row of a training batch must be one
// whole sentence (package train's WholeSequences).
func (m *Model) WholeSequences() bool { return true }

// SetStep sets the training step (0-based) of a run of steps steps, which
// the KL weight β follows (Objective.Anneal).
func (m *Model) SetStep(step, steps int) { m.beta = m.cfg.Objective.Anneal.Weight(step, steps) }

func (m *Model) acts(B, T int) *trainState {
	s := m.tr
	if s == nil {
		s = &trainState{}
		m.tr = s
	}
	if s.B == B && s.T == T {
		return s
	}
	E, D, He, N := m.cfg.embed(), m.cfg.Latent, m.cfg.encHidden(), B*T
	g := tensor.Grow
	s.B, s.T = B, T
	if cap(s.lens) < B {
		s.lens = make([]int, B)
	}
	s.lens = s.lens[:B]
	e := &s.enc
	for dir := range 2 {
		e.ids[dir] = grow32(e.ids[dir], N)
		g(&e.in[dir], N*E)
		g(&e.mask[dir], N*E)
	}
	g(&e.carry, B*m.enc[0].StateLen())
	g(&e.hcat, B*2*He)
	g(&e.dhcat, B*2*He)
	g(&e.dout, N*He)
	g(&s.post, B*2*D)
	g(&s.dpost, B*2*D)
	g(&s.eps, B*D)
	if cap(s.kl) < B*D {
		s.kl = make([]float64, B*D)
	}
	s.kl = s.kl[:B*D]
	m.growDec(&s.dec, B, T)
	return s
}

// sentenceNLL returns the summed loss of row b's first L steps (losses
// time-major, B rows).
func sentenceNLL(losses []float32, b, B, L int) float64 {
	var s float64
	for t := range L {
		s += float64(losses[t*B+b])
	}
	return s
}
