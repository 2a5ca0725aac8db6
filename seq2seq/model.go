// Package seq2seq is a Transformer encoder-decoder (Vaswani et al. 2017,
// "Attention Is All You Need") in the pre-LayerNorm arrangement of GPT-2:
// a bidirectional encoder reads a source sequence x₁..x_S, and an
// autoregressive decoder predicts the target,
//
//	P(y₁..y_T | x) = ∏t P(y_t | y<t, Encode(x)).
//
// For a source x (followed by the source vocabulary's </s>) and a target
// history y₀ = <s>, y₁, ..., with learned position embeddings:
//
//	e⁰_s = E_src[x_s] + P_src[s]
//	a^l  = e^(l−1) + W_o · SelfAttn(LN(e^(l−1)))             every source position
//	e^l  = a^l + MLP(LN(a^l))
//	m    = LN_e(e^L)                                          the encoder's output
//	h⁰_t = E[y_t] + P[t]
//	a^l  = h^(l−1) + W_o · CausalSelfAttn(LN(h^(l−1)))
//	c^l  = a^l + W_c · CrossAttn(Q = LN(a^l), K, V = m)
//	h^l  = c^l + MLP(LN(c^l)),   MLP(z) = W₂ gelu(W₁ z + b₁) + b₂
//	P(y_(t+1) | y≤t, x) = softmax(E · LN_f(h^L_t))
//
// The output layer is tied to the target embedding E (Press and Wolf
// 2017); with a shared vocabulary the source embedding is E too. Padding
// (sources and targets of a batch have different lengths) is left out of
// every attention and of the loss, so a padded batch computes for each
// pair what it would alone. Dropout (training only) follows the embedding
// sums and every sublayer's output projection.
//
// A [Model] serves both sides of the toolkit: the training interface of
// package train (teacher forcing on batches of pairs, [Model.ForwardPairs]
// and [Model.Backward] over the flat parameter arena) and the autoreg seam:
// it is an [autoreg.Conditional] whose [Model.Condition] runs the encoder
// once and computes every decoder layer's cross-attention keys and values
// once per source, and an [autoreg.Stepper] whose Step advances
// the states of many sources by one token in one batched pass. Decoder
// States keep their own key/value cache. Training and inference must not
// overlap in time; once training is over, the model is read-only and safe
// for concurrent use.
package seq2seq

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/lazy"
	"github.com/autoreg/autoreg/tensor"
)

// Config is the shape of an encoder-decoder.
type Config struct {
	EncLayers  int     `json:"enc_layers"`
	DecLayers  int     `json:"dec_layers"`
	Dim        int     `json:"dim"`         // model width C
	Heads      int     `json:"heads"`       // Dim % Heads == 0
	FFN        int     `json:"ffn"`         // the MLPs' hidden width (4·Dim in GPT-2)
	SrcContext int     `json:"src_context"` // most source positions, its </s> included
	Context    int     `json:"context"`     // most target positions, <s> included
	Dropout    float64 `json:"dropout"`     // training only
	// Shared gives source and target one vocabulary and one embedding
	// table (the target's).
	Shared bool `json:"shared"`
}

// Limits of a configuration (also applied when reading a model file).
const (
	MaxLayers  = 1 << 8
	MaxDim     = 1 << 16
	MaxContext = 1 << 16
	MaxVocab   = 1 << 24
)

// Check reports a configuration no model can have.
func (c Config) Check() error {
	switch {
	case c.EncLayers < 1 || c.EncLayers > MaxLayers || c.DecLayers < 1 || c.DecLayers > MaxLayers:
		return fmt.Errorf("seq2seq: %d encoder and %d decoder layers, want 1..%d each", c.EncLayers, c.DecLayers, MaxLayers)
	case c.Dim < 1 || c.Dim > MaxDim:
		return fmt.Errorf("seq2seq: width %d, want 1..%d", c.Dim, MaxDim)
	case c.Heads < 1 || c.Dim%c.Heads != 0:
		return fmt.Errorf("seq2seq: %d heads do not divide width %d", c.Heads, c.Dim)
	case c.FFN < 1 || c.FFN > 16*MaxDim:
		return fmt.Errorf("seq2seq: MLP width %d, want 1..%d", c.FFN, 16*MaxDim)
	case c.SrcContext < 2 || c.SrcContext > MaxContext || c.Context < 2 || c.Context > MaxContext:
		return fmt.Errorf("seq2seq: source context %d and target context %d, want 2..%d each", c.SrcContext, c.Context, MaxContext)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("seq2seq: dropout %g, want [0, 1)", c.Dropout)
	}
	return nil
}

// Ignore is the target id of a position without a target (padding).
const Ignore = -1

// attnView is a self-attention sublayer: LayerNorm, the packed q, k, v
// projection and the output projection.
type attnView struct {
	lnw, lnb     tensor.View // (C)
	qkvw, qkvb   tensor.View // (3C,C), (3C)
	projw, projb tensor.View // (C,C), (C)
}

// crossView is a cross-attention sublayer: LayerNorm of the decoder's
// stream, the query projection, the key and value projection of the
// encoder's output, and the output projection.
type crossView struct {
	lnw, lnb     tensor.View // (C)
	qw, qb       tensor.View // (C,C), (C)
	kvw, kvb     tensor.View // (2C,C), (2C)
	projw, projb tensor.View // (C,C), (C)
}

// mlpView is an MLP sublayer: LayerNorm, C → FFN → C with a GELU.
type mlpView struct {
	lnw, lnb     tensor.View // (C)
	fcw, fcb     tensor.View // (F,C), (F)
	projw, projb tensor.View // (C,F), (C)
}

type encLayer struct {
	attn attnView
	mlp  mlpView
}

type decLayer struct {
	attn  attnView
	cross crossView
	mlp   mlpView
}

// Model is an encoder-decoder.
type Model struct {
	cfg        Config
	vocab      autoreg.Vocab // the target's
	srcVocab   autoreg.Vocab
	V, Vs      int // vocab.Size(), srcVocab.Size()
	arena      *tensor.Arena
	wte        tensor.View // (V,C) target embedding, also the output layer
	wpe        tensor.View // (Context,C)
	swte       tensor.View // (Vs,C) source embedding; wte when Shared
	swpe       tensor.View // (SrcContext,C)
	enc        []encLayer
	elnw, elnb tensor.View // (C) the encoder's final LayerNorm
	dec        []decLayer
	lnfw, lnfb tensor.View // (C)

	tr     *trainState // training activations, allocated on first ForwardPairs
	smooth float32     // label smoothing ε of training (SetLabelSmoothing)

	// The linear layers' weights packed for inference (infer.go), made on
	// first use and dropped when training changes the weights.
	pack    lazy.Value[packedWeights]
	emptyMu sync.Mutex
	empty   *emptySource // NewState's source, under emptyMu
	encs    sync.Pool    // *encScratch of Condition
	steps   sync.Pool    // *stepScratch of the decoder's passes
}

// New returns a model with GPT-2's initialization: weights N(0, 0.02²),
// every residual output projection N(0, (0.02/√(2L))²) with L the layers of
// its stack, biases zero, LayerNorm gains one. The draws come from seed
// alone. With cfg.Shared, src must equal vocab.
func New(cfg Config, vocab, src autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab, src)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x7365713273657100)) // "seq2seq"
	a := m.arena
	tensor.Normal(m.wte.Data(a), 0.02, rng)
	tensor.Normal(m.wpe.Data(a), 0.02, rng)
	if !cfg.Shared {
		tensor.Normal(m.swte.Data(a), 0.02, rng)
	}
	tensor.Normal(m.swpe.Data(a), 0.02, rng)
	initAttn := func(v *attnView, resid float64) {
		tensor.Fill(v.lnw.Data(a), 1)
		tensor.Normal(v.qkvw.Data(a), 0.02, rng)
		tensor.Normal(v.projw.Data(a), resid, rng)
	}
	initMLP := func(v *mlpView, resid float64) {
		tensor.Fill(v.lnw.Data(a), 1)
		tensor.Normal(v.fcw.Data(a), 0.02, rng)
		tensor.Normal(v.projw.Data(a), resid, rng)
	}
	encResid := 0.02 / math.Sqrt(2*float64(cfg.EncLayers))
	for i := range m.enc {
		l := &m.enc[i]
		initAttn(&l.attn, encResid)
		initMLP(&l.mlp, encResid)
	}
	tensor.Fill(m.elnw.Data(a), 1)
	decResid := 0.02 / math.Sqrt(3*float64(cfg.DecLayers))
	for i := range m.dec {
		l := &m.dec[i]
		initAttn(&l.attn, decResid)
		tensor.Fill(l.cross.lnw.Data(a), 1)
		tensor.Normal(l.cross.qw.Data(a), 0.02, rng)
		tensor.Normal(l.cross.kvw.Data(a), 0.02, rng)
		tensor.Normal(l.cross.projw.Data(a), decResid, rng)
		initMLP(&l.mlp, decResid)
	}
	tensor.Fill(m.lnfw.Data(a), 1)
	return m, nil
}

// build lays out the parameters (zeroed).
func build(cfg Config, vocab, src autoreg.Vocab) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	for _, v := range []autoreg.Vocab{vocab, src} {
		if err := v.Check(); err != nil {
			return nil, fmt.Errorf("seq2seq: %v", err)
		}
		if v.Size() > MaxVocab {
			return nil, fmt.Errorf("seq2seq: vocabulary of %d tokens, at most %d", v.Size(), MaxVocab)
		}
	}
	if cfg.Shared && !sameVocab(vocab, src) {
		return nil, fmt.Errorf("seq2seq: a shared vocabulary needs the same source and target vocabularies")
	}
	C, F := cfg.Dim, cfg.FFN
	m := &Model{cfg: cfg, vocab: vocab, srcVocab: src, V: vocab.Size(), Vs: src.Size()}
	var b tensor.Builder
	m.wte = b.Add("wte", false, m.V, C)
	m.wpe = b.Add("wpe", false, cfg.Context, C)
	if cfg.Shared {
		m.swte = m.wte
	} else {
		m.swte = b.Add("src.wte", false, m.Vs, C)
	}
	m.swpe = b.Add("src.wpe", false, cfg.SrcContext, C)
	attn := func(p string) attnView {
		return attnView{
			lnw: b.Add(p+"ln.weight", false, C), lnb: b.Add(p+"ln.bias", false, C),
			qkvw: b.Add(p+"qkv.weight", true, 3*C, C), qkvb: b.Add(p+"qkv.bias", false, 3*C),
			projw: b.Add(p+"proj.weight", true, C, C), projb: b.Add(p+"proj.bias", false, C),
		}
	}
	mlp := func(p string) mlpView {
		return mlpView{
			lnw: b.Add(p+"ln.weight", false, C), lnb: b.Add(p+"ln.bias", false, C),
			fcw: b.Add(p+"fc.weight", true, F, C), fcb: b.Add(p+"fc.bias", false, F),
			projw: b.Add(p+"proj.weight", true, C, F), projb: b.Add(p+"proj.bias", false, C),
		}
	}
	for l := range cfg.EncLayers {
		p := fmt.Sprintf("enc%d.", l)
		m.enc = append(m.enc, encLayer{attn: attn(p + "attn."), mlp: mlp(p + "mlp.")})
	}
	m.elnw = b.Add("enc.lnf.weight", false, C)
	m.elnb = b.Add("enc.lnf.bias", false, C)
	for l := range cfg.DecLayers {
		p := fmt.Sprintf("dec%d.", l)
		x := p + "cross."
		m.dec = append(m.dec, decLayer{
			attn: attn(p + "attn."),
			cross: crossView{
				lnw: b.Add(x+"ln.weight", false, C), lnb: b.Add(x+"ln.bias", false, C),
				qw: b.Add(x+"q.weight", true, C, C), qb: b.Add(x+"q.bias", false, C),
				kvw: b.Add(x+"kv.weight", true, 2*C, C), kvb: b.Add(x+"kv.bias", false, 2*C),
				projw: b.Add(x+"proj.weight", true, C, C), projb: b.Add(x+"proj.bias", false, C),
			},
			mlp: mlp(p + "mlp."),
		})
	}
	m.lnfw = b.Add("lnf.weight", false, C)
	m.lnfb = b.Add("lnf.bias", false, C)
	m.arena = b.Build()
	return m, nil
}

func sameVocab(a, b autoreg.Vocab) bool {
	if a.Base != b.Base || len(a.Controls) != len(b.Controls) {
		return false
	}
	for i := range a.Controls {
		if a.Controls[i] != b.Controls[i] {
			return false
		}
	}
	return true
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Vocab describes the target's token space.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// SourceVocab describes the source's token space.
func (m *Model) SourceVocab() autoreg.Vocab { return m.srcVocab }

// MaxSourceLen is the longest source Condition accepts: the source context
// less its </s>.
func (m *Model) MaxSourceLen() int { return m.cfg.SrcContext - 1 }

// Arena returns the flat parameters and gradients (the training interface).
func (m *Model) Arena() *tensor.Arena { return m.arena }

// ContextLen is the decoder's window: the most target tokens a prediction
// can see.
func (m *Model) ContextLen() int { return m.cfg.Context }

// FLOPsPerToken estimates the floating-point operations of training one
// target token (forward and backward) for sources of about as many tokens
// as targets: 6 per parameter of the matrices each token passes.
func (m *Model) FLOPsPerToken() float64 {
	C, F := float64(m.cfg.Dim), float64(m.cfg.FFN)
	enc := float64(m.cfg.EncLayers) * (4*C*C + 2*C*F)
	dec := float64(m.cfg.DecLayers) * (8*C*C + 2*C*F)
	return 6 * (enc + dec + float64(m.V)*C)
}
