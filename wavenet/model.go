// Package wavenet is WaveNet (van den Oord et al., "WaveNet: A Generative
// Model for Raw Audio", 2016): stacks of dilated causal convolutions with
// gated activation units, residual and skip connections, and a softmax
// over the next sample's code (μ-law audio: 256 codes). For tokens
// x₁..x_T, with r⁰_t = E[x_t] (an embedding, the 1×1 convolution of a
// one-hot input) and layer l of dilation d_l:
//
//	z^l_t = W^l·[r^l_(t−d_l) ; r^l_t] + b^l + G^l[c_t]   (2D: filter | gate)
//	u^l_t = tanh(z^l_f) ⊙ σ(z^l_g)                       (D)
//	r^(l+1)_t = r^l_t + A^l·u^l_t + a^l                  (R; not after the last layer)
//	s_t = Σ_l K^l·u^l_t + k                              (S: skip connections)
//	P(x_(t+1) | x≤t) = softmax(O₂·relu(O₁·relu(s_t) + o₁) + o₂)
//
// The dilations run 1, 2, 4, …, 2^(Layers−1) and repeat Stacks times, so
// the receptive field is Stacks·(2^Layers − 1) + 1 samples. r at negative
// times is zero: a sequence starts from silence of every layer.
//
// Global conditioning (a speaker, a file tag): c_t is the control code in
// force at t, the last control token since the last <s> (none: row 0), and
// G^l is a per-layer table of gate biases, one row per code. A window the
// trainer starts with <s> and the sequence's code (train.Options
// .ControlWindows) so conditions every position, as generation does.
//
// A [Model] implements the autoreg seam and the training interface of
// package train (feed-forward: independent windows). Its states generate
// in O(layers) per sample, as in Fast WaveNet (Paine et al. 2016): each
// layer keeps a queue of its last d_l inputs, so a new sample costs one
// step of every layer rather than a pass over the receptive field, and
// allocates nothing.
package wavenet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/lazy"
	"github.com/autoreg/autoreg/tensor"
)

// Config is the shape of a WaveNet.
type Config struct {
	Layers   int `json:"layers"`   // dilated layers per stack: dilations 1 … 2^(Layers−1)
	Stacks   int `json:"stacks"`   // repetitions of the dilation cycle
	Residual int `json:"residual"` // R, the residual stream's channels
	Gate     int `json:"gate"`     // D, the gated units' channels
	Skip     int `json:"skip"`     // S, the skip sum's channels
	Out      int `json:"out"`      // the output layer's hidden channels (0 means Skip)
}

// Limits of a configuration.
const (
	MaxLayers = 16 // per stack: dilations up to 32,768
	MaxStacks = 64
	MaxWidth  = 1 << 12
	MaxVocab  = 1 << 16
)

// Check reports a configuration no model can have.
func (c Config) Check() error {
	switch {
	case c.Layers < 1 || c.Layers > MaxLayers:
		return fmt.Errorf("wavenet: %d layers per stack, want 1..%d", c.Layers, MaxLayers)
	case c.Stacks < 1 || c.Stacks > MaxStacks:
		return fmt.Errorf("wavenet: %d stacks, want 1..%d", c.Stacks, MaxStacks)
	case c.Residual < 1 || c.Residual > MaxWidth || c.Gate < 1 || c.Gate > MaxWidth || c.Skip < 1 || c.Skip > MaxWidth:
		return fmt.Errorf("wavenet: widths residual %d, gate %d, skip %d: want 1..%d", c.Residual, c.Gate, c.Skip, MaxWidth)
	case c.Out < 0 || c.Out > MaxWidth:
		return fmt.Errorf("wavenet: output width %d, want 0..%d", c.Out, MaxWidth)
	}
	return nil
}

func (c Config) out() int {
	if c.Out == 0 {
		return c.Skip
	}
	return c.Out
}

// Depth is the number of dilated layers, Layers·Stacks.
func (c Config) Depth() int { return c.Layers * c.Stacks }

// Dilation is the dilation of layer l (0-based over all stacks).
func (c Config) Dilation(l int) int { return 1 << (l % c.Layers) }

// ReceptiveField is how many samples a prediction sees: the last one and
// Stacks·(2^Layers − 1) before it.
func (c Config) ReceptiveField() int { return c.Stacks*(1<<c.Layers-1) + 1 }

// Ignore is the target id of a position without a target.
const Ignore = -1

type layer struct {
	conv tensor.View // (2D, 2R): columns [tap t−d | tap t], rows [filter | gate]
	bias tensor.View // (2D)
	cond tensor.View // (K+1, 2D) gate biases per control code; empty without controls
	res  tensor.View // (R, D); empty for the last layer
	resb tensor.View // (R)
}

// Model is a WaveNet over a token vocabulary.
type Model struct {
	cfg    Config
	vocab  autoreg.Vocab
	V      int
	arena  *tensor.Arena
	emb    tensor.View // (V, R)
	layers []layer
	skip   tensor.View // (S, L·D): K^l is columns [l·D, (l+1)·D)
	skipb  tensor.View // (S)
	out1   tensor.View // (O, S)
	out1b  tensor.View // (O)
	out2   tensor.View // (V, O)
	out2b  tensor.View // (V)

	tr    *trainState
	pack  lazy.Value[packedWeights] // the packed matrices of generation (state.go)
	steps sync.Pool                 // *stepBatch buffers of Step
}

// New returns a model with weights drawn from seed: the embedding from
// N(0, 1), each matrix from N(0, 1/fan-in) (2/fan-in after a ReLU), the
// last output layer scaled down so the first predictions are nearly
// uniform; biases and control tables start at zero.
func New(cfg Config, vocab autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x7761766574696e69)) // "wavetini"
	a := m.arena
	R, D, S, O := cfg.Residual, cfg.Gate, cfg.Skip, cfg.out()
	tensor.Normal(m.emb.Data(a), 1, rng)
	for _, l := range m.layers {
		tensor.Normal(l.conv.Data(a), math.Sqrt(1/float64(2*R)), rng)
		if l.res.Len > 0 {
			tensor.Normal(l.res.Data(a), math.Sqrt(1/float64(D)), rng)
		}
	}
	tensor.Normal(m.skip.Data(a), math.Sqrt(1/float64(m.cfg.Depth()*D)), rng)
	tensor.Normal(m.out1.Data(a), math.Sqrt(2/float64(S)), rng)
	tensor.Normal(m.out2.Data(a), 0.1*math.Sqrt(2/float64(O)), rng)
	return m, nil
}

func build(cfg Config, vocab autoreg.Vocab) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, err
	}
	V := vocab.Size()
	if V > MaxVocab {
		return nil, fmt.Errorf("wavenet: vocabulary of %d tokens, at most %d", V, MaxVocab)
	}
	R, D, S, O, L := cfg.Residual, cfg.Gate, cfg.Skip, cfg.out(), cfg.Depth()
	K := len(vocab.Controls)
	m := &Model{cfg: cfg, vocab: vocab, V: V}
	var b tensor.Builder
	m.emb = b.Add("emb", false, V, R)
	for l := range L {
		p := fmt.Sprintf("l%d.", l)
		ly := layer{conv: b.Add(p+"conv", true, 2*D, 2*R), bias: b.Add(p+"bias", false, 2*D)}
		if K > 0 {
			ly.cond = b.Add(p+"cond", false, K+1, 2*D)
		}
		if l < L-1 {
			ly.res = b.Add(p+"res", true, R, D)
			ly.resb = b.Add(p+"resb", false, R)
		}
		m.layers = append(m.layers, ly)
	}
	m.skip = b.Add("skip", true, S, L*D)
	m.skipb = b.Add("skipb", false, S)
	m.out1 = b.Add("out1", true, O, S)
	m.out1b = b.Add("out1b", false, O)
	m.out2 = b.Add("out2", true, V, O)
	m.out2b = b.Add("out2b", false, V)
	m.arena = b.Build()
	return m, nil
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Vocab describes the token space.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// Arena returns the parameters and gradients.
func (m *Model) Arena() *tensor.Arena { return m.arena }

// control returns the control index a token sets (1 + the control code's
// number), 0 for <s> (which clears it), and −1 for a token that leaves it.
func (m *Model) control(x autoreg.Token) int {
	v := m.vocab
	first := v.Base + autoreg.NumReserved // the first control code
	switch {
	case x == v.BOS():
		return 0
	case int(x) >= first:
		return int(x) - first + 1
	}
	return -1
}

// FLOPsPerToken estimates training floating-point operations per token:
// 6 per weight of the matrices every token goes through.
func (m *Model) FLOPsPerToken() float64 {
	R, D, S, O, L := float64(m.cfg.Residual), float64(m.cfg.Gate), float64(m.cfg.Skip), float64(m.cfg.out()), float64(m.cfg.Depth())
	w := L*(2*D*2*R) + (L-1)*R*D + S*L*D + O*S + float64(m.V)*O
	return 6 * w
}
