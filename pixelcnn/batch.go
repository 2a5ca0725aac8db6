package pixelcnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Batched passes over whole images: training (Forward, Backward) and the
// scoring of a whole image (ScoreSequence). Activations are (B·H·W, width)
// row-major, a pixel's features together, allocated once per batch size.

// layerActs are one gated layer's activations.
type layerActs struct {
	vcols, hcols []float32 // im2col of the stacks' inputs
	vpre, vact   []float32 // (M,2p) pre-activation (class added), [tanh | σ]
	vout         []float32 // (M,p) v_(l+1); unused in the last layer
	hpre, hact   []float32 // (M,2p)
	hg           []float32 // (M,p) gated horizontal features
	hout         []float32 // (M,p) h_(l+1)
}

// acts are the activations of B images (M = B·H·W pixels).
type acts struct {
	B      int
	x      []float32 // (M, Cimg+1) input maps
	class  []int32   // (B) class of each image, −1 for none
	layers []layerActs
	r1     []float32 // (M,p) gelu(h_L)
	o1, r2 []float32 // (M,q) head pre-activation, gelu
	logits []float32 // (M, Cimg·K)
}

func (m *Model) grow(a *acts, B int) {
	if a.B == B && a.layers != nil {
		return
	}
	p, q, Ci, K := m.cfg.Channels, m.cfg.Hidden, m.cfg.Image.Channels, m.K
	M := B * m.cfg.Image.Height * m.cfg.Image.Width
	g := tensor.Grow
	a.B = B
	g(&a.x, M*(Ci+1))
	a.class = make([]int32, B)
	a.layers = make([]layerActs, len(m.layers))
	for l, ly := range m.layers {
		la := &a.layers[l]
		g(&la.vcols, M*len(ly.vtaps)*ly.in)
		g(&la.hcols, M*len(ly.htaps)*ly.in)
		g(&la.vpre, M*2*p)
		g(&la.vact, M*2*p)
		if l < len(m.layers)-1 {
			g(&la.vout, M*p)
		}
		g(&la.hpre, M*2*p)
		g(&la.hact, M*2*p)
		g(&la.hg, M*p)
		g(&la.hout, M*p)
	}
	g(&a.r1, M*p)
	g(&a.o1, M*q)
	g(&a.r2, M*q)
	g(&a.logits, M*Ci*K)
}

// level writes sample level v as input map value 2v/(K−1) − 1.
func (m *Model) level(v int) float32 { return 2*float32(v)/float32(m.K-1) - 1 }

// forward runs the network over a.x and a.class, leaving every activation
// and the logits in a.
func (m *Model) forward(a *acts) {
	ar := m.arena
	H, W, Ci, K := m.cfg.Image.Height, m.cfg.Image.Width, m.cfg.Image.Channels, m.K
	p, q := m.cfg.Channels, m.cfg.Hidden
	B, M := a.B, a.B*H*W
	inV, inH := a.x, a.x
	for l, ly := range m.layers {
		la := &a.layers[l]
		nn.ConvForward(la.vpre, la.vcols, inV, ly.vw.Data(ar), ly.vb.Data(ar), ly.vtaps, B, H, W, ly.in, 2*p)
		m.addClass(la.vpre, ly.cv, a.class, H*W)
		m.addMapsBatch(la.vpre, ly.vm, a.class, H*W)
		if l < len(m.layers)-1 {
			nn.GatedForward(la.vout, la.vact, la.vpre, M, p)
		}
		nn.ConvForward(la.hpre, la.hcols, inH, ly.hw.Data(ar), ly.hb.Data(ar), ly.htaps, B, H, W, ly.in, 2*p)
		kernels.Sgemm(false, true, M, 2*p, 2*p, 1, la.vpre, 2*p, ly.link.Data(ar), 2*p, 1, la.hpre, 2*p)
		m.addClass(la.hpre, ly.ch, a.class, H*W)
		m.addMapsBatch(la.hpre, ly.hm, a.class, H*W)
		nn.GatedForward(la.hg, la.hact, la.hpre, M, p)
		nn.LinearForward(la.hout, la.hg, ly.resw.Data(ar), ly.resb.Data(ar), M, p, p)
		if ly.residual {
			kernels.Add(la.hout, la.hout, inH)
		}
		inV, inH = la.vout, la.hout
	}
	nn.GELUForward(a.r1, inH)
	nn.LinearForward(a.o1, a.r1, m.o1w.Data(ar), m.o1b.Data(ar), M, p, q)
	nn.GELUForward(a.r2, a.o1)
	nn.LinearForward(a.logits, a.r2, m.o2w.Data(ar), m.o2b.Data(ar), M, q, Ci*K)
}

// addClass adds each image's class row of table (classes, 2p) to its
// pixels' rows of pre (B·hw, 2p).
func (m *Model) addClass(pre []float32, table tensor.View, class []int32, hw int) {
	if m.classes == 0 {
		return
	}
	t := table.Data(m.arena)
	w := 2 * m.cfg.Channels
	for b, c := range class {
		if c < 0 {
			continue
		}
		row := t[int(c)*w : int(c+1)*w]
		for i := b * hw; i < (b+1)*hw; i++ {
			kernels.Add(pre[i*w:(i+1)*w], pre[i*w:(i+1)*w], row)
		}
	}
}

// classGrad accumulates the class rows' gradients: each image's column
// sums of dpre go to its class's row.
func (m *Model) classGrad(table tensor.View, dpre []float32, class []int32, hw int) {
	if m.classes == 0 {
		return
	}
	g := table.Grad(m.arena)
	w := 2 * m.cfg.Channels
	for b, c := range class {
		if c >= 0 {
			fused.ColumnSums(g[int(c)*w:int(c+1)*w], dpre[b*hw*w:(b+1)*hw*w], hw, w)
		}
	}
}

// trainState holds a training batch: the activations, the targets, the
// losses and the gradient buffers.
type trainState struct {
	acts
	T             int
	off           int
	tgt           []int32   // (B·N) sample targets
	probs, losses []float32 // (B·N, K), (B·N)
	seqLosses     []float32 // (B,T)
	dh, dv, dv2   []float32 // (M,p)
	dpre, dvpre   []float32 // (M,2p)
	dhg           []float32 // (M,p)
	dcols         []float32 // (M, widest im2col)
	dq, dq2       []float32 // (M,q)
	ready         bool
}

// Forward runs B images given as token sequences — row b of x (B×T) is
// <s>, the class's control code for a class-conditional model, then the
// image's samples but the last; row b of y holds the next tokens, the
// samples, with Ignore where there is no target — and returns the summed
// loss in nats over the targets and their number. T is the sequence length
// minus one (SeqLen()−1). rng is unused (no dropout). The activations stay
// for Backward.
func (m *Model) Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int) {
	s := m.tr
	if s == nil {
		s = &trainState{}
		m.tr = s
	}
	m.grow(&s.acts, B)
	off := m.SeqLen() - m.N
	if T != m.N+off-1 || B < 1 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("pixelcnn: Forward: B=%d T=%d with %d inputs, %d targets; images need T = %d", B, T, len(x), len(y), m.N+off-1))
	}
	N, Ci, K := m.N, m.cfg.Image.Channels, m.K
	HW := m.cfg.Image.Height * m.cfg.Image.Width
	M := B * HW
	s.T, s.off = T, off
	g := tensor.Grow
	if cap(s.tgt) < B*N {
		s.tgt = make([]int32, B*N)
	}
	s.tgt = s.tgt[:B*N]
	g(&s.probs, B*N*K)
	g(&s.losses, B*N)
	g(&s.seqLosses, B*T)
	for b := range B {
		row, ys := x[b*T:(b+1)*T], y[b*T:(b+1)*T]
		s.class[b] = m.classOf(row)
		xm := s.x[b*HW*(Ci+1) : (b+1)*HW*(Ci+1)]
		for j := range N {
			v := 0
			if j < N-1 {
				v = m.sample(row[off+j], "input")
			}
			xm[(j/Ci)*(Ci+1)+j%Ci] = m.level(v)
			t := off - 1 + j
			if ys[t] == Ignore {
				s.tgt[b*N+j] = Ignore
			} else {
				s.tgt[b*N+j] = int32(m.sample(ys[t], "target"))
			}
		}
		for px := range HW {
			xm[px*(Ci+1)+Ci] = 1
		}
	}
	m.forward(&s.acts)
	sum, n = nn.CrossEntropyForward(s.losses, s.probs, s.logits[:M*Ci*K], s.tgt, B*N, K, Ignore)
	clear(s.seqLosses[:B*T])
	for b := range B {
		copy(s.seqLosses[b*T+off-1:(b+1)*T], s.losses[b*N:(b+1)*N])
	}
	s.ready = true
	return sum, n
}

// classOf returns the class of an image's token row (<s>, then the
// control code of a class-conditional model).
func (m *Model) classOf(row []int32) int32 {
	v := m.vocab
	if row[0] != int32(v.BOS()) {
		panic(fmt.Sprintf("pixelcnn: Forward: a row starts with token %d, not <s>", row[0]))
	}
	if m.classes == 0 {
		return -1
	}
	c := row[1] - int32(v.Base+autoreg.NumReserved)
	if c < 0 || int(c) >= m.classes {
		panic(fmt.Sprintf("pixelcnn: Forward: token %d after <s> is not a control code", row[1]))
	}
	return c
}

// sample checks that token t is a level.
func (m *Model) sample(t int32, what string) int {
	if t < 0 || int(t) >= m.K {
		panic(fmt.Sprintf("pixelcnn: Forward: %s token %d is not one of the %d levels", what, t, m.K))
	}
	return int(t)
}

// Losses returns the per-position losses of the last Forward (B×T, 0 where
// there is no target). The slice is reused by the next Forward.
func (m *Model) Losses() []float32 { return m.tr.seqLosses[:m.tr.B*m.tr.T] }

// Probs returns the probabilities of the levels (tokens 0 … K−1, the only
// ones that follow a pixel position) that the last Forward predicted for
// image b at sequence position t (train.Predictor: scheduled sampling feeds
// them back), valid until the next Forward or Backward. Positions before
// the first pixel's prediction (<s>, the class code's) have none.
func (m *Model) Probs(b, t int) []float32 {
	s := m.tr
	j := t - (s.off - 1)
	if j < 0 || j >= m.N || t >= s.T {
		panic(fmt.Sprintf("pixelcnn: Probs(%d, %d): position %d predicts no pixel", b, t, t))
	}
	r := b*m.N + j
	return s.probs[r*m.K : (r+1)*m.K]
}

// Backward accumulates into the arena's gradients the gradient of
// scale·(summed loss of the last Forward).
func (m *Model) Backward(scale float32) {
	s := m.tr
	if s == nil || !s.ready {
		panic("pixelcnn: Backward without Forward")
	}
	s.ready = false
	ar := m.arena
	H, W, Ci, K := m.cfg.Image.Height, m.cfg.Image.Width, m.cfg.Image.Channels, m.K
	p, q := m.cfg.Channels, m.cfg.Hidden
	B, HW := s.B, H*W
	M := B * HW
	g := tensor.Grow
	g(&s.dh, M*p)
	g(&s.dv, M*p)
	g(&s.dv2, M*p)
	g(&s.dpre, M*2*p)
	g(&s.dvpre, M*2*p)
	g(&s.dhg, M*p)
	g(&s.dq, M*q)
	g(&s.dq2, M*q)
	widest := 0
	for _, ly := range m.layers {
		widest = max(widest, len(ly.vtaps)*ly.in, len(ly.htaps)*ly.in)
	}
	g(&s.dcols, M*widest)

	// The head.
	dlogits := s.probs[:B*m.N*K]
	fused.CrossEntropyBackwardSet(dlogits, dlogits, s.tgt, B*m.N, K, Ignore, scale)
	fused.LinearBackwardSet(s.dq, m.o2w.Grad(ar), m.o2b.Grad(ar), dlogits, s.r2, m.o2w.Data(ar), M, q, Ci*K)
	fused.Zero(s.dq2)
	nn.GELUBackward(s.dq2, s.o1, s.dq)
	fused.LinearBackwardSet(s.dhg, m.o1w.Grad(ar), m.o1b.Grad(ar), s.dq2, s.r1, m.o1w.Data(ar), M, p, q)
	fused.Zero(s.dh)
	nn.GELUBackward(s.dh, s.layers[len(m.layers)-1].hout, s.dhg)

	// The gated layers, last first. s.dh is the gradient of h_(l+1), s.dv
	// that of v_(l+1) (none for the last layer).
	for l := len(m.layers) - 1; l >= 0; l-- {
		ly, la := &m.layers[l], &s.layers[l]
		// h_(l+1) = [h_l +] res(hg) + resb
		fused.LinearBackwardSet(s.dhg, ly.resw.Grad(ar), ly.resb.Grad(ar), s.dh, la.hg, ly.resw.Data(ar), M, p, p)
		fused.Zero(s.dpre)
		nn.GatedBackward(s.dpre, s.dhg, la.hact, M, p)
		m.classGrad(ly.ch, s.dpre, s.class, HW)
		m.mapGrad(ly.hm, s.dpre, s.class, HW)
		// ĥ = conv_h(h_l) + link·v̂: the link's share of dv̂ first.
		fused.Zero(s.dvpre)
		nn.LinearBackward(s.dvpre, ly.link.Grad(ar), nil, s.dpre, la.vpre, ly.link.Data(ar), M, 2*p, 2*p)
		var dinH []float32
		if l > 0 {
			if !ly.residual {
				fused.Zero(s.dh)
			}
			dinH = s.dh // the residual's identity already holds dh
		}
		nn.ConvBackward(dinH, ly.hw.Grad(ar), ly.hb.Grad(ar), s.dcols, s.dpre, la.hcols, ly.hw.Data(ar), ly.htaps, B, H, W, ly.in, 2*p)
		if l < len(m.layers)-1 {
			nn.GatedBackward(s.dvpre, s.dv, la.vact, M, p)
		}
		m.classGrad(ly.cv, s.dvpre, s.class, HW)
		m.mapGrad(ly.vm, s.dvpre, s.class, HW)
		var dinV []float32
		if l > 0 {
			fused.Zero(s.dv2)
			dinV = s.dv2
		}
		nn.ConvBackward(dinV, ly.vw.Grad(ar), ly.vb.Grad(ar), s.dcols, s.dvpre, la.vcols, ly.vw.Data(ar), ly.vtaps, B, H, W, ly.in, 2*p)
		s.dv, s.dv2 = s.dv2, s.dv
	}
	m.applyMasks(ar.Grads)
}
