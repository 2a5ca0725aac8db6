package seq2seq

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// Inference reads the linear layers' weights from a copy packed into the
// matrix kernels' panel layout (kernels.PackedB), made once per Model on
// first use and dropped by ForwardPairs and Backward. Every product of
// inference runs on kernels.SgemmPacked, whose result for a row does not
// depend on the other rows of the product: that is what lets a batch of
// sources, or of decoder states, compute for each exactly the bits it
// would get alone.

// packedAttn and packedMLP hold the packed op(B) = Wᵀ of a sublayer.
type packedAttn struct{ qkv, proj kernels.PackedB }

type packedCross struct{ q, kv, proj kernels.PackedB }

type packedMLP struct{ fc, proj kernels.PackedB }

type packedEnc struct {
	attn packedAttn
	mlp  packedMLP
}

type packedDec struct {
	attn  packedAttn
	cross packedCross
	mlp   packedMLP
}

// packedWeights is a Model's packed copy of its linear layers and of the
// output layer (the target embedding, transposed).
type packedWeights struct {
	enc []packedEnc
	dec []packedDec
	out kernels.PackedB
}

// packed returns the model's packed weights, packing them first if the
// parameters changed since the last packing. Safe for concurrent use.
func (m *Model) packed() *packedWeights { return m.pack.Get(m.packWeights) }

// packWeights packs the linear layers' and the output layer's weights.
func (m *Model) packWeights() *packedWeights {
	a, C, F := m.arena, m.cfg.Dim, m.cfg.FFN
	pk := func(pb *kernels.PackedB, w tensor.View, out, in int) { pb.Pack(true, in, out, w.Data(a), in) }
	p := &packedWeights{enc: make([]packedEnc, len(m.enc)), dec: make([]packedDec, len(m.dec))}
	for l := range m.enc {
		w, pl := &m.enc[l], &p.enc[l]
		pk(&pl.attn.qkv, w.attn.qkvw, 3*C, C)
		pk(&pl.attn.proj, w.attn.projw, C, C)
		pk(&pl.mlp.fc, w.mlp.fcw, F, C)
		pk(&pl.mlp.proj, w.mlp.projw, C, F)
	}
	for l := range m.dec {
		w, pl := &m.dec[l], &p.dec[l]
		pk(&pl.attn.qkv, w.attn.qkvw, 3*C, C)
		pk(&pl.attn.proj, w.attn.projw, C, C)
		pk(&pl.cross.q, w.cross.qw, C, C)
		pk(&pl.cross.kv, w.cross.kvw, 2*C, C)
		pk(&pl.cross.proj, w.cross.projw, C, C)
		pk(&pl.mlp.fc, w.mlp.fcw, F, C)
		pk(&pl.mlp.proj, w.mlp.projw, C, F)
	}
	pk(&p.out, m.wte, m.V, C)
	return p
}

// ParamsChanged tells the model that its parameters were changed other
// than by training (ForwardPairs and Backward, then an optimizer step):
// the next inference repacks the weights it reads.
func (m *Model) ParamsChanged() { m.pack.Drop() }

// encScratch is the activations of one batched encoder pass at inference.
type encScratch struct {
	B, S      int
	src, lens []int32
	emb, mem  []float32 // (M,C)
	mean      []float32
	rstd      []float32
	acts      []encActs
	kv        []float32 // (M,2C)
}

// maxEncodeRows bounds the positions of one batched encoder pass (and so
// its scratch): larger batches are encoded in parts.
const maxEncodeRows = 1 << 13

// Condition encodes src and returns the model of target sequences given
// it (see autoreg.Conditional).
func (m *Model) Condition(src []autoreg.Token) (autoreg.Model, error) {
	s, err := m.conditionBatch([][]autoreg.Token{src})
	if err != nil {
		return nil, err
	}
	return s[0], nil
}

// ConditionBatch encodes many sources in batched encoder passes and
// returns each one's conditioned model (a *Source): the same bits, source
// by source, as Condition (autoreg.BatchConditional).
func (m *Model) ConditionBatch(srcs [][]autoreg.Token) ([]autoreg.Model, error) {
	s, err := m.conditionBatch(srcs)
	if err != nil {
		return nil, err
	}
	out := make([]autoreg.Model, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out, nil
}

func (m *Model) conditionBatch(srcs [][]autoreg.Token) ([]*Source, error) {
	for i, s := range srcs {
		if len(s) > m.MaxSourceLen() {
			return nil, fmt.Errorf("seq2seq: source %d has %d tokens, the model reads at most %d", i, len(s), m.MaxSourceLen())
		}
		for _, t := range s {
			if !m.srcVocab.Valid(t) {
				return nil, fmt.Errorf("seq2seq: source token %d outside the source vocabulary of %d", t, m.Vs)
			}
		}
	}
	out := make([]*Source, len(srcs))
	for lo := 0; lo < len(srcs); {
		// As many sources as fit maxEncodeRows at the longest's length.
		hi, S := lo, 1
		for hi < len(srcs) {
			s := max(S, len(srcs[hi])+1)
			if (hi-lo+1)*s > maxEncodeRows && hi > lo {
				break
			}
			S = s
			hi++
		}
		m.encodeBatch(srcs[lo:hi], S, out[lo:hi])
		lo = hi
	}
	return out, nil
}

// encodeBatch encodes B sources padded to S positions (each followed by
// </s>) into out.
func (m *Model) encodeBatch(srcs [][]autoreg.Token, S int, out []*Source) {
	B, C := len(srcs), m.cfg.Dim
	M := B * S
	p := m.packed()
	e, _ := m.encs.Get().(*encScratch)
	if e == nil {
		e = new(encScratch)
	}
	defer m.encs.Put(e)
	if e.B != B || e.S != S {
		e.B, e.S = B, S
		e.src, e.lens = make([]int32, M), make([]int32, B)
		g := tensor.Grow
		g(&e.emb, M*C)
		g(&e.mem, M*C)
		g(&e.mean, M)
		g(&e.rstd, M)
		g(&e.kv, M*2*C)
		e.acts = m.growEnc(e.acts, B, S)
	}
	eos := int32(m.srcVocab.EOS())
	for b, s := range srcs {
		row := e.src[b*S : (b+1)*S]
		for i := range row {
			row[i] = eos
		}
		for i, t := range s {
			row[i] = int32(t)
		}
		e.lens[b] = int32(len(s) + 1)
	}
	m.encodePacked(e, p)
	a := m.arena
	for b := range srcs {
		out[b] = &Source{m: m, S: int(e.lens[b]), kv: make([][]float32, len(m.dec))}
	}
	for l := range m.dec {
		nn.LinearPacked(e.kv, e.mem, &p.dec[l].cross.kv, m.dec[l].cross.kvb.Data(a), M)
		for b, s := range out {
			s.kv[l] = append([]float32(nil), e.kv[b*S*2*C:(b*S+s.S)*2*C]...)
		}
	}
}

// encodePacked is the encoder's forward pass (encode) on packed weights,
// without dropout: the layers' row-wise steps one row at a time, so a row's
// bits do not depend on the batch.
func (m *Model) encodePacked(e *encScratch, p *packedWeights) {
	a := m.arena
	B, S, C, F, NH := e.B, e.S, m.cfg.Dim, m.cfg.FFN, m.cfg.Heads
	M := B * S
	nn.EncoderForward(e.emb, e.src, m.swte.Data(a), m.swpe.Data(a), B, S, C)
	res := e.emb
	for l := range m.enc {
		w, pl, s := &m.enc[l], &p.enc[l], &e.acts[l]
		at := &s.attn
		normRows(at.ln, res, w.attn.lnw.Data(a), w.attn.lnb.Data(a), M, C)
		nn.LinearPacked(at.qkv, at.ln, &pl.attn.qkv, w.attn.qkvb.Data(a), M)
		kernels.AttentionKVForward(at.y, at.att, at.qkv, 3*C, at.qkv[C:], at.qkv[2*C:], 3*C, e.lens, B, S, S, C, NH)
		nn.LinearPacked(at.proj, at.y, &pl.attn.proj, w.attn.projb.Data(a), M)
		addRows(at.res, res, at.proj, M, C)
		res = at.res
		ml := &s.mlp
		normRows(ml.ln, res, w.mlp.lnw.Data(a), w.mlp.lnb.Data(a), M, C)
		nn.LinearPacked(ml.h, ml.ln, &pl.mlp.fc, w.mlp.fcb.Data(a), M)
		geluRows(ml.h, M, F)
		nn.LinearPacked(ml.proj, ml.h, &pl.mlp.proj, w.mlp.projb.Data(a), M)
		addRows(ml.res, res, ml.proj, M, C)
		res = ml.res
	}
	normRows(e.mem, res, m.elnw.Data(a), m.elnb.Data(a), M, C)
}

// Row-wise steps of inference, each row on its own kernel call so that its
// bits depend on nothing but the row (the vector kernels treat the tail of
// a slice apart from its body).

// normRows is LayerNorm (GPT-2's ε) without saved statistics.
func normRows(out, inp, w, b []float32, rows, C int) {
	forRows(rows, C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.LayerNorm(out[r*C:(r+1)*C], nil, nil, inp[r*C:(r+1)*C], w, b, 1, C, nn.LayerNormEps)
		}
	})
}

// addRows sets out = x + y row by row.
func addRows(out, x, y []float32, rows, C int) {
	forRows(rows, C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.Add(out[r*C:(r+1)*C], x[r*C:(r+1)*C], y[r*C:(r+1)*C])
		}
	})
}

// geluRows applies the GELU in place row by row.
func geluRows(x []float32, rows, F int) {
	forRows(rows, F, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.GELU(x[r*F:(r+1)*F], x[r*F:(r+1)*F])
		}
	})
}

// forRows runs fn over rows of width floats, split over the workers when
// there are many (whole rows per worker, so the split changes no bit).
func forRows(rows, width int, fn func(lo, hi int)) {
	const grain = 1 << 14
	g := max(1, grain/max(width, 1))
	if rows <= g {
		fn(0, rows)
		return
	}
	kernels.Parallel(rows, g, fn)
}
