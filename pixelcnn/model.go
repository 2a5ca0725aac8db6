// Package pixelcnn is the gated PixelCNN of van den Oord, Kalchbrenner,
// Vinyals, Espeholt, Graves and Kavukcuoglu, "Conditional Image Generation
// with PixelCNN Decoders" (NeurIPS 2016): an autoregressive model of images
// whose convolutions are masked so that each sample is predicted from the
// samples before it in raster order, a pixel's channels one after another.
//
// # The network
//
// An image of H×W pixels of Cimg channels with K levels enters as Cimg+1
// input maps: each sample v as 2v/(K−1) − 1, and a map of ones (so that
// the zero padding outside the image is told apart from mid-gray). Two
// stacks of feature maps, p wide, run through L gated layers:
//
//	vertical:   v̂_l = conv_v(v_l) + b_v + e_v[class] + U_v·s[class]      (2p)
//	            v_(l+1) = tanh(v̂_a) ⊙ σ(v̂_b)                              (p)
//	horizontal: ĥ_l = conv_h(h_l) + W_link·v̂_l + b_h + e_h[class]
//	                  + U_h·s[class]                                       (2p)
//	            h_(l+1) = h_l + W_res·(tanh(ĥ_a) ⊙ σ(ĥ_b)) + b_res        (p)
//
// with v_0 = h_0 = the input maps (and no residual in the first layer,
// whose input is narrower). The vertical kernel of the first layer covers
// the ⌊n₀/2⌋+1 rows strictly above a pixel and n₀ columns around it; later
// layers cover ⌊n/2⌋ rows above and the pixel's own row of the vertical
// stack (which itself sees only rows above). The horizontal kernel covers
// the ⌊n/2⌋ pixels to the left and the pixel itself, whose input is masked
// by channel: the features are split into Cimg groups, group g predicts
// channel g, and at the pixel itself group g sees input channels < g in
// the first layer (mask A) and feature groups ≤ g later (mask B). So the
// vertical stack sees everything above, the horizontal stack everything
// to the left, and their union has no blind spot (the paper's fix of the
// original PixelCNN). The link W_link carries the vertical stack into the
// horizontal one; e_v, e_h are per-class biases (the paper's class
// conditioning h of one-hot classes, the same at every pixel). s[class]
// (optional, Config.Maps) is the paper's location-dependent conditioning:
// d learned maps of the whole image per class (one set without classes),
// read at the pixel through the 1×1 maps U_v, U_h. They depend on the
// class alone, never on a sample, so every pixel may read them: they tell
// each gate where the class's strokes lie and where in the image it is,
// which the convolutions see only near the borders. An output head
//
//	logits = W₂·gelu(W₁·gelu(h_L) + b₁) + b₂                     (Cimg·K)
//
// (masks B by group again; GELU, Hendrycks and Gimpel 2016, where the
// paper has ReLU: smooth, so that finite differences check the whole
// network, and no unit dies) gives each sample a K-way softmax:
// P(x_j | x_<j) for sample j = (pixel, channel c) is softmax of group c's
// K logits. Kernels are lists of taps (nn.Tap), so the causal structure is
// in which taps exist; the channel masks are weights held at zero.
//
// # The token seam
//
// An image is the token sequence <s> [<ctl:CLASS>] x₀ … x_(N−1) (package
// tokenize, Pixels; N = H·W·Cimg). A [Model] implements autoreg.Model and
// the training interface of package train (Forward/Backward over whole
// images, Context = N − 1 + the start tokens). Its [State] caches what it
// can while an image grows: the vertical stack of a row is computed once,
// when the row starts (it depends only on the rows above), and the
// horizontal stack at one pixel per sample, so sampling or scoring an
// image costs about one forward pass instead of N. [Model.ScoreSequence]
// scores a whole image in one batched pass.
package pixelcnn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Config is the shape of a gated PixelCNN.
type Config struct {
	// Layers is the number of gated layers L (the first included).
	Layers int `json:"layers"`
	// Channels is the width p of each stack; a multiple of the image's
	// channels (one group per image channel).
	Channels int `json:"channels"`
	// Kernel is the kernel size n of the gated layers after the first
	// (odd).
	Kernel int `json:"kernel"`
	// FirstKernel is the first layer's kernel size n₀ (odd).
	FirstKernel int `json:"first_kernel"`
	// Hidden is the width of the output head's hidden layer; a multiple
	// of the image's channels.
	Hidden int `json:"hidden"`
	// Image is the shape of the images.
	Image tokenize.Shape `json:"image"`
	// Maps is the number d of learned spatial maps per class (one set
	// for a model without classes) that every gate reads through a 1×1
	// map: the paper's location-dependent conditioning. 0 for none.
	Maps int `json:"maps,omitempty"`
}

// Limits of a configuration (also applied when reading a model file).
const (
	MaxLayers   = 256
	MaxChannels = 4096
	MaxKernel   = 31
	MaxSide     = 1 << 14
	MaxLevels   = 256
	MaxMaps     = 256
)

// Check reports a configuration no model can have.
func (c Config) Check() error {
	im := c.Image
	switch {
	case c.Layers < 1 || c.Layers > MaxLayers:
		return fmt.Errorf("pixelcnn: %d layers, want 1..%d", c.Layers, MaxLayers)
	case im.Height < 1 || im.Width < 1 || im.Height > MaxSide || im.Width > MaxSide || im.Channels < 1 || im.Channels > 4:
		return fmt.Errorf("pixelcnn: image shape %s out of range", im)
	case c.Channels < 1 || c.Channels > MaxChannels || c.Channels%im.Channels != 0:
		return fmt.Errorf("pixelcnn: %d feature maps, want 1..%d and a multiple of the image's %d channels", c.Channels, MaxChannels, im.Channels)
	case c.Hidden < 1 || c.Hidden > MaxChannels || c.Hidden%im.Channels != 0:
		return fmt.Errorf("pixelcnn: output head of %d, want 1..%d and a multiple of the image's %d channels", c.Hidden, MaxChannels, im.Channels)
	case c.Kernel < 3 || c.Kernel > MaxKernel || c.Kernel%2 == 0:
		return fmt.Errorf("pixelcnn: kernel %d, want an odd size from 3 to %d", c.Kernel, MaxKernel)
	case c.FirstKernel < 3 || c.FirstKernel > MaxKernel || c.FirstKernel%2 == 0:
		return fmt.Errorf("pixelcnn: first kernel %d, want an odd size from 3 to %d", c.FirstKernel, MaxKernel)
	case c.Maps < 0 || c.Maps > MaxMaps:
		return fmt.Errorf("pixelcnn: %d spatial maps, want 0..%d", c.Maps, MaxMaps)
	}
	return nil
}

// Ignore is the target of a position without one.
const Ignore = -1

// layer holds the views of one gated layer.
type layer struct {
	vw, vb   tensor.View // (2p, |taps_v|·in), (2p)
	hw, hb   tensor.View // (2p, |taps_h|·in), (2p)
	link     tensor.View // (2p, 2p)
	resw     tensor.View // (p, p)
	resb     tensor.View // (p)
	cv, ch   tensor.View // (classes, 2p) per-class biases; empty without classes
	vm, hm   tensor.View // (2p, d) the spatial maps' 1×1 maps; empty without maps
	vtaps    []nn.Tap
	htaps    []nn.Tap
	in       int // input maps: Cimg+1 for the first layer, p later
	residual bool
}

// Model is a gated PixelCNN over a pixel vocabulary.
type Model struct {
	cfg     Config
	vocab   autoreg.Vocab
	K       int // levels: vocab.Base
	classes int // control codes
	N       int // samples per image
	arena   *tensor.Arena
	layers  []layer
	o1w     tensor.View // (q, p)
	o1b     tensor.View // (q)
	o2w     tensor.View // (Cimg·K, q)
	o2b     tensor.View // (Cimg·K)
	smap    tensor.View // (max(classes, 1), H·W, d) spatial maps; empty without
	masks   []mask      // weights held at zero (channel groups)

	tr *trainState
}

// mask is a set of weights of one view held at zero.
type mask struct {
	view tensor.View
	zero []int // indices into the view
}

// New returns a model with weights drawn from seed: each weight
// N(0, 1/fan-in), the residual and output projections scaled down (a
// near-identity residual stack, an output near the uniform distribution),
// biases and class embeddings zero, spatial maps N(0, 1) read through
// N(0, 1/(4d)) weights.
func New(cfg Config, vocab autoreg.Vocab, seed uint64) (*Model, error) {
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x706978656c636e6e)) // "pixelcnn"
	a := m.arena
	he := func(v tensor.View, fanIn int, gain float64) {
		tensor.Normal(v.Data(a), gain/math.Sqrt(float64(fanIn)), rng)
	}
	p := cfg.Channels
	for _, l := range m.layers {
		he(l.vw, len(l.vtaps)*l.in, 1)
		he(l.hw, len(l.htaps)*l.in, 1)
		he(l.link, 2*p, 0.5)
		he(l.resw, p, 0.5)
		if cfg.Maps > 0 {
			he(l.vm, cfg.Maps, 0.5)
			he(l.hm, cfg.Maps, 0.5)
		}
	}
	if cfg.Maps > 0 {
		tensor.Normal(m.smap.Data(a), 1, rng)
	}
	he(m.o1w, p, 1)
	he(m.o2w, cfg.Hidden, 0.1)
	m.applyMasks(a.Params)
	return m, nil
}

// build lays out the parameters (zeroed) and the masks.
func build(cfg Config, vocab autoreg.Vocab) (*Model, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("pixelcnn: %w", err)
	}
	if vocab.Base < 2 || vocab.Base > MaxLevels {
		return nil, fmt.Errorf("pixelcnn: %d levels, want 2..%d", vocab.Base, MaxLevels)
	}
	m := &Model{cfg: cfg, vocab: vocab, K: vocab.Base, classes: len(vocab.Controls), N: cfg.Image.Samples()}
	p, q, Ci := cfg.Channels, cfg.Hidden, cfg.Image.Channels
	var b tensor.Builder
	for l := range cfg.Layers {
		ly := layer{in: p, residual: l > 0}
		n := cfg.Kernel
		if l == 0 {
			ly.in, n = Ci+1, cfg.FirstKernel
		}
		ly.vtaps, ly.htaps = vertTaps(n, l == 0), horizTaps(n, l == 0 && Ci == 1)
		pre := fmt.Sprintf("l%d.", l)
		ly.vw = b.Add(pre+"v.weight", true, 2*p, len(ly.vtaps)*ly.in)
		ly.vb = b.Add(pre+"v.bias", false, 2*p)
		ly.hw = b.Add(pre+"h.weight", true, 2*p, len(ly.htaps)*ly.in)
		ly.hb = b.Add(pre+"h.bias", false, 2*p)
		ly.link = b.Add(pre+"link.weight", true, 2*p, 2*p)
		ly.resw = b.Add(pre+"res.weight", true, p, p)
		ly.resb = b.Add(pre+"res.bias", false, p)
		if m.classes > 0 {
			ly.cv = b.Add(pre+"v.class", false, m.classes, 2*p)
			ly.ch = b.Add(pre+"h.class", false, m.classes, 2*p)
		}
		if cfg.Maps > 0 {
			ly.vm = b.Add(pre+"v.maps", true, 2*p, cfg.Maps)
			ly.hm = b.Add(pre+"h.maps", true, 2*p, cfg.Maps)
		}
		m.layers = append(m.layers, ly)
	}
	if cfg.Maps > 0 {
		m.smap = b.Add("maps", false, max(m.classes, 1), cfg.Image.Height*cfg.Image.Width, cfg.Maps)
	}
	m.o1w = b.Add("out1.weight", true, q, p)
	m.o1b = b.Add("out1.bias", false, q)
	m.o2w = b.Add("out2.weight", true, Ci*m.K, q)
	m.o2b = b.Add("out2.bias", false, Ci*m.K)
	m.arena = b.Build()
	if Ci > 1 {
		m.buildMasks()
	}
	return m, nil
}

// vertTaps returns the vertical stack's kernel of size n: the ⌊n/2⌋+1
// rows strictly above (first layer, reading the image) or the ⌊n/2⌋ rows
// above and the own row (later layers, reading the vertical stack, which
// already sees only rows above), n columns centred on the pixel.
func vertTaps(n int, first bool) []nn.Tap {
	r := n / 2
	lo, hi := -r, 0
	if first {
		lo, hi = -r-1, -1
	}
	var taps []nn.Tap
	for dy := lo; dy <= hi; dy++ {
		for dx := -r; dx <= r; dx++ {
			taps = append(taps, nn.Tap{DY: dy, DX: dx})
		}
	}
	return taps
}

// horizTaps returns the horizontal stack's kernel of size n: the ⌊n/2⌋
// pixels to the left and the pixel itself, unless noCenter (the first
// layer of a one-channel image, where mask A leaves the pixel nothing).
func horizTaps(n int, noCenter bool) []nn.Tap {
	var taps []nn.Tap
	for dx := -(n / 2); dx <= 0; dx++ {
		if dx == 0 && noCenter {
			break
		}
		taps = append(taps, nn.Tap{DX: dx})
	}
	return taps
}

// group returns the channel group of feature f of a layer of width F
// (F/Cimg features per group).
func (m *Model) group(f, F int) int { return f / (F / m.cfg.Image.Channels) }

// buildMasks lists the weights the channel groups hold at zero: at the
// pixel itself (the horizontal kernels' tap (0, 0)) and in every 1×1 map
// of the horizontal stack and the head, an output of group g reads inputs
// of groups < g (the image, mask A) or ≤ g (features, mask B). The gated
// pre-activations [a | b] (2p) put feature j and p+j in j's group. The
// vertical stack and the link (from the vertical stack) are free.
func (m *Model) buildMasks() {
	p, q, Ci, K := m.cfg.Channels, m.cfg.Hidden, m.cfg.Image.Channels, m.K
	pre := func(r int) int { return m.group(r%p, p) }
	// add masks entries (o, col) of a (rows, cols) view where the input
	// feature at col of the tap block centre (or every column for 1×1)
	// is out of reach.
	add := func(v tensor.View, rows, cols, blockStart, in int, outGroup, inGroup func(int) int, strict bool) {
		var zero []int
		for o := range rows {
			for i := range in {
				g, h := outGroup(o), inGroup(i)
				if h > g || (strict && h == g) {
					zero = append(zero, o*cols+blockStart+i)
				}
			}
		}
		if len(zero) > 0 {
			m.masks = append(m.masks, mask{view: v, zero: zero})
		}
	}
	for l, ly := range m.layers {
		cols := len(ly.htaps) * ly.in
		centre := (len(ly.htaps) - 1) * ly.in // (0, 0) is the last tap
		if l == 0 {
			// Image channel c is group c; the map of ones (channel Ci)
			// holds no sample and reaches every group.
			img := func(i int) int {
				if i == Ci {
					return -1
				}
				return i
			}
			add(ly.hw, 2*p, cols, centre, ly.in, pre, img, true)
		} else {
			add(ly.hw, 2*p, cols, centre, ly.in, pre, func(i int) int { return m.group(i, p) }, false)
		}
		add(ly.resw, p, p, 0, p, func(o int) int { return m.group(o, p) }, func(i int) int { return m.group(i, p) }, false)
	}
	add(m.o1w, q, p, 0, p, func(o int) int { return m.group(o, q) }, func(i int) int { return m.group(i, p) }, false)
	add(m.o2w, Ci*K, q, 0, q, func(o int) int { return o / K }, func(i int) int { return m.group(i, q) }, false)
}

// applyMasks zeroes the masked entries of x, the arena's parameters or
// gradients.
func (m *Model) applyMasks(x []float32) {
	for _, mk := range m.masks {
		d := mk.view.Of(x)
		for _, i := range mk.zero {
			d[i] = 0
		}
	}
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Vocab describes the token space.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// Arena returns the flat parameters and gradients (the training interface).
func (m *Model) Arena() *tensor.Arena { return m.arena }

// SeqLen is the length of an image's token sequence, <s> and the control
// code (for a class-conditional model) included: the training Context is
// one less.
func (m *Model) SeqLen() int {
	if m.classes > 0 {
		return m.N + 2
	}
	return m.N + 1
}
