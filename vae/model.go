// Package vae is the sequence variational autoencoder of Bowman et al.,
// "Generating Sentences from a Continuous Space" (2016): a language model
// conditioned on a continuous latent code z, with an encoder that infers
// the code of a sentence. For a sequence x = x₁..x_T (its tokens after <s>,
// the closing </s> included):
//
//	prior        p(z) = N(0, I),  z ∈ R^D
//	encoder      f = LSTM→(e(x₁..x_T))_T,  b = LSTM←(e(x_T..x₁))_T
//	             [μ; ln σ²] = W_q [f; b] + b_q,  q(z | x) = N(μ, diag σ²)
//	decoder      c⁰ = W_z z + b_z, h⁰ = tanh(c⁰)         (every layer)
//	             h_t = LSTM(h_(t−1), [e(x_(t−1)); z]),  x₀ = <s>
//	             p(x_t | x<t, z) = softmax(W_o h_t + b_o)
//
// with one embedding table e shared by encoder and decoder (and the output
// layer when the widths agree, W_o = e). The code enters the decoder twice:
// as its initial state and beside every input token, so that the decoder
// cannot forget it over a long sentence (the conditioning of Bowman et al.
// and of He et al. 2019's decoders). The recurrent layers are package rnn's
// Stack (the encoder two of them, one reading each sentence backwards).
//
// Training maximizes the evidence lower bound of each sentence,
//
//	ELBO(x) = E_q(z|x)[ln p(x | z)] − KL(q(z | x) ‖ p(z))
//	KL = ½ Σ_d (μ_d² + σ_d² − 1 − ln σ_d²)
//
// by the reparameterization trick (Kingma and Welling 2014): z = μ + σ⊙ε,
// ε ~ N(0, I), one draw per sentence and step. Trained plainly, a sentence
// VAE with a strong decoder learns to ignore z (posterior collapse: the KL
// falls to zero and the decoder is an ordinary language model), so the
// objective has the known remedies as options (Objective): the KL term
// weighted by β annealed from 0 to 1, linearly (Bowman et al.) or in
// cycles (Fu et al. 2019); free bits (Kingma et al. 2016), the KL of each
// dimension, averaged over the batch, counted as at least λ nats (below λ
// it exerts no pull towards the prior); and word dropout on the decoder's
// inputs (Bowman et al.), which replaces an input token by <unk> so the
// decoder must lean on z. Forward reports the plain ELBO whatever the
// options; only the gradient follows the modified objective.
//
// A [Model] implements the seam through its decoder: autoreg.Latent
// (WithLatent returns the model of sequences given a code, Posterior is the
// encoder) and autoreg.LatentScorer (a sequence scored under many codes in
// one batched pass, for importance sampling); its own NewState is the
// decoder given z = 0. For package train it is a Model that reads every
// row of a batch as one whole sentence (train.Options.Sentences).
package vae

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tensor"
)

// Config is the shape of a VAE and its training objective.
type Config struct {
	// Cell is the recurrent cell of the encoder and the decoder: rnn.LSTM
	// or rnn.GRU (whose initial state is h⁰ = tanh(W_z z + b_z) alone).
	Cell string `json:"cell"`
	// Layers and Hidden are the decoder's depth and width H.
	Layers int `json:"layers"`
	Hidden int `json:"hidden"`
	// Embed is the embedding width E (0 means H; the output layer is then
	// tied to the embedding).
	Embed int `json:"embed"`
	// EncLayers and EncHidden are each encoder direction's depth and
	// width (0 means the decoder's).
	EncLayers int `json:"enc_layers"`
	EncHidden int `json:"enc_hidden"`
	// Latent is D, the dimension of the code.
	Latent int `json:"latent"`
	// Dropout is the dropout probability on the non-recurrent connections
	// of encoder and decoder in training (Zaremba et al. 2014).
	Dropout float64 `json:"dropout"`
	// Objective holds the remedies against posterior collapse.
	Objective Objective `json:"objective"`
}

// Limits of a configuration.
const (
	MaxLatent = 1 << 12
	MaxVocab  = rnn.MaxVocab
)

func (c Config) embed() int {
	if c.Embed == 0 {
		return c.Hidden
	}
	return c.Embed
}

func (c Config) encLayers() int {
	if c.EncLayers == 0 {
		return c.Layers
	}
	return c.EncLayers
}

func (c Config) encHidden() int {
	if c.EncHidden == 0 {
		return c.Hidden
	}
	return c.EncHidden
}

// Tied reports whether the output layer shares the embedding table.
func (c Config) Tied() bool { return c.embed() == c.Hidden }

// encoder and decoder are the rnn configurations of the stacks.
func (c Config) encoder() rnn.Config {
	return rnn.Config{Cell: c.Cell, Layers: c.encLayers(), Hidden: c.encHidden(), Embed: c.embed(), Dropout: c.Dropout}
}

func (c Config) decoder() rnn.Config {
	return rnn.Config{Cell: c.Cell, Layers: c.Layers, Hidden: c.Hidden, Embed: c.embed() + c.Latent, Dropout: c.Dropout}
}

// Check reports a configuration no model can have.
func (c Config) Check() error {
	switch {
	case c.Latent < 1 || c.Latent > MaxLatent:
		return fmt.Errorf("vae: latent dimension %d, want 1..%d", c.Latent, MaxLatent)
	case c.Embed < 0 || c.EncLayers < 0 || c.EncHidden < 0:
		return errors.New("vae: negative widths")
	case c.Embed > rnn.MaxWidth || c.EncHidden > rnn.MaxWidth || c.EncLayers > rnn.MaxLayers:
		return fmt.Errorf("vae: widths up to %d and %d layers", rnn.MaxWidth, rnn.MaxLayers)
	}
	if err := c.decoder().Check(); err != nil {
		return fmt.Errorf("vae: decoder: %w", err)
	}
	if err := c.encoder().Check(); err != nil {
		return fmt.Errorf("vae: encoder: %w", err)
	}
	return c.Objective.Check()
}

// Model is a sequence VAE (see the package doc).
type Model struct {
	cfg   Config
	vocab autoreg.Vocab
	V     int
	arena *tensor.Arena
	emb   tensor.View   // (V,E), shared by encoder and decoder
	enc   [2]*rnn.Stack // reading forwards, backwards
	wq    tensor.View   // (2D, 2·He): [μ; ln σ²] from the encoder's final states
	bq    tensor.View   // (2D)
	wz    tensor.View   // (L·H, D): the decoder's initial state from z
	bz    tensor.View   // (L·H)
	dec   *rnn.Stack    // input [e(x); z] (E+D)
	wout  tensor.View   // (V,H); unused when tied
	bout  tensor.View   // (V)
	tr    *trainState   // training activations, allocated on first Forward
	beta  float64       // the KL weight of the current training step
	pool  sync.Pool     // *decScratch for ScoreLatents
}

// New returns a model initialized as package rnn initializes its models:
// every weight uniform in [−0.1, 0.1] and every LSTM forget-gate bias 1,
// from seed alone.
func New(cfg Config, vocab autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x76616520696e6974)) // "vae init"
	const r = 0.1
	for _, v := range m.arena.Views {
		p := v.Data(m.arena)
		for i := range p {
			p[i] = float32(r * (2*rng.Float64() - 1))
		}
	}
	for _, s := range []*rnn.Stack{m.enc[0], m.enc[1], m.dec} {
		s.SetForgetBias(m.arena)
	}
	return m, nil
}

func build(cfg Config, vocab autoreg.Vocab) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("vae: %v", err)
	}
	V := vocab.Size()
	if V > MaxVocab {
		return nil, fmt.Errorf("vae: vocabulary of %d tokens, at most %d", V, MaxVocab)
	}
	m := &Model{cfg: cfg, vocab: vocab, V: V, beta: 1}
	E, D, H, He, L := cfg.embed(), cfg.Latent, cfg.Hidden, cfg.encHidden(), cfg.Layers
	var b tensor.Builder
	m.emb = b.Add("emb", false, V, E)
	m.enc[0] = mustStack(&b, "enc.f.", cfg.encoder())
	m.enc[1] = mustStack(&b, "enc.b.", cfg.encoder())
	m.wq = b.Add("q.weight", true, 2*D, 2*He)
	m.bq = b.Add("q.bias", false, 2*D)
	m.wz = b.Add("z.weight", true, L*H, D)
	m.bz = b.Add("z.bias", false, L*H)
	m.dec = mustStack(&b, "dec.", cfg.decoder())
	if !cfg.Tied() {
		m.wout = b.Add("out.weight", true, V, H)
	}
	m.bout = b.Add("out.bias", false, V)
	m.arena = b.Build()
	return m, nil
}

// mustStack declares a stack whose configuration Config.Check accepted.
func mustStack(b *tensor.Builder, prefix string, c rnn.Config) *rnn.Stack {
	s, err := rnn.NewStack(b, prefix, c)
	if err != nil {
		panic(err)
	}
	return s
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Vocab describes the token space.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// Arena returns the parameters and gradients.
func (m *Model) Arena() *tensor.Arena { return m.arena }

// LatentDim is D (autoreg.Latent).
func (m *Model) LatentDim() int { return m.cfg.Latent }

// outWeight is the output layer's (V,H) weight view: the embedding when
// tied.
func (m *Model) outWeight() tensor.View {
	if m.cfg.Tied() {
		return m.emb
	}
	return m.wout
}

// FLOPsPerToken estimates training floating-point operations per token: 6
// per weight of the products every token passes through (both encoder
// directions, the decoder and the output layer; the per-sentence latent
// layers are left out).
func (m *Model) FLOPsPerToken() float64 {
	return 2*m.enc[0].FLOPsPerStep() + m.dec.FLOPsPerStep() + 6*float64(m.V)*float64(m.cfg.Hidden)
}
