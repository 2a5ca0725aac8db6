// Package rnn is the recurrent family of language models: stacked LSTM
// (Hochreiter and Schmidhuber 1997; forget gate of Gers et al. 2000) or GRU
// (Cho et al. 2014) layers over a token embedding, with dropout on the
// non-recurrent connections as in Zaremba, Sutskever and Vinyals,
// "Recurrent Neural Network Regularization" (2014). For tokens x₁..x_T:
//
//	h⁰_t = E[x_t]                                 (embedding, width E)
//	h^l_t, c^l_t = cell(W^l h^(l−1)_t + b^l, U^l h^l_(t−1), c^l_(t−1))
//	P(x_(t+1) | x≤t) = softmax(W_o h^L_t + b_o)
//
// with the LSTM cell c = σ(f)⊙c' + σ(i)⊙tanh(g), h = σ(o)⊙tanh(c) (gates
// [i f g o]) or the GRU cell in the cuDNN/PyTorch form (gates [r z n],
// n = tanh(W_n x + b_n + r⊙(U_n h' + b_hn))). When the embedding width
// equals the hidden width, the output layer is tied to the embedding
// (Press and Wolf 2017; W_o = E).
//
// A [Model] implements the autoreg seam (a State carries h and c per
// layer; each Append costs one step per token) and the training interface
// of package train, including train.Recurrent: Forward starts from the
// hidden state the previous Forward ended with (truncated backpropagation
// through time). The input products W·x of a layer are one GEMM over all
// time steps; only U·h runs step by step.
package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tensor"
)

// Cell names.
const (
	LSTM = "lstm"
	GRU  = "gru"
)

// Config is the shape of a recurrent model.
type Config struct {
	Cell    string  `json:"cell"` // LSTM or GRU
	Layers  int     `json:"layers"`
	Hidden  int     `json:"hidden"`  // H
	Embed   int     `json:"embed"`   // E; 0 means H
	Dropout float64 `json:"dropout"` // training only
}

// Limits of a configuration.
const (
	MaxLayers = 64
	MaxWidth  = 1 << 14
	MaxVocab  = 1 << 24
)

func (c Config) gates() int {
	if c.Cell == GRU {
		return 3
	}
	return 4
}

func (c Config) embed() int {
	if c.Embed == 0 {
		return c.Hidden
	}
	return c.Embed
}

// Tied reports whether the output layer shares the embedding table.
func (c Config) Tied() bool { return c.embed() == c.Hidden }

// Check reports a configuration no model can have.
func (c Config) Check() error {
	switch {
	case c.Cell != LSTM && c.Cell != GRU:
		return fmt.Errorf("rnn: cell %q, want lstm or gru", c.Cell)
	case c.Layers < 1 || c.Layers > MaxLayers:
		return fmt.Errorf("rnn: %d layers, want 1..%d", c.Layers, MaxLayers)
	case c.Hidden < 1 || c.Hidden > MaxWidth:
		return fmt.Errorf("rnn: hidden width %d, want 1..%d", c.Hidden, MaxWidth)
	case c.Embed < 0 || c.Embed > MaxWidth:
		return fmt.Errorf("rnn: embedding width %d, want 0..%d", c.Embed, MaxWidth)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("rnn: dropout %g, want [0, 1)", c.Dropout)
	}
	return nil
}

// Ignore is the target id of a position without a target.
const Ignore = -1

type layer struct {
	wx  tensor.View // (G·H, In)
	wh  tensor.View // (G·H, H)
	b   tensor.View // (G·H): input-side bias
	bhn tensor.View // GRU only: (H), the hidden-side bias of the n gate
}

// Model is a recurrent language model.
type Model struct {
	cfg    Config
	vocab  autoreg.Vocab
	V      int
	arena  *tensor.Arena
	emb    tensor.View // (V,E)
	layers []layer
	wout   tensor.View // (V,H); unused when tied
	bout   tensor.View // (V)
	tied   bool        // the output layer is the embedding

	tr    *trainState
	carry []float32 // h (B,H) of every layer, then (LSTM) c (B,H) of every layer
	carB  int
}

// New returns a model initialized as Zaremba et al.: every weight uniform
// in [−0.1, 0.1] (biases too, except the LSTM forget-gate bias, set to 1
// so early gradients flow, as Jozefowicz et al. 2015 recommend), from seed
// alone.
func New(cfg Config, vocab autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	m.init(seed)
	return m, nil
}

// init draws the parameters as New documents.
func (m *Model) init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x726e6e20696e6974)) // "rnn init"
	const r = 0.1
	for _, v := range m.arena.Views {
		p := v.Data(m.arena)
		for i := range p {
			p[i] = float32(r * (2*rng.Float64() - 1))
		}
	}
	if m.cfg.Cell == LSTM {
		H := m.cfg.Hidden
		for _, l := range m.layers {
			tensor.Fill(l.b.Data(m.arena)[H:2*H], 1)
		}
	}
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
		return nil, fmt.Errorf("rnn: vocabulary of %d tokens, at most %d", V, MaxVocab)
	}
	m := layout(cfg, V, V, cfg.Tied(), nil)
	m.vocab = vocab
	return m, nil
}

// layout declares the parameters (zeroed): an embedding of V rows, the
// layers, an output layer of out rows (sharing the embedding when tied),
// then what extra adds. A real-valued model has no embedding (V = 0; its
// inputs enter layer 0 directly), an output layer of its head's width and
// maybe a highway.
func layout(cfg Config, V, out int, tied bool, extra func(b *tensor.Builder)) *Model {
	H, E, G := cfg.Hidden, cfg.embed(), cfg.gates()
	m := &Model{cfg: cfg, V: V, tied: tied}
	var b tensor.Builder
	m.emb = b.Add("emb", false, V, E)
	in := E
	for l := range cfg.Layers {
		p := fmt.Sprintf("l%d.", l)
		ly := layer{
			wx: b.Add(p+"wx", true, G*H, in),
			wh: b.Add(p+"wh", true, G*H, H),
			b:  b.Add(p+"b", false, G*H),
		}
		if cfg.Cell == GRU {
			ly.bhn = b.Add(p+"bhn", false, H)
		}
		m.layers = append(m.layers, ly)
		in = H
	}
	if !tied {
		m.wout = b.Add("out.weight", true, out, H)
	}
	m.bout = b.Add("out.bias", false, out)
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

// Arena returns the parameters and gradients.
func (m *Model) Arena() *tensor.Arena { return m.arena }

// outWeight is the output layer's (V,H) weight view: the embedding when tied.
func (m *Model) outWeight() tensor.View {
	if m.tied {
		return m.emb
	}
	return m.wout
}

// stateLen is the carried state's floats per sequence: h per layer, and c
// per layer for LSTM.
func (m *Model) stateLen() int {
	n := m.cfg.Layers * m.cfg.Hidden
	if m.cfg.Cell == LSTM {
		n *= 2
	}
	return n
}

// Carry returns the hidden state carried from one Forward to the next for
// batch size B (train.Recurrent): h (B,H) of each layer in order, then,
// for LSTM, c (B,H) of each layer. A new batch size starts from zeros.
func (m *Model) Carry(B int) []float32 {
	if m.carB != B || m.carry == nil {
		m.carry = make([]float32, B*m.stateLen())
		m.carB = B
	}
	return m.carry
}

// FLOPsPerToken estimates training floating-point operations per token:
// 6 per weight of the matrices touched by every token.
func (m *Model) FLOPsPerToken() float64 {
	H, G := float64(m.cfg.Hidden), float64(m.cfg.gates())
	in := float64(m.cfg.embed())
	var w float64
	for range m.cfg.Layers {
		w += G*H*in + G*H*H
		in = H
	}
	w += float64(m.V) * H
	return 6 * w
}
