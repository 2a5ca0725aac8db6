package seq2seq

import (
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// The decoder's inference pass over rows, each row one token of one State
// at its position: either many states with one new token each (the batched
// step of Step) or one state with several tokens at consecutive
// positions (a prompt, a re-encoded window, a scored sequence). The
// products run on all rows at once (nn.LinearPacked); every other step —
// LayerNorm, attention over the row's own cache and source, GELU, residual
// adds — runs row by row, so a row's bits depend only on its own state
// and token, never on the other rows of the batch.

// stepScratch holds the buffers of one pass, pooled per Model. Its
// parallel phases are method values made once (no allocation per step).
type stepScratch struct {
	m *Model
	p *packedWeights
	l int // the layer of the running phase

	batch []*State        // Step's states,
	toks  []autoreg.Token // and their tokens

	rowSt  []*State // each row's state
	rowPos []int    // and position
	n      int      // rows

	x, ln, q, y, tmp []float32 // (n,C)
	qkv              []float32 // (n,3C)
	h                []float32 // (n,F)
	logits           []float32 // (n,V)
	scores           []float32 // (n·NH, Context+SrcContext)

	// Arguments of the row phases.
	normOut, normIn, normW, normB []float32

	selfFn, crossFn, normFn, addFn, geluFn func(lo, hi int)
}

func newStepScratch(m *Model) *stepScratch {
	sc := &stepScratch{m: m}
	sc.selfFn, sc.crossFn = sc.selfAttn, sc.crossAttn
	sc.normFn, sc.addFn, sc.geluFn = sc.norm, sc.add, sc.gelu
	return sc
}

func (sc *stepScratch) grow(n int) {
	m := sc.m
	C, F, V, NH := m.cfg.Dim, m.cfg.FFN, m.V, m.cfg.Heads
	g := tensor.Grow
	g(&sc.x, n*C)
	g(&sc.ln, n*C)
	g(&sc.q, n*C)
	g(&sc.y, n*C)
	g(&sc.tmp, n*C)
	g(&sc.qkv, n*3*C)
	g(&sc.h, n*F)
	g(&sc.logits, n*V)
	g(&sc.scores, n*NH*(m.cfg.Context+m.cfg.SrcContext))
	sc.n = n
}

// step runs the decoder: with one state, xs at its next positions;
// otherwise states[i] gets xs[i]. The windows must have room. It leaves
// every state's last logits in the state and, with all, every row's in
// sc.logits.
func (sc *stepScratch) step(states []*State, xs []autoreg.Token, all bool) {
	m := sc.m
	a := m.arena
	C, V := m.cfg.Dim, m.V
	n := len(xs)
	sc.grow(n)
	sc.p = m.packed()
	sc.rowSt, sc.rowPos = sc.rowSt[:0], sc.rowPos[:0]
	if len(states) == 1 {
		s := states[0]
		pos := len(s.toks)
		s.reserve(pos + n)
		s.toks = append(s.toks, xs...)
		for i := range xs {
			sc.rowSt = append(sc.rowSt, s)
			sc.rowPos = append(sc.rowPos, pos+i)
		}
	} else {
		for i, s := range states {
			pos := len(s.toks)
			s.reserve(pos + 1)
			s.toks = append(s.toks, xs[i])
			sc.rowSt = append(sc.rowSt, s)
			sc.rowPos = append(sc.rowPos, pos)
		}
	}
	wte, wpe := m.wte.Data(a), m.wpe.Data(a)
	x := sc.x[:n*C]
	for r, t := range xs {
		p := sc.rowPos[r]
		kernels.Add(x[r*C:(r+1)*C], wte[int(t)*C:int(t+1)*C], wpe[p*C:(p+1)*C])
	}
	for l := range m.dec {
		sc.l = l
		w, pl := &m.dec[l], &sc.p.dec[l]
		sc.rows(sc.normFn, sc.ln, x, w.attn.lnw.Data(a), w.attn.lnb.Data(a))
		nn.LinearPacked(sc.qkv, sc.ln, &pl.attn.qkv, w.attn.qkvb.Data(a), n)
		for r, s := range sc.rowSt {
			p := sc.rowPos[r]
			copy(s.k[l][p*C:(p+1)*C], sc.qkv[r*3*C+C:r*3*C+2*C])
			copy(s.v[l][p*C:(p+1)*C], sc.qkv[r*3*C+2*C:r*3*C+3*C])
		}
		sc.heads(sc.selfFn)
		nn.LinearPacked(sc.tmp, sc.y, &pl.attn.proj, w.attn.projb.Data(a), n)
		sc.rows(sc.addFn, x, x, sc.tmp, nil)

		sc.rows(sc.normFn, sc.ln, x, w.cross.lnw.Data(a), w.cross.lnb.Data(a))
		nn.LinearPacked(sc.q, sc.ln, &pl.cross.q, w.cross.qb.Data(a), n)
		sc.heads(sc.crossFn)
		nn.LinearPacked(sc.tmp, sc.y, &pl.cross.proj, w.cross.projb.Data(a), n)
		sc.rows(sc.addFn, x, x, sc.tmp, nil)

		sc.rows(sc.normFn, sc.ln, x, w.mlp.lnw.Data(a), w.mlp.lnb.Data(a))
		nn.LinearPacked(sc.h, sc.ln, &pl.mlp.fc, w.mlp.fcb.Data(a), n)
		sc.rows(sc.geluFn, sc.h, nil, nil, nil)
		nn.LinearPacked(sc.tmp, sc.h, &pl.mlp.proj, w.mlp.projb.Data(a), n)
		sc.rows(sc.addFn, x, x, sc.tmp, nil)
	}
	// The output layer: every row, or each state's last row.
	first := 0
	if len(states) == 1 && !all {
		first = n - 1
	}
	k := n - first
	sc.n = k
	sc.rows(sc.normFn, sc.ln, x[first*C:], m.lnfw.Data(a), m.lnfb.Data(a))
	nn.LinearPacked(sc.logits, sc.ln, &sc.p.out, nil, k)
	sc.n = n
	for i, s := range states {
		r := i
		if len(states) == 1 {
			r = k - 1
		}
		copy(s.next.Logits, sc.logits[r*V:(r+1)*V])
		s.next.SetLogits()
	}
	sc.p = nil
}

// rows runs a row phase over the sc.n rows with its arguments.
func (sc *stepScratch) rows(fn func(lo, hi int), out, in, w, b []float32) {
	sc.normOut, sc.normIn, sc.normW, sc.normB = out, in, w, b
	C := sc.m.cfg.Dim
	if sc.n*C <= 1<<14 {
		fn(0, sc.n)
	} else {
		kernels.Parallel(sc.n, max(1, (1<<14)/C), fn)
	}
	sc.normOut, sc.normIn, sc.normW, sc.normB = nil, nil, nil, nil
}

func (sc *stepScratch) norm(lo, hi int) {
	C := sc.m.cfg.Dim
	for r := lo; r < hi; r++ {
		kernels.LayerNorm(sc.normOut[r*C:(r+1)*C], nil, nil, sc.normIn[r*C:(r+1)*C], sc.normW, sc.normB, 1, C, nn.LayerNormEps)
	}
}

func (sc *stepScratch) add(lo, hi int) {
	C := sc.m.cfg.Dim
	for r := lo; r < hi; r++ {
		kernels.Add(sc.normOut[r*C:(r+1)*C], sc.normIn[r*C:(r+1)*C], sc.normW[r*C:(r+1)*C])
	}
}

func (sc *stepScratch) gelu(lo, hi int) {
	F := sc.m.cfg.FFN
	for r := lo; r < hi; r++ {
		kernels.GELU(sc.normOut[r*F:(r+1)*F], sc.normOut[r*F:(r+1)*F])
	}
}

// heads runs an attention phase over every (row, head), split over the
// workers when there is enough of it: a hand-off costs about a
// microsecond, a row's head a few hundred multiply-adds per key.
func (sc *stepScratch) heads(fn func(lo, hi int)) {
	m := sc.m
	NH := m.cfg.Heads
	keys := m.cfg.Context + m.cfg.SrcContext
	if sc.n*keys*m.cfg.Dim < 1<<16 {
		fn(0, sc.n*NH)
		return
	}
	kernels.Parallel(sc.n*NH, max(1, NH/2), fn)
}

// attend computes one head of one row: y = softmax(scale·K q)ᵀ V over the
// first L rows of K and V (row stride ld, the head's columns at k and v),
// with sc.scores' row i as scratch.
func (sc *stepScratch) attend(y, q, k, v []float32, ld, L, i int) {
	m := sc.m
	hs := m.cfg.Dim / m.cfg.Heads
	scale := float32(1 / math.Sqrt(float64(hs)))
	w := m.cfg.Context + m.cfg.SrcContext
	s := sc.scores[i*w : i*w+L]
	for j := range s {
		s[j] = kernels.Dot(q, k[j*ld:j*ld+hs]) * scale
	}
	nn.SoftmaxRow(s)
	clear(y)
	for j, p := range s {
		kernels.Axpy(p, v[j*ld:j*ld+hs], y)
	}
}

func (sc *stepScratch) selfAttn(lo, hi int) {
	m := sc.m
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	for i := lo; i < hi; i++ {
		r, h := i/NH, i%NH
		s, o := sc.rowSt[r], h*hs
		sc.attend(sc.y[r*C+o:r*C+o+hs], sc.qkv[r*3*C+o:r*3*C+o+hs], s.k[sc.l][o:], s.v[sc.l][o:], C, sc.rowPos[r]+1, i)
	}
}

func (sc *stepScratch) crossAttn(lo, hi int) {
	m := sc.m
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	for i := lo; i < hi; i++ {
		r, h := i/NH, i%NH
		src, o := sc.rowSt[r].src, h*hs
		kv := src.kv[sc.l]
		sc.attend(sc.y[r*C+o:r*C+o+hs], sc.q[r*C+o:r*C+o+hs], kv[o:], kv[C+o:], 2*C, src.S, i)
	}
}
