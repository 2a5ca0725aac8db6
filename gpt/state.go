package gpt

import (
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/logprobs"
	"github.com/autoreg/autoreg/internal/window"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// State is one growing history of a Model, with a key/value cache: the
// keys and values of every position in the window, per layer, so that a
// new token costs one row of each product instead of the whole window.
//
// The window holds at most Context tokens. When it is full and another
// token comes, the oldest half is dropped and the remaining Context/2
// tokens are re-encoded from position 0 in one batched pass (positions are
// learned absolute embeddings, so the cache cannot simply be shifted). A
// long Append that would overflow the window encodes only the window it
// would end with, in one batched pass: the result is the same as appending
// token by token, up to float32 rounding.
//
// A control code stays in view: when the window drops the <s> of the
// current sequence and the control code after it, the two take the place
// of the window's two oldest tokens, so the window reads <s> <ctl:TAG> …
// as at the sequence's start and a sequence of any length is generated
// (and scored) under its code — the layout train.Options.ControlWindows
// trains on, as CTRL does.
//
// Generating a token (Append of one token, then LogProbs or LogProb)
// allocates nothing once the state has warmed up.
type State struct {
	m    *Model
	toks []autoreg.Token // the window, len = pos
	n    int             // tokens appended since Reset
	code autoreg.Token   // the current sequence's control code, -1 if none
	at   int             // the code's index in the history (as n counts)
	k, v [][]float32     // per layer (Context,C)

	// Scratch for up to rows positions at once, grown on demand.
	rows             int
	x, ln, atty, tmp []float32 // (rows,C)
	qkv              []float32 // (rows,3C)
	fch              []float32 // (rows,4C)
	scores           []float32 // (rows,Context)
	attP             []float32 // (NH,n,n) probabilities of a batch from position 0
	logits           []float32 // (rows,V)
	reenc            []autoreg.Token
	next             logprobs.Cache // the last position's logits and log-probabilities

	tj       tokenJob // one generated token's parallel phases (see token)
	tf       tokenFns
	tpos     int       // the token's position
	hid      int       // width of a slice of the MLP's hidden layer
	part     []float32 // (max(NH, slices),C) partial products of a token
	fusedQKV bool      // each head computes its own q, k, v columns
	scale    float32   // 1/√hs

	win *winScratch // ScoreSequence's batched windows, allocated on first use

	exact bool // the bit-exact path (NewExactState)
}

// genBlock is the size, in multiply-adds, of one worker's chunk of a
// one-row product. With the pool's helpers spinning between products a
// hand-off costs about a microsecond, so a product of a token (65K–262K
// multiply-adds, 15–60µs) is split over both cores. The split never
// changes a result: every output element is the same dot product.
const genBlock = 1 << 15

// NewState returns an empty history.
func (m *Model) NewState() autoreg.State { return m.newState(false) }

func (m *Model) newState(exact bool) *State {
	C, T := m.cfg.Dim, m.cfg.Context
	s := &State{m: m, code: -1, toks: make([]autoreg.Token, 0, T), reenc: make([]autoreg.Token, 0, T),
		next: logprobs.New("gpt", m.V, exact), exact: exact}
	s.k = make([][]float32, m.cfg.Layers)
	s.v = make([][]float32, m.cfg.Layers)
	for l := range s.k {
		s.k[l] = make([]float32, T*C)
		s.v[l] = make([]float32, T*C)
	}
	s.tf = tokenFns{heads: s.tj.heads, qkv: s.tj.qkv, mlp: s.tj.mlp}
	s.part = make([]float32, max(m.cfg.Heads, maxSlices)*C)
	s.scale = float32(1 / math.Sqrt(float64(C/m.cfg.Heads)))
	s.grow(1)
	return s
}

func (s *State) grow(rows int) {
	if rows <= s.rows {
		return
	}
	m := s.m
	C, T, V := m.cfg.Dim, m.cfg.Context, m.V
	g := tensor.Grow
	g(&s.x, rows*C)
	g(&s.ln, rows*C)
	g(&s.atty, rows*C)
	g(&s.tmp, rows*C)
	g(&s.qkv, rows*3*C)
	g(&s.fch, rows*4*C)
	g(&s.scores, max(rows, m.cfg.Heads)*T)
	g(&s.logits, rows*V)
	s.rows = rows
}

// Len is the number of tokens appended since the last Reset.
func (s *State) Len() int { return s.n }

// Reset empties the history.
func (s *State) Reset() {
	s.toks = s.toks[:0]
	s.n = 0
	s.code = -1
	s.next.Stale()
}

// track notes the control code in effect after xs, which start at index
// s.n of the history: a control code sets it, <s> clears it.
func (s *State) track(xs []autoreg.Token) {
	v := s.m.vocab
	lo := autoreg.Token(v.Base + autoreg.NumReserved)
	for i, x := range xs {
		switch {
		case x == v.BOS():
			s.code = -1
		case x >= lo:
			s.code, s.at = x, s.n+i
		}
	}
}

// pin puts <s> and the control code in effect in the first two slots of
// w, a new window whose first token is at index start of the history, if
// the window leaves out the sequence's <s> (the token before the code).
func (s *State) pin(w []autoreg.Token, start int) {
	if s.code >= 0 && s.at-1 < start && len(w) >= 3 {
		w[0], w[1] = s.m.vocab.BOS(), s.code
	}
}

// CopyTo makes dst, a State of the same Model, an independent copy.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m || d.exact != s.exact {
		panic("gpt: CopyTo: destination is not a state of the same model and path")
	}
	d.toks = append(d.toks[:0], s.toks...)
	d.n, d.code, d.at = s.n, s.code, s.at
	s.copyCache(d, len(s.toks))
	s.next.CopyTo(&d.next)
}

// copyCache copies the keys and values of the window's first pos
// positions into d.
func (s *State) copyCache(d *State, pos int) {
	C := s.m.cfg.Dim
	for l := range s.k {
		copy(d.k[l][:pos*C], s.k[l][:pos*C])
		copy(d.v[l][:pos*C], s.v[l][:pos*C])
	}
}

// Append conditions the state on xs.
func (s *State) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		s.next.CheckToken("Append", x)
	}
	if len(xs) == 0 {
		return
	}
	T := s.m.cfg.Context
	pos := len(s.toks)
	if pos+len(xs) <= T {
		s.track(xs)
		s.n += len(xs)
		s.forward(xs, false)
		return
	}
	// The window overflows: find the window appending one by one would
	// end with (the last p tokens) and encode it in one pass.
	w := window.Append(s.reenc, s.toks, xs, T)
	p := len(w)
	// That window is the half the last shift kept, then xs[k:], where
	// xs[k] is the token that found the window full. Token by token, the
	// shift pins <s> and the control code in effect after xs[k], not the
	// ones in effect at the end (xs[k+1:] may start a new sequence).
	n0, k := s.n, len(xs)-(p-T/2)
	s.track(xs[:k+1])
	s.pin(w, n0+len(xs)-p)
	s.n = n0 + k + 1
	s.track(xs[k+1:])
	s.n = n0 + len(xs)
	s.reenc = w
	s.toks = s.toks[:0]
	s.forward(w, false)
}

// shift drops the oldest half of a full window and re-encodes the rest.
func (s *State) shift() {
	T := s.m.cfg.Context
	s.reenc = append(s.reenc[:0], s.toks[len(s.toks)-T/2:]...)
	s.pin(s.reenc, s.n-T/2)
	s.toks = s.toks[:0]
	s.forward(s.reenc, false)
}

// forward encodes xs at the next positions of the window (which must have
// room) and leaves the last position's logits in s.next.Logits. With all set, the
// logits of every row are left in s.logits (rows×V).
func (s *State) forward(xs []autoreg.Token, all bool) {
	if s.exact {
		if all {
			panic("gpt: forward: all rows on the exact path")
		}
		s.forwardExact(xs)
		return
	}
	C := s.m.cfg.Dim
	x, n, pos := s.embed(xs)
	s.blocks(x, n, pos)
	first := n - 1
	if all {
		first = 0
	}
	s.output(x[first*C:n*C], n-first)
}

// blocks runs the n rows of x (the embedded inputs at window positions
// pos..pos+n−1, room for which the window must have) through the blocks,
// filling the key and value caches, and leaves the last block's residual
// stream in x.
func (s *State) blocks(x []float32, n, pos int) {
	m, a := s.m, s.m.arena
	C, NH := m.cfg.Dim, m.cfg.Heads
	p := m.packed()
	ln, qkv, atty, tmp, fch := s.ln[:n*C], s.qkv[:n*3*C], s.atty[:n*C], s.tmp[:n*C], s.fch[:n*4*C]
	for l := range m.layers {
		if n == 1 {
			s.token(p, pos)
			return
		}
		w, pl := &m.layers[l], &p.layers[l]
		kc, vc := s.k[l], s.v[l]
		layerNormRows(ln, x, w.ln1w.Data(a), w.ln1b.Data(a), n, C)
		nn.LinearPacked(qkv, ln, &pl.qkv, w.qkvb.Data(a), n)
		for i := range n {
			copy(kc[(pos+i)*C:(pos+i+1)*C], qkv[i*3*C+C:i*3*C+2*C])
			copy(vc[(pos+i)*C:(pos+i+1)*C], qkv[i*3*C+2*C:i*3*C+3*C])
		}
		if pos == 0 {
			// A batch from the window's start (a prompt, a re-encoded
			// window): causal attention over its own rows, the fused
			// kernel of training.
			tensor.Grow(&s.attP, NH*n*n)
			kernels.AttentionForward(atty, s.attP, qkv, 1, n, C, NH)
		} else {
			s.attendCache(qkv, atty, kc, vc, n, pos)
		}
		nn.LinearPacked(tmp, atty, &pl.proj, w.projb.Data(a), n)
		kernels.Add(x, x, tmp)
		layerNormRows(ln, x, w.ln2w.Data(a), w.ln2b.Data(a), n, C)
		nn.LinearPacked(fch, ln, &pl.fc, w.fcb.Data(a), n)
		kernels.GELU(fch, fch)
		nn.LinearPacked(tmp, fch, &pl.fcproj, w.fcpjb.Data(a), n)
		kernels.Add(x, x, tmp)
	}
}

// output runs the final LayerNorm and the output layer on rows of the
// last layer's activations x (rows×C), leaving their logits in s.logits
// and the last row's in s.next.Logits.
func (s *State) output(x []float32, rows int) {
	m, a := s.m, s.m.arena
	C, V := m.cfg.Dim, m.V
	ln := s.ln[:rows*C]
	layerNormRows(ln, x, m.lnfw.Data(a), m.lnfb.Data(a), rows, C)
	logits := s.logits[:rows*V]
	nn.LinearForward(logits, ln, m.wte.Data(a), nil, rows, C, V)
	copy(s.next.Logits, logits[(rows-1)*V:])
	s.next.SetLogits()
}

// attendCache runs the attention of n new rows (at positions pos.., their
// keys and values already in the caches kc, vc) over the cache.
func (s *State) attendCache(qkv, atty, kc, vc []float32, n, pos int) {
	C, NH := s.m.cfg.Dim, s.m.cfg.Heads
	hs := C / NH
	end := pos + n
	for h := range NH {
		q := qkv[h*hs:]
		sc := s.scores[:n*end]
		kernels.Sgemm(false, true, n, end, hs, s.scale, q, 3*C, kc[h*hs:], C, 0, sc, end)
		for i := range n {
			row := sc[i*end : (i+1)*end]
			nn.SoftmaxRow(row[:pos+i+1])
			clear(row[pos+i+1:])
		}
		kernels.Sgemm(false, false, n, hs, end, 1, sc, end, vc[h*hs:], C, 0, atty[h*hs:], C)
	}
}

// embed appends xs to the window (which must have room) and writes the
// rows of their token plus position (and image) embeddings into s.x, one IEEE addition
// per element (the same bits on both paths); n = len(xs), pos the
// position of xs[0].
func (s *State) embed(xs []autoreg.Token) (x []float32, n, pos int) {
	m, a := s.m, s.m.arena
	C := m.cfg.Dim
	n, pos = len(xs), len(s.toks)
	s.grow(n)
	s.toks = append(s.toks, xs...)
	x = s.x[:n*C]
	wte, wpe := m.wte.Data(a), m.wpe.Data(a)
	for i, t := range xs {
		copy(x[i*C:(i+1)*C], wte[int(t)*C:int(t+1)*C])
		exact.Add(x[i*C:(i+1)*C], wpe[(pos+i)*C:(pos+i+1)*C])
		m.addImageExact(x[i*C:(i+1)*C], s.toks, pos+i)
	}
	return x, n, pos
}

// layerNormRows is LayerNorm without saved statistics, one row at a time on
// the calling goroutine (inference rows are few; no worker hand-off).
func layerNormRows(out, inp, w, b []float32, rows, C int) {
	for r := range rows {
		kernels.LayerNorm(out[r*C:(r+1)*C], nil, nil, inp[r*C:(r+1)*C], w, b, 1, C, nn.LayerNormEps)
	}
}

// LogProbs writes log P(next | history) for every token into dst. The
// empty history (not even BOS) predicts the uniform distribution.
func (s *State) LogProbs(dst []float32) { s.next.LogProbs(dst, len(s.toks) == 0, nil) }

// LogProb returns log P(next = x | history).
func (s *State) LogProb(x autoreg.Token) float64 { return s.next.LogProb(x, len(s.toks) == 0, nil) }
