package gpt

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/tensor"
)

// Step implements autoreg.Stepper: it appends xs[i] to states[i] for every
// i, the tokens of all the states going through the blocks together, one
// row each, so that every weight is read once per step rather than once
// per state.
//
// Each state gets exactly the bits Append(xs[i]) alone gives it. A
// generated token (State.token) splits its products in a fixed way: the
// projection of the attention into one partial product per head, the MLP
// into slices of the hidden layer, the partials added in order, and each
// one-row product sums its terms in the order kernels.GemvPacked fixes.
// The batched step takes the same partial products, in the same order,
// through kernels.GemvPackedRows, which gives every row the bits
// GemvPacked gives it; LayerNorms, attention over each state's own cache
// and the output layer run row by row on the same kernels. So a
// sequence's logits never depend on what else is in the batch.
//
// States whose window is full (the next token re-encodes half a window,
// see State) and states of the bit-exact path take their token alone.
// Step allocates nothing once the model has stepped batches of this size.
func (m *Model) Step(states []autoreg.State, xs []autoreg.Token) {
	if len(states) != len(xs) {
		panic(fmt.Sprintf("gpt: Step: %d states, %d tokens", len(states), len(xs)))
	}
	sc := m.stepScratch()
	defer m.steps.Put(sc)
	rows := sc.ss[:0]
	toks := sc.xs[:0]
	T := m.cfg.Context
	for i, st := range states {
		s, ok := st.(*State)
		if !ok || s.m != m {
			panic("gpt: Step: a state of another model")
		}
		x := xs[i]
		if x < 0 || int(x) >= m.V {
			panic(fmt.Sprintf("gpt: Step: token %d outside the vocabulary of %d", x, m.V))
		}
		if s.exact || len(s.toks) == T {
			s.Append(xs[i : i+1]...)
			continue
		}
		for _, o := range rows {
			if o == s {
				panic("gpt: Step: the same state twice")
			}
		}
		rows = append(rows, s)
		toks = append(toks, x)
	}
	sc.ss, sc.xs = rows, toks
	switch len(rows) {
	case 0:
	case 1:
		rows[0].Append(toks...)
	default:
		sc.run(m)
	}
	clear(sc.ss)
}

// stepBatch holds a batched step's rows: the states, their activations
// and the long-lived functions of its parallel phases (a method value
// passed to kernels.Parallel would allocate at each call).
type stepBatch struct {
	m   *Model
	ss  []*State
	xs  []autoreg.Token
	cap int // rows the buffers hold

	x, ln, atty []float32 // (n,C)
	qkv         []float32 // (n,3C)
	fch         []float32 // (n,4C)
	part        []float32 // (n,P,C), P = max(NH, slices): row r's partial products
	scores      []float32 // (n,NH,Context)

	l   int          // the layer being run
	pl  *packedLayer // its packed weights
	w   *layer
	hid int // width of a slice of the MLP's hidden layer (as State.token)
	nsl int // slices
	pw  int // panel width of the packed weights
	fns stepFns
}

type stepFns struct {
	embed, qkv, attend, proj, mid, mlp, end, out func(lo, hi int)
}

// stepScratch returns a batch buffer from the model's pool.
func (m *Model) stepScratch() *stepBatch {
	if b, ok := m.steps.Get().(*stepBatch); ok {
		return b
	}
	b := &stepBatch{m: m}
	b.fns = stepFns{embed: b.embed, qkv: b.qkvCols, attend: b.attend, proj: b.proj,
		mid: b.mid, mlp: b.mlp, end: b.end, out: b.out}
	return b
}

func (b *stepBatch) grow(n int) {
	if n <= b.cap {
		return
	}
	m := b.m
	C, NH, T := m.cfg.Dim, m.cfg.Heads, m.cfg.Context
	g := tensor.Grow
	g(&b.x, n*C)
	g(&b.ln, n*C)
	g(&b.atty, n*C)
	g(&b.qkv, n*3*C)
	g(&b.fch, n*4*C)
	g(&b.part, n*max(NH, maxSlices)*C)
	g(&b.scores, n*NH*T)
	b.cap = n
}

// run steps the rows b.ss by the tokens b.xs (each window has room).
func (b *stepBatch) run(m *Model) {
	n := len(b.ss)
	C, NH := m.cfg.Dim, m.cfg.Heads
	b.grow(n)
	p := m.packed()
	b.pw = p.layers[0].qkv.PanelWidth()
	b.hid = hiddenSlice(C, b.pw)
	b.nsl = (4*C + b.hid - 1) / b.hid
	// Column chunks of the QKV product: whole panels, about genBlock
	// multiply-adds per row.
	g := max(b.pw, (max(1, genBlock/C)+b.pw-1)/b.pw*b.pw)
	for l := range m.layers {
		b.l, b.pl, b.w = l, &p.layers[l], &m.layers[l]
		if l == 0 {
			kernels.Parallel(n, 1, b.fns.embed)
		}
		kernels.Parallel(3*C, g, b.fns.qkv)
		kernels.Parallel(n*NH, 1, b.fns.attend)
		kernels.Parallel(NH, 1, b.fns.proj)
		kernels.Parallel(n, 1, b.fns.mid)
		kernels.Parallel(b.nsl, 1, b.fns.mlp)
		kernels.Parallel(n, 1, b.fns.end)
	}
	b.pl, b.w = nil, nil
	kernels.Parallel(n, 1, b.fns.out)
}

// embed does for rows [lo, hi) what Append does before the blocks (note
// the token, count it, write its embedding row), then the first
// LayerNorm of the first block.
func (b *stepBatch) embed(lo, hi int) {
	C := b.m.cfg.Dim
	for r := lo; r < hi; r++ {
		s := b.ss[r]
		xs := b.xs[r : r+1]
		s.track(xs)
		s.n++
		x, _, _ := s.embed(xs)
		copy(b.x[r*C:(r+1)*C], x)
		b.ln1(r, b.w)
	}
}

// ln1 is the first LayerNorm of block w for row r.
func (b *stepBatch) ln1(r int, w *layer) {
	a, C := b.m.arena, b.m.cfg.Dim
	layerNormRows(b.ln[r*C:(r+1)*C], b.x[r*C:(r+1)*C], w.ln1w.Data(a), w.ln1b.Data(a), 1, C)
}

// qkvCols runs columns [lo, hi) of the QKV product of every row.
func (b *stepBatch) qkvCols(lo, hi int) {
	C, n := b.m.cfg.Dim, len(b.ss)
	kernels.GemvPackedRows(n, b.qkv, 3*C, b.ln, C, C, b.w.qkvb.Data(b.m.arena), &b.pl.qkv, 0, lo, hi)
}

// attend runs, for (row, head) pairs [lo, hi), the row's key and value
// into its state's cache and the head's attention over it.
func (b *stepBatch) attend(lo, hi int) {
	m := b.m
	C, NH, T := m.cfg.Dim, m.cfg.Heads, m.cfg.Context
	hs := C / NH
	for i := lo; i < hi; i++ {
		r, h := i/NH, i%NH
		s := b.ss[r]
		pos := len(s.toks) - 1
		kc, vc := s.k[b.l], s.v[b.l]
		qkv := b.qkv[r*3*C : (r+1)*3*C]
		copy(kc[pos*C+h*hs:pos*C+(h+1)*hs], qkv[C+h*hs:C+(h+1)*hs])
		copy(vc[pos*C+h*hs:pos*C+(h+1)*hs], qkv[2*C+h*hs:2*C+(h+1)*hs])
		sc := b.scores[i*T : i*T+pos+1]
		attendRow(b.atty[r*C+h*hs:r*C+(h+1)*hs], sc, qkv[h*hs:(h+1)*hs], kc[h*hs:], vc[h*hs:], s.scale, pos+1, C)
	}
}

// proj runs heads [lo, hi)'s partial products of the attention's output
// projection, every row's part[h] = W_o[:, h·hs:(h+1)·hs]·y_h.
func (b *stepBatch) proj(lo, hi int) {
	m := b.m
	C, NH, n := m.cfg.Dim, m.cfg.Heads, len(b.ss)
	hs := C / NH
	P := max(NH, maxSlices)
	for h := lo; h < hi; h++ {
		kernels.GemvPackedRows(n, b.part[h*C:], P*C, b.atty[h*hs:], C, hs, nil, &b.pl.proj, h*hs, 0, C)
	}
}

// mid adds the attention's partial products and bias to rows [lo, hi)
// and runs the second LayerNorm.
func (b *stepBatch) mid(lo, hi int) {
	a, C, NH := b.m.arena, b.m.cfg.Dim, b.m.cfg.Heads
	P := max(NH, maxSlices)
	for r := lo; r < hi; r++ {
		x := b.x[r*C : (r+1)*C]
		addParts(x, b.w.projb.Data(a), b.part[r*P*C:], NH, C)
		layerNormRows(b.ln[r*C:(r+1)*C], x, b.w.ln2w.Data(a), b.w.ln2b.Data(a), 1, C)
	}
}

// mlp runs hidden slices [lo, hi) of the MLP for every row, as
// tokenJob.mlp does for one.
func (b *stepBatch) mlp(lo, hi int) {
	m := b.m
	a, C, NH, n := m.arena, m.cfg.Dim, m.cfg.Heads, len(b.ss)
	P := max(NH, maxSlices)
	for c := lo; c < hi; c++ {
		c0, c1 := c*b.hid, min((c+1)*b.hid, 4*C)
		kernels.GemvPackedRows(n, b.fch, 4*C, b.ln, C, C, b.w.fcb.Data(a), &b.pl.fc, 0, c0, c1)
		for r := range n {
			g := b.fch[r*4*C+c0 : r*4*C+c1]
			kernels.GELU(g, g)
		}
		kernels.GemvPackedRows(n, b.part[c*C:], P*C, b.fch[c0:], 4*C, c1-c0, nil, &b.pl.fcproj, c0, 0, C)
	}
}

// end adds the MLP's partial products and bias to rows [lo, hi), then
// runs the next block's first LayerNorm.
func (b *stepBatch) end(lo, hi int) {
	m := b.m
	a, C, NH := m.arena, m.cfg.Dim, m.cfg.Heads
	P := max(NH, maxSlices)
	for r := lo; r < hi; r++ {
		addParts(b.x[r*C:(r+1)*C], b.w.fcpjb.Data(a), b.part[r*P*C:], b.nsl, C)
		if b.l+1 < len(m.layers) {
			b.ln1(r, &m.layers[b.l+1])
		}
	}
}

// out runs the output layer of rows [lo, hi) into their states.
func (b *stepBatch) out(lo, hi int) {
	C := b.m.cfg.Dim
	for r := lo; r < hi; r++ {
		s := b.ss[r]
		x := s.x[:C]
		copy(x, b.x[r*C:(r+1)*C])
		s.output(x, 1)
	}
}
