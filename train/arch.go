package train

import (
	"encoding/json"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/pixelcnn"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/vae"
	"github.com/autoreg/autoreg/wavenet"
)

// Arch describes a neural model in the terms its families share, so that a
// program can build any of them from one set of settings (`autoreg train`
// fills it from --arch, --layers, --dim, --embed, --heads, --context and
// --dropout).
type Arch struct {
	// Family is "gpt", "lstm" or "gru" (see Families).
	Family string
	// Layers is the number of Transformer blocks or recurrent layers.
	Layers int
	// Dim is the model width: a GPT's embedding and residual width, an
	// RNN's hidden size.
	Dim int
	// Embed is an RNN's embedding width; 0 means Dim, and the output layer
	// then shares the embedding's weights. A GPT's embedding width is Dim,
	// so for a GPT it must be 0 or Dim.
	Embed int
	// Heads is a GPT's number of attention heads; it must divide Dim.
	Heads int
	// Context is a GPT's window in tokens (the size of its position
	// table); recurrent models have no window and ignore it.
	Context int
	// Dropout is the dropout probability in training, in [0, 1).
	Dropout float64
	// Latent is a VAE's code dimension D (an LSTM encoder and decoder of
	// Layers × Dim, the embedding Embed wide).
	Latent int
	// Objective is a VAE's training objective: the KL schedule, free bits
	// and word dropout.
	Objective vae.Objective
	// Image is the shape of the images of a pixel tokenizer (zero for
	// text): a GPT adds row, column and channel embeddings; a PixelCNN
	// needs it.
	Image tokenize.Shape
	// Kernel is a PixelCNN's kernel size after the first layer (0 means
	// 3; the first layer's is 7, as in van den Oord et al. 2016).
	Kernel int
	// Maps is a PixelCNN's number of learned spatial maps per class
	// (location-dependent conditioning; 0 for none).
	Maps int
	// Stacks is a WaveNet's number of stacks of dilated layers (Layers
	// per stack, dilations 1 … 2^(Layers−1)); 0 means 1.
	Stacks int
	// Skip is a WaveNet's skip and output width; 0 means 4·Dim. (Dim is
	// its residual and gate width.)
	Skip int
}

// Families lists the families NewModel builds.
var Families = []string{"lstm", "gru", "gpt", "vae", "pixelcnn", "wavenet"}

// NewModel returns a freshly initialized model of the architecture over
// vocabulary v, its weights drawn from seed. Adding a trainable family
// means adding a case here and in Meta (and one in package modelfile's
// reader).
func NewModel(a Arch, v autoreg.Vocab, seed uint64) (Model, error) {
	switch a.Family {
	case "gpt":
		if a.Embed != 0 && a.Embed != a.Dim {
			return nil, fmt.Errorf("train: a GPT's embedding width is its width %d, not %d", a.Dim, a.Embed)
		}
		return gpt.New(gpt.Config{Layers: a.Layers, Dim: a.Dim, Heads: a.Heads, Context: a.Context, Dropout: a.Dropout, Image: a.Image}, v, seed)
	case rnn.LSTM, rnn.GRU:
		return rnn.New(rnn.Config{Cell: a.Family, Layers: a.Layers, Hidden: a.Dim, Embed: a.Embed, Dropout: a.Dropout}, v, seed)
	case "vae":
		return vae.New(vae.Config{Cell: rnn.LSTM, Layers: a.Layers, Hidden: a.Dim, Embed: a.Embed, Latent: a.Latent,
			Dropout: a.Dropout, Objective: a.Objective}, v, seed)
	case "pixelcnn":
		if a.Image == (tokenize.Shape{}) {
			return nil, fmt.Errorf("train: a PixelCNN models images: use the pixels tokenizer")
		}
		if a.Dropout != 0 {
			return nil, fmt.Errorf("train: a PixelCNN has no dropout")
		}
		k := a.Kernel
		if k == 0 {
			k = 3
		}
		return pixelcnn.New(pixelcnn.Config{Layers: a.Layers, Channels: a.Dim, Kernel: k, FirstKernel: 7, Hidden: a.Dim, Image: a.Image,
			Maps: a.Maps}, v, seed)
	case "wavenet":
		if a.Dropout != 0 || a.Embed != 0 {
			return nil, fmt.Errorf("train: a WaveNet has no dropout and no separate embedding width")
		}
		stacks, skip := max(a.Stacks, 1), a.Skip
		if skip == 0 {
			skip = 4 * a.Dim
		}
		return wavenet.New(wavenet.Config{Layers: a.Layers, Stacks: stacks, Residual: a.Dim, Gate: a.Dim, Skip: skip}, v, seed)
	}
	return nil, fmt.Errorf("train: unknown family %q (want lstm, gru, gpt, vae, pixelcnn or wavenet)", a.Family)
}

// Meta returns the model-file header of a model of a family NewModel
// builds: its family and configuration, and the mode and control rule its
// training text is read with (which evaluation then applies too). Training
// is left for the caller to record.
func Meta(m Model, mode corpus.Mode, ctl corpus.Control) (modelfile.Meta, error) {
	meta := modelfile.Meta{Mode: mode.String(), Control: ctl.String()}
	var cfg any
	switch m := m.(type) {
	case *gpt.Model:
		meta.Family, cfg = "gpt", m.Config()
	case *rnn.Model:
		meta.Family, cfg = m.Config().Cell, m.Config()
	case *vae.Model:
		meta.Family, cfg = "vae", m.Config()
	case *pixelcnn.Model:
		meta.Family, cfg = "pixelcnn", m.Config()
	case *wavenet.Model:
		meta.Family, cfg = "wavenet", m.Config()
	default:
		return modelfile.Meta{}, fmt.Errorf("train: a %T has no model-file family", m)
	}
	var err error
	meta.Config, err = json.Marshal(cfg)
	return meta, err
}

// familyName names a model's family as its model file does (gpt, lstm,
// wavenet, gpt-real, …), for errors.
func familyName(m Trainable) string {
	switch m := m.(type) {
	case Model:
		if meta, err := Meta(m, corpus.Stream, corpus.Control{}); err == nil {
			return meta.Family + " model"
		}
	case RealModel:
		if meta, err := RealMeta(m, nil, ""); err == nil {
			return meta.Family + " model"
		}
	case PairModel:
		return "encoder-decoder"
	}
	return fmt.Sprintf("%T", m)
}
