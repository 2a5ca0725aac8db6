package gpt

import (
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
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
func (m *Model) packed() *packedWeights {
	if p := m.pack.Load(); p != nil {
		return p
	}
	m.packMu.Lock()
	defer m.packMu.Unlock()
	if p := m.pack.Load(); p != nil {
		return p
	}
	a, C := m.arena, m.cfg.Dim
	p := &packedWeights{layers: make([]packedLayer, len(m.layers))}
	for l := range m.layers {
		w, pl := &m.layers[l], &p.layers[l]
		pl.qkv.Pack(true, C, 3*C, w.qkvw.Data(a), C)
		pl.proj.Pack(true, C, C, w.projw.Data(a), C)
		pl.fc.Pack(true, C, 4*C, w.fcw.Data(a), C)
		pl.fcproj.Pack(true, 4*C, C, w.fcprojw.Data(a), 4*C)
	}
	m.pack.Store(p)
	return p
}

// ParamsChanged tells the model that its parameters were changed other
// than by training (Forward and Backward, then an optimizer step): written
// directly through Arena once States have run. The next forward pass of a
// State then repacks the weights it reads.
func (m *Model) ParamsChanged() { m.pack.Store(nil) }

// linearPacked is nn.LinearForward for n rows against packed weights:
// out (n,OC) = inp (n,C)·Wᵀ + b.
func linearPacked(out, inp []float32, pb *kernels.PackedB, b []float32, n int) {
	C, OC := pb.K(), pb.N()
	for i := range n {
		copy(out[i*OC:(i+1)*OC], b)
	}
	kernels.SgemmPacked(false, n, 1, inp[:n*C], C, pb, 1, out[:n*OC], OC)
}

// tokenJob is one parallel phase of a generated token's layer (see
// State.token): the workers split the outputs of one product in chunks of
// whole panels, so every output is the same computation however the
// chunks fall.
type tokenJob struct {
	s  *State
	pl *packedLayer
	w  *layer
	kc []float32 // the layer's key and value caches (Context,C)
	vc []float32
}

// State.token runs one generated token through the blocks in four
// parallel phases per layer, the LayerNorms between them on the calling
// goroutine:
//
//	heads:  per head, its q, k, v columns of the QKV product, the k and v
//	        rows into the cache, and its attention over the cache
//	proj:   chunks of the attention output projection, added to x
//	fc:     chunks of the MLP's first product, with its GELU
//	fcproj: chunks of the MLP's output projection, added to x
//
// A head's q, k, v are columns [h·hs, (h+1)·hs) of each third of the QKV
// product, so a head needs no other worker's output when hs is a multiple
// of the panel width; otherwise the QKV product is a phase of its own and
// the heads follow.

// heads runs heads [lo, hi) of the attention of the token at s.tpos.
func (j *tokenJob) heads(lo, hi int) {
	s := j.s
	m := s.m
	C, NH := m.cfg.Dim, m.cfg.Heads
	hs := C / NH
	a := m.arena
	qkv, ln := s.qkv[:3*C], s.ln[:C]
	if s.fusedQKV {
		for t := range 3 {
			kernels.GemvPacked(qkv, ln, j.w.qkvb.Data(a), &j.pl.qkv, t*C+lo*hs, t*C+hi*hs)
		}
	}
	pos, end := s.tpos, s.tpos+1
	copy(j.kc[pos*C+lo*hs:pos*C+hi*hs], qkv[C+lo*hs:C+hi*hs])
	copy(j.vc[pos*C+lo*hs:pos*C+hi*hs], qkv[2*C+lo*hs:2*C+hi*hs])
	T := m.cfg.Context
	for h := lo; h < hi; h++ {
		sc := s.scores[h*T : h*T+end]
		// scores = scale·K[0:end]·q, y = Vᵀ·softmax(scores): two
		// matrix-vector products over the cache rows (stride C).
		kernels.Sgemm(false, true, 1, end, hs, s.scale, qkv[h*hs:h*hs+hs], hs, j.kc[h*hs:], C, 0, sc, end)
		nn.SoftmaxRow(sc)
		kernels.Sgemm(false, false, 1, hs, end, 1, sc, end, j.vc[h*hs:], C, 0, s.atty[h*hs:h*hs+hs], hs)
	}
}

// qkv runs columns [lo, hi) of the QKV product (when heads cannot).
func (j *tokenJob) qkv(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	kernels.GemvPacked(s.qkv[:3*C], s.ln[:C], j.w.qkvb.Data(s.m.arena), &j.pl.qkv, lo, hi)
}

// proj runs columns [lo, hi) of the attention projection: x += atty·Wᵀ + b.
func (j *tokenJob) proj(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	tmp, x := s.tmp[:C], s.x[:C]
	kernels.GemvPacked(tmp, s.atty[:C], j.w.projb.Data(s.m.arena), &j.pl.proj, lo, hi)
	kernels.Add(x[lo:hi], x[lo:hi], tmp[lo:hi])
}

// fc runs columns [lo, hi) of the MLP's first product and its GELU.
func (j *tokenJob) fc(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	fch := s.fch[:4*C]
	kernels.GemvPacked(fch, s.ln[:C], j.w.fcb.Data(s.m.arena), &j.pl.fc, lo, hi)
	kernels.GELU(fch[lo:hi], fch[lo:hi])
}

// fcproj runs columns [lo, hi) of the MLP's output projection:
// x += gelu·Wᵀ + b.
func (j *tokenJob) fcproj(lo, hi int) {
	s := j.s
	C := s.m.cfg.Dim
	tmp, x := s.tmp[:C], s.x[:C]
	kernels.GemvPacked(tmp, s.fch[:4*C], j.w.fcpjb.Data(s.m.arena), &j.pl.fcproj, lo, hi)
	kernels.Add(x[lo:hi], x[lo:hi], tmp[lo:hi])
}

// tokenFns are a State's tokenJob methods as long-lived func values (a
// method value passed to kernels.Parallel would allocate at each call).
type tokenFns struct {
	heads, qkv, proj, fc, fcproj func(lo, hi int)
}

// grainCols is the chunk, in output columns, of a one-row product of k
// inputs: about genBlock multiply-adds, a whole number of panels.
func grainCols(k, pw int) int {
	g := max(1, genBlock/k)
	return max(pw, (g+pw-1)/pw*pw)
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
	x, ln := s.x[:C], s.ln[:C]
	j := &s.tj
	for l := range m.layers {
		w := &m.layers[l]
		*j = tokenJob{s: s, pl: &p.layers[l], w: w, kc: s.k[l], vc: s.v[l]}
		layerNormRows(ln, x, w.ln1w.Data(a), w.ln1b.Data(a), 1, C)
		if !s.fusedQKV {
			kernels.Parallel(3*C, grainCols(C, pw), s.tf.qkv)
		}
		// Heads per chunk: about genBlock multiply-adds of QKV and attention.
		hw := 3*hs*C + 2*(pos+1)*hs
		kernels.Parallel(NH, max(1, genBlock/hw), s.tf.heads)
		kernels.Parallel(C, grainCols(C, pw), s.tf.proj)
		layerNormRows(ln, x, w.ln2w.Data(a), w.ln2b.Data(a), 1, C)
		kernels.Parallel(4*C, grainCols(C, pw), s.tf.fc)
		kernels.Parallel(C, grainCols(4*C, pw), s.tf.fcproj)
	}
	*j = tokenJob{}
}
