package pixelcnn

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// State is one growing image (and the images after it) of a Model.
//
// It keeps the feature maps of the current image and computes each only
// once: the vertical stack of row y depends on the rows above alone, so
// all its layers are computed for the whole row when the row's first
// sample is asked for; the horizontal stack at a pixel depends on the
// vertical stack and the pixels to its left, so it is computed at the
// pixel, for every layer, when one of the pixel's samples is asked for
// (again for each channel of a colour pixel, since a channel sees the
// ones before it). Generating or scoring an image one sample at a time
// thus costs about one batched forward pass.
//
// Tokens: <s> starts an image (and forgets the class); right after it, a
// class-conditional model expects a control code, the class, and gives
// the codes equal probability (it models images given their class, not
// the classes); a level is the next sample; after the N-th sample, or at
// </s> or <unk>, the next image starts with the same class. The empty
// history predicts the first sample of an image without class.
//
// Append of one token and LogProbs or LogProb allocate nothing.
type State struct {
	m         *Model
	n         int   // tokens appended since Reset
	class     int32 // −1 for none
	wantClass bool  // the next token is the class (right after <s>)
	j         int   // samples of the current image so far
	rowsDone  int   // rows whose vertical stack is computed
	pixDone   int   // pixels whose horizontal stack is computed and final
	x         []float32
	vpre      [][]float32 // per layer (HW,2p)
	vout      [][]float32 // per layer but the last (HW,p)
	hout      [][]float32 // per layer (HW,p)

	// Scratch for a row or a pixel.
	cols, act, pre, hg []float32
	r1, r2             []float32
	logits             []float32 // (K) of the sample asked for
	logp               []float32 // (K) log-softmax of logits
	probe              []float32 // (K) scratch
	logpAt             int       // the sample logp belongs to, −1 for none
	whole              *acts     // ScoreSequence's batched pass, allocated on first use
}

// NewState returns the empty history.
func (m *Model) NewState() autoreg.State { return m.newState() }

func (m *Model) newState() *State {
	H, W, Ci := m.cfg.Image.Height, m.cfg.Image.Width, m.cfg.Image.Channels
	p, q, L := m.cfg.Channels, m.cfg.Hidden, len(m.layers)
	HW := H * W
	s := &State{m: m, class: -1, x: make([]float32, HW*(Ci+1)), logpAt: -1,
		vpre: make([][]float32, L), vout: make([][]float32, L), hout: make([][]float32, L)}
	widest := 0
	for l, ly := range m.layers {
		s.vpre[l] = make([]float32, HW*2*p)
		if l < L-1 {
			s.vout[l] = make([]float32, HW*p)
		}
		s.hout[l] = make([]float32, HW*p)
		widest = max(widest, len(ly.vtaps)*ly.in, len(ly.htaps)*ly.in)
	}
	s.cols = make([]float32, W*widest)
	s.act = make([]float32, W*2*p)
	s.pre = make([]float32, 2*p)
	s.hg = make([]float32, p)
	s.r1, s.r2 = make([]float32, p), make([]float32, q)
	s.logits, s.logp, s.probe = make([]float32, m.K), make([]float32, m.K), make([]float32, m.K)
	s.newImage()
	return s
}

// newImage clears the current image (the class stays).
func (s *State) newImage() {
	Ci := s.m.cfg.Image.Channels
	clear(s.x)
	for i := Ci; i < len(s.x); i += Ci + 1 {
		s.x[i] = 1
	}
	s.j, s.rowsDone, s.pixDone, s.logpAt = 0, 0, 0, -1
}

// Len is the number of tokens appended since the last Reset.
func (s *State) Len() int { return s.n }

// Reset empties the history.
func (s *State) Reset() {
	s.n, s.class, s.wantClass = 0, -1, false
	s.newImage()
}

// CopyTo makes dst, a State of the same Model, an independent copy.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m {
		panic("pixelcnn: CopyTo: destination is not a state of the same model")
	}
	d.n, d.class, d.wantClass, d.j, d.rowsDone, d.pixDone, d.logpAt = s.n, s.class, s.wantClass, s.j, s.rowsDone, s.pixDone, s.logpAt
	copy(d.x, s.x)
	for l := range s.vpre {
		copy(d.vpre[l], s.vpre[l])
		copy(d.vout[l], s.vout[l])
		copy(d.hout[l], s.hout[l])
	}
	copy(d.logp, s.logp)
}

// Append conditions the state on xs.
func (s *State) Append(xs ...autoreg.Token) {
	m := s.m
	v := m.vocab
	Ci := m.cfg.Image.Channels
	for _, t := range xs {
		if t < 0 || int(t) >= v.Size() {
			panic(fmt.Sprintf("pixelcnn: Append: token %d outside the vocabulary of %d", t, v.Size()))
		}
		s.n++
		switch {
		case int(t) < m.K:
			s.wantClass = false
			s.x[(s.j/Ci)*(Ci+1)+s.j%Ci] = m.level(int(t))
			s.j++
			s.logpAt = -1
			if s.j == m.N {
				s.newImage()
			}
		case t == v.BOS():
			s.class, s.wantClass = -1, m.classes > 0
			s.newImage()
		case int(t) >= v.Base+autoreg.NumReserved:
			if s.j == 0 {
				// A new class: the maps computed under the old one go.
				s.class, s.wantClass = int32(int(t)-v.Base-autoreg.NumReserved), false
				s.rowsDone, s.pixDone, s.logpAt = 0, 0, -1
			}
		default: // </s>, <unk>: the image ends
			s.wantClass = false
			s.newImage()
		}
	}
}

// LogProbs writes log P(next | history) for every token into dst.
func (s *State) LogProbs(dst []float32) {
	m := s.m
	if len(dst) != m.vocab.Size() {
		panic(fmt.Sprintf("pixelcnn: LogProbs: dst of length %d, vocabulary of %d", len(dst), m.vocab.Size()))
	}
	inf := float32(math.Inf(-1))
	if s.wantClass {
		for i := range dst {
			dst[i] = inf
		}
		u := float32(-math.Log(float64(m.classes)))
		for i := range m.classes {
			dst[m.vocab.Base+autoreg.NumReserved+i] = u
		}
		return
	}
	s.distribution()
	copy(dst, s.logp)
	for i := m.K; i < len(dst); i++ {
		dst[i] = inf
	}
}

// LogProb returns log P(next = x | history).
func (s *State) LogProb(x autoreg.Token) float64 {
	m := s.m
	if x < 0 || int(x) >= m.vocab.Size() {
		panic(fmt.Sprintf("pixelcnn: LogProb: token %d outside the vocabulary of %d", x, m.vocab.Size()))
	}
	if s.wantClass {
		if int(x) >= m.vocab.Base+autoreg.NumReserved {
			return -math.Log(float64(m.classes))
		}
		return math.Inf(-1)
	}
	if int(x) >= m.K {
		return math.Inf(-1)
	}
	s.distribution()
	return float64(s.logp[x])
}

// distribution leaves in s.logp the log-probabilities of sample s.j.
func (s *State) distribution() {
	if s.logpAt == s.j {
		return
	}
	m := s.m
	W, Ci, K := m.cfg.Image.Width, m.cfg.Image.Channels, m.K
	px, c := s.j/Ci, s.j%Ci
	for s.rowsDone <= px/W {
		s.vertRow(s.rowsDone)
		s.rowsDone++
	}
	// The horizontal stack of the pixels to the left in this row (those
	// appended without a question asked): they are complete, so final.
	// Rows above are never read again: the horizontal kernel stays in its
	// row and the vertical stack has its own maps.
	for p := max(s.pixDone, px/W*W); p < px; p++ {
		s.horizPixel(p)
	}
	s.pixDone = px
	s.horizPixel(px)
	// The head, for channel c's logits only.
	ar := m.arena
	p, q := m.cfg.Channels, m.cfg.Hidden
	h := s.hout[len(m.layers)-1][px*p : (px+1)*p]
	kernels.GELU(s.r1, h)
	nn.LinearForward(s.r2, s.r1, m.o1w.Data(ar), m.o1b.Data(ar), 1, p, q)
	kernels.GELU(s.r2, s.r2)
	nn.LinearForward(s.logits, s.r2, m.o2w.Data(ar)[c*K*q:(c+1)*K*q], m.o2b.Data(ar)[c*K:(c+1)*K], 1, q, K)
	nn.LogSoftmaxRow(s.logp, s.logits, s.probe)
	s.logpAt = s.j
}

// vertRow computes every layer's vertical stack for row y.
func (s *State) vertRow(y int) {
	m, ar := s.m, s.m.arena
	H, W, p := m.cfg.Image.Height, m.cfg.Image.Width, m.cfg.Channels
	in := s.x
	for l, ly := range m.layers {
		KC := len(ly.vtaps) * ly.in
		cols := s.cols[:W*KC]
		nn.Im2ColPixels(cols, in, ly.vtaps, H, W, ly.in, y*W, (y+1)*W)
		pre := s.vpre[l][y*W*2*p : (y+1)*W*2*p]
		nn.LinearForward(pre, cols, ly.vw.Data(ar), ly.vb.Data(ar), W, KC, 2*p)
		s.addClass(pre, ly.cv, W)
		m.addMaps(pre, ly.vm, m.mapTable(s.class), y*W, W)
		if l < len(m.layers)-1 {
			nn.GatedForward(s.vout[l][y*W*p:(y+1)*W*p], s.act[:W*2*p], pre, W, p)
			in = s.vout[l]
		}
	}
}

// horizPixel computes every layer's horizontal stack at pixel px.
func (s *State) horizPixel(px int) {
	m, ar := s.m, s.m.arena
	H, W, p := m.cfg.Image.Height, m.cfg.Image.Width, m.cfg.Channels
	in := s.x
	for l, ly := range m.layers {
		KC := len(ly.htaps) * ly.in
		cols := s.cols[:KC]
		nn.Im2ColPixels(cols, in, ly.htaps, H, W, ly.in, px, px+1)
		nn.LinearForward(s.pre, cols, ly.hw.Data(ar), ly.hb.Data(ar), 1, KC, 2*p)
		kernels.Sgemm(false, true, 1, 2*p, 2*p, 1, s.vpre[l][px*2*p:(px+1)*2*p], 2*p, ly.link.Data(ar), 2*p, 1, s.pre, 2*p)
		s.addClass(s.pre, ly.ch, 1)
		m.addMaps(s.pre, ly.hm, m.mapTable(s.class), px, 1)
		nn.GatedForward(s.hg, s.act[:2*p], s.pre, 1, p)
		out := s.hout[l][px*p : (px+1)*p]
		nn.LinearForward(out, s.hg, ly.resw.Data(ar), ly.resb.Data(ar), 1, p, p)
		if ly.residual {
			kernels.Add(out, out, in[px*ly.in:(px+1)*ly.in])
		}
		in = s.hout[l]
	}
}

// addClass adds the class row of table to n rows of pre.
func (s *State) addClass(pre []float32, table tensor.View, n int) {
	if s.class < 0 || s.m.classes == 0 {
		return
	}
	w := 2 * s.m.cfg.Channels
	row := table.Data(s.m.arena)[int(s.class)*w : int(s.class+1)*w]
	for i := range n {
		kernels.Add(pre[i*w:(i+1)*w], pre[i*w:(i+1)*w], row)
	}
}
