package gpt

import (
	"github.com/autoreg/autoreg/internal/kernels"
)

// Inference reads the weights of the linear layers from a copy packed into
// the matrix kernels' panel layout (kernels.PackedB), made once per Model
// on the first forward pass of a State: a batched pass (a prompt, a window
// re-encoded after a shift) then skips packing the weights at every call,
// and a generated token's one-row products stream the panels sequentially
// (kernels.GemvPacked). The copy is as large as the linear layers' weights.
//
// Training and inference do not overlap in time (see Model), so Forward and
// Backward drop the copy and the next inference packs the new weights.

// packedLayer holds the packed op(B) = Wᵀ of one block's linear layers.
type packedLayer struct {
	qkv, proj, fc, fcproj kernels.PackedB
}

// packedWeights is a Model's packed copy of its linear layers.
type packedWeights struct {
	layers []packedLayer
}

// packed returns the model's packed weights, packing them first if the
// parameters changed since the last packing. Safe for concurrent States.
func (m *Model) packed() *packedWeights { return m.pack.Get(m.packWeights) }

// packWeights packs the linear layers' weights.
func (m *Model) packWeights() *packedWeights {
	a, C := m.arena, m.cfg.Dim
	p := &packedWeights{layers: make([]packedLayer, len(m.layers))}
	for l := range m.layers {
		w, pl := &m.layers[l], &p.layers[l]
		pl.qkv.Pack(true, C, 3*C, w.qkvw.Data(a), C)
		pl.proj.Pack(true, C, C, w.projw.Data(a), C)
		pl.fc.Pack(true, C, 4*C, w.fcw.Data(a), C)
		pl.fcproj.Pack(true, 4*C, C, w.fcprojw.Data(a), 4*C)
	}
	return p
}

// ParamsChanged tells the model that its parameters were changed other
// than by training (Forward and Backward, then an optimizer step): written
// directly through Arena once States have run. The next forward pass of a
// State then repacks the weights it reads.
func (m *Model) ParamsChanged() { m.pack.Drop() }

// tokenJob is one parallel phase of a generated token's layer (see
// State.token). The workers split fixed chunks of the work: columns of a
// product in whole panels, or a sum split in fixed slices whose partial
// results the calling goroutine adds in order, so every result is the same
// however the chunks fall among the workers.
type tokenJob struct {
	s  *State
	pl *packedLayer
	w  *layer
	kc []float32 // the layer's key and value caches (Context,C)
	vc []float32
}

// State.token runs one generated token through the blocks in two parallel
// phases per layer, on the calling goroutine between them the sums of the
// partial products, the biases, the residual adds and the LayerNorms:
//
//	heads: per head h, its q, k, v (columns [h·hs, (h+1)·hs) of each third
//	       of the QKV product), the k and v rows into the cache, its
//	       attention over the cache, and its share of the output
//	       projection, part[h] = W_o[:, h·hs:(h+1)·hs]·y_h
//	mlp:   per slice c of the hidden layer, its columns of the first
//	       product and their GELU, and its share of the output
//	       projection, part[c] = W₂[:, c]·gelu_c
//
// x += b + Σ part (in order) after each. A head needs no other worker's
// output when hs is a multiple of the panel width; otherwise the QKV
// product is a phase of its own before the heads.

// heads runs heads [lo, hi) of the attention of the token at s.tpos.
func (j *tokenJob) heads(lo, hi int) {
	s := j.s
	m := s.m
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	qkv, ln := s.qkv[:3*C], s.ln[:C]
	if s.fusedQKV {
		for t := range 3 {
			kernels.GemvPacked(qkv, ln, j.w.qkvb.Data(m.arena), &j.pl.qkv, 0, t*C+lo*hs, t*C+hi*hs)
		}
	}
	pos, end := s.tpos, s.tpos+1
	copy(j.kc[pos*C+lo*hs:pos*C+hi*hs], qkv[C+lo*hs:C+hi*hs])
	copy(j.vc[pos*C+lo*hs:pos*C+hi*hs], qkv[2*C+lo*hs:2*C+hi*hs])
	T := m.cfg.Context
	for h := lo; h < hi; h++ {
		sc := s.scores[h*T : h*T+end]
		y := s.atty[h*hs : h*hs+hs]
		attendRow(y, sc, qkv[h*hs:h*hs+hs], j.kc[h*hs:], j.vc[h*hs:], s.scale, end, C)
		kernels.GemvPacked(s.part[h*C:(h+1)*C], y, nil, &j.pl.proj, h*hs, 0, C)
	}
}

// attendRow is one head's attention for one new row over the cache rows
// [0, end) (stride C) holding its own key and value: scores =
// scale·K·q, y = Vᵀ·softmax(scores), two matrix-vector products. A
// generated token and a batched step (Model.Step) both go through it.
func attendRow(y, sc, q, kc, vc []float32, scale float32, end, C int) {
	hs := len(q)
	kernels.Sgemm(false, true, 1, end, hs, scale, q, hs, kc, C, 0, sc, end)
	kernels.Softmax(sc, sc, 1, end) // one row: vector max and exp-sum
	kernels.Sgemm(false, false, 1, hs, end, 1, sc, end, vc, C, 0, y, hs)
}

// qkv runs columns [lo, hi) of the QKV product (when heads cannot).
func (j *tokenJob) qkv(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	kernels.GemvPacked(s.qkv[:3*C], s.ln[:C], j.w.qkvb.Data(s.m.arena), &j.pl.qkv, 0, lo, hi)
}

// mlp runs hidden slices [lo, hi) (of s.hid columns each) of the MLP.
func (j *tokenJob) mlp(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	fch, ln := s.fch[:4*C], s.ln[:C]
	for c := lo; c < hi; c++ {
		c0, c1 := c*s.hid, min((c+1)*s.hid, 4*C)
		kernels.GemvPacked(fch, ln, j.w.fcb.Data(s.m.arena), &j.pl.fc, 0, c0, c1)
		g := fch[c0:c1]
		kernels.GELU(g, g)
		kernels.GemvPacked(s.part[c*C:(c+1)*C], g, nil, &j.pl.fcproj, c0, 0, C)
	}
}

// tokenFns are a State's tokenJob methods as long-lived func values (a
// method value passed to kernels.Parallel would allocate at each call).
type tokenFns struct {
	heads, qkv, mlp func(lo, hi int)
}

// maxSlices bounds the number of slices of a generated token's MLP.
const maxSlices = 16

// hiddenSlice is the width of one slice of the MLP's hidden layer in a
// generated token (see tokenJob): about genBlock multiply-adds in each of
// its two products, whole panels, and at most maxSlices slices, so that
// adding the partial products stays short.
func hiddenSlice(C, pw int) int {
	w := max(genBlock/C, (4*C+maxSlices-1)/maxSlices)
	return max(pw, (w+pw-1)/pw*pw)
}

// addParts sets x += b + Σᵢ part[i] over n partial products of width C,
// added in order.
func addParts(x, b, part []float32, n, C int) {
	acc := part[:C]
	for i := 1; i < n; i++ {
		kernels.Add(acc, acc, part[i*C:(i+1)*C])
	}
	kernels.Add(acc, acc, b)
	kernels.Add(x, x, acc)
}

// token runs the blocks for the one token whose embedding is in s.x, at
// position pos of the window (see tokenJob).
func (s *State) token(p *packedWeights, pos int) {
	m, a := s.m, s.m.arena
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	pw := p.layers[0].qkv.PanelWidth()
	s.tpos = pos
	s.fusedQKV = hs%pw == 0
	s.hid = hiddenSlice(C, pw)
	slices := (4*C + s.hid - 1) / s.hid
	x, ln := s.x[:C], s.ln[:C]
	j := &s.tj
	for l := range m.layers {
		w := &m.layers[l]
		*j = tokenJob{s: s, pl: &p.layers[l], w: w, kc: s.k[l], vc: s.v[l]}
		layerNormRows(ln, x, w.ln1w.Data(a), w.ln1b.Data(a), 1, C)
		if !s.fusedQKV {
			g := max(1, genBlock/C)
			kernels.Parallel(3*C, max(pw, (g+pw-1)/pw*pw), s.tf.qkv)
		}
		kernels.Parallel(NH, 1, s.tf.heads)
		addParts(x, w.projb.Data(a), s.part, NH, C)
		layerNormRows(ln, x, w.ln2w.Data(a), w.ln2b.Data(a), 1, C)
		kernels.Parallel(slices, 1, s.tf.mlp)
		addParts(x, w.fcpjb.Data(a), s.part, slices, C)
	}
	*j = tokenJob{}
}
