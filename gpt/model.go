// Package gpt is a decoder-only Transformer language model in the style of
// GPT-2 (Radford et al., "Language Models are Unsupervised Multitask
// Learners", 2019): learned token and position embeddings, L pre-LayerNorm
// blocks, a final LayerNorm, and an output layer tied to the token embedding
// (Press and Wolf 2017). For an input sequence x₁..x_T:
//
//	h⁰_t = wte[x_t] + wpe[t] (+ row, column and channel embeddings for images)
//	a^l  = h^(l−1) + W_o^l · Attn(LN₁^l(h^(l−1)))        causal, H heads
//	h^l  = a^l + W₂^l · gelu(W₁^l · LN₂^l(a^l) + b₁^l) + b₂^l
//	P(x_(t+1) | x≤t) = softmax(wte · LN_f(h^L_t))
//
// Attention(Q,K,V) = softmax(QKᵀ/√d_head + causal mask)·V per head
// (Vaswani et al. 2017). Dropout (training only) follows the embedding sum
// and each block's two output projections.
//
// A [Model] serves both sides of the toolkit: it implements the autoreg seam
// (NewState, with a key/value cache for incremental generation, and
// autoreg.Scorer for one-pass scoring) and the training interface of
// package train (Forward/Backward over the flat parameter arena of package
// tensor, all positions of a batch in parallel by teacher forcing). Training
// and inference on the same Model must not overlap in time; several States
// may be used concurrently once training is over. Inference reads a packed
// copy of the weights, which Forward and Backward invalidate; after
// changing the parameters directly through Arena, call
// [Model.ParamsChanged].
package gpt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/lazy"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Config is the shape of a GPT model.
type Config struct {
	Layers  int     `json:"layers"`
	Dim     int     `json:"dim"`     // model width C
	Heads   int     `json:"heads"`   // attention heads; Dim % Heads == 0
	Context int     `json:"context"` // maximum positions (the attention window)
	Dropout float64 `json:"dropout"` // training only
	// Image, if set, is the shape of the images the model reads (the
	// pixel tokenizer's): the input embedding of a sample then adds
	// learned row, column and channel embeddings (see image.go). Context
	// must hold an image: at least Image.Samples()+1.
	Image tokenize.Shape `json:"image,omitzero"`
}

// Limits of a configuration (also applied when reading a model file).
const (
	MaxLayers  = 1 << 10
	MaxDim     = 1 << 16
	MaxContext = 1 << 16
	MaxVocab   = 1 << 24
)

// Check reports a configuration no model can have.
func (c Config) Check() error {
	switch {
	case c.Layers < 1 || c.Layers > MaxLayers:
		return fmt.Errorf("gpt: %d layers, want 1..%d", c.Layers, MaxLayers)
	case c.Dim < 1 || c.Dim > MaxDim:
		return fmt.Errorf("gpt: width %d, want 1..%d", c.Dim, MaxDim)
	case c.Heads < 1 || c.Dim%c.Heads != 0:
		return fmt.Errorf("gpt: %d heads do not divide width %d", c.Heads, c.Dim)
	case c.Context < 2 || c.Context > MaxContext:
		return fmt.Errorf("gpt: context %d, want 2..%d", c.Context, MaxContext)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("gpt: dropout %g, want [0, 1)", c.Dropout)
	case c.Image != (tokenize.Shape{}) && (c.Image.Height < 1 || c.Image.Width < 1 || c.Image.Channels < 1 ||
		c.Image.Height > MaxContext || c.Image.Width > MaxContext || c.Image.Channels > 4):
		return fmt.Errorf("gpt: image shape %s out of range", c.Image)
	case c.Image != (tokenize.Shape{}) && c.Context < c.Image.Samples()+1:
		return fmt.Errorf("gpt: context %d cannot hold a %s image (want at least %d)", c.Context, c.Image, c.Image.Samples()+1)
	}
	return nil
}

// Ignore is the target id that marks a position without a target
// (padding); it contributes neither loss nor gradient.
const Ignore = -1

// layer holds the views of one Transformer block.
type layer struct {
	ln1w, ln1b     tensor.View // (C)
	qkvw, qkvb     tensor.View // (3C,C), (3C)
	projw, projb   tensor.View // (C,C), (C)
	ln2w, ln2b     tensor.View // (C)
	fcw, fcb       tensor.View // (4C,C), (4C)
	fcprojw, fcpjb tensor.View // (C,4C), (C)
}

// Model is a GPT language model.
type Model struct {
	cfg    Config
	vocab  autoreg.Vocab
	V      int // vocab.Size()
	arena  *tensor.Arena
	wte    tensor.View // (V,C), also the output layer
	wpe    tensor.View // (Context,C)
	img    imageViews  // row, column, channel embeddings (image models)
	layers []layer
	lnfw   tensor.View // (C)
	lnfb   tensor.View // (C)

	tr     *trainState // training activations, allocated on first Forward
	smooth float32     // label smoothing ε of training (SetLabelSmoothing)

	// The linear layers' weights packed for inference (see infer.go),
	// made on first use and dropped when training changes the weights.
	pack lazy.Value[packedWeights]

	steps sync.Pool // *stepBatch buffers of Step
}

// New returns a model with GPT-2's initialization: weights N(0, 0.02²),
// the two residual output projections of each block N(0, (0.02/√(2L))²),
// biases zero, LayerNorm gains one. The draws come from seed alone.
func New(cfg Config, vocab autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	m.init(seed)
	return m, nil
}

// init draws the parameters as New documents and returns the generator,
// for the draws of a real-valued model's extra parameters.
func (m *Model) init(seed uint64) *rand.Rand {
	rng := rand.New(rand.NewPCG(seed, 0x67707420696e6974)) // "gpt init"
	a, cfg := m.arena, m.cfg
	tensor.Normal(m.wte.Data(a), 0.02, rng)
	tensor.Normal(m.wpe.Data(a), 0.02, rng)
	if m.cfg.Image != (tokenize.Shape{}) {
		tensor.Normal(m.img.row.Data(a), 0.02, rng)
		tensor.Normal(m.img.col.Data(a), 0.02, rng)
		tensor.Normal(m.img.ch.Data(a), 0.02, rng)
	}
	resid := 0.02 / math.Sqrt(2*float64(cfg.Layers))
	for _, l := range m.layers {
		tensor.Fill(l.ln1w.Data(a), 1)
		tensor.Fill(l.ln2w.Data(a), 1)
		tensor.Normal(l.qkvw.Data(a), 0.02, rng)
		tensor.Normal(l.projw.Data(a), resid, rng)
		tensor.Normal(l.fcw.Data(a), 0.02, rng)
		tensor.Normal(l.fcprojw.Data(a), resid, rng)
	}
	tensor.Fill(m.lnfw.Data(a), 1)
	return rng
}

// build lays out the parameters (zeroed).
func build(cfg Config, vocab autoreg.Vocab) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, err
	}
	V := vocab.Size()
	if V > MaxVocab {
		return nil, fmt.Errorf("gpt: vocabulary of %d tokens, at most %d", V, MaxVocab)
	}
	m := layout(cfg, V, nil)
	m.vocab = vocab
	return m, nil
}

// layout declares the parameters (zeroed): a token embedding of V rows,
// the positions, the blocks and the final LayerNorm, then what extra adds
// (a real-valued model's input projection and head, whose model has no
// token embedding, V = 0).
func layout(cfg Config, V int, extra func(b *tensor.Builder)) *Model {
	C := cfg.Dim
	m := &Model{cfg: cfg, V: V}
	var b tensor.Builder
	// Embeddings do not decay (GPT-2/nanoGPT: only matrices of linear
	// layers do; the tied table is an embedding first).
	m.wte = b.Add("wte", false, V, C)
	m.wpe = b.Add("wpe", false, cfg.Context, C)
	if im := cfg.Image; im != (tokenize.Shape{}) {
		m.img = imageViews{
			row: b.Add("wrow", false, im.Height, C),
			col: b.Add("wcol", false, im.Width, C),
			ch:  b.Add("wch", false, im.Channels, C),
		}
	}
	for l := range cfg.Layers {
		p := fmt.Sprintf("h%d.", l)
		m.layers = append(m.layers, layer{
			ln1w:    b.Add(p+"ln1.weight", false, C),
			ln1b:    b.Add(p+"ln1.bias", false, C),
			qkvw:    b.Add(p+"attn.qkv.weight", true, 3*C, C),
			qkvb:    b.Add(p+"attn.qkv.bias", false, 3*C),
			projw:   b.Add(p+"attn.proj.weight", true, C, C),
			projb:   b.Add(p+"attn.proj.bias", false, C),
			ln2w:    b.Add(p+"ln2.weight", false, C),
			ln2b:    b.Add(p+"ln2.bias", false, C),
			fcw:     b.Add(p+"mlp.fc.weight", true, 4*C, C),
			fcb:     b.Add(p+"mlp.fc.bias", false, 4*C),
			fcprojw: b.Add(p+"mlp.proj.weight", true, C, 4*C),
			fcpjb:   b.Add(p+"mlp.proj.bias", false, C),
		})
	}
	m.lnfw = b.Add("lnf.weight", false, C)
	m.lnfb = b.Add("lnf.bias", false, C)
	if extra != nil {
		extra(&b)
	}
	m.arena = b.Build()
	return m
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Vocab describes the token space.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// Arena returns the flat parameters and gradients (the training interface).
func (m *Model) Arena() *tensor.Arena { return m.arena }

// ContextLen is the attention window: the most tokens of history a
// prediction can see.
func (m *Model) ContextLen() int { return m.cfg.Context }

// FLOPsPerToken estimates the floating-point operations of one training
// token (forward and backward): 6 per parameter of the matrices plus the
// attention products (12·L·T·C for a window of T, counting the full square
// as PyTorch's dense kernels do).
func (m *Model) FLOPsPerToken(T int) float64 {
	C, L := float64(m.cfg.Dim), float64(m.cfg.Layers)
	matrix := L*12*C*C + float64(m.V)*C
	return 6*matrix + 12*L*float64(T)*C
}
