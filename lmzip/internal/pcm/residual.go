package pcm

import (
	"math/bits"

	"github.com/autoreg/autoreg/arith"
)

// bitCoder codes one binary decision with P(1) = p16/65536: the encoder
// codes the given bit and returns it, the decoder ignores it and returns
// the decoded one, so the residual model is written once for both.
type bitCoder interface {
	code(bit int, p16 uint32) int
}

type encoder struct{ e *arith.Encoder }

func (c encoder) code(bit int, p16 uint32) int { c.e.EncodeBit(bit, p16); return bit }

// nop codes nothing: the encoder's model advances over samples that are
// stored, not coded.
type nop struct{}

func (nop) code(bit int, _ uint32) int { return bit }

type decoder struct{ d *arith.Decoder }

func (c decoder) code(_ int, p16 uint32) int { return c.d.DecodeBit(p16) }

// half is P(1) = ½: a bit the model does not predict.
const half = 1 << 15

// Residual coding. A residual r is coded as its magnitude class
// e = bits.Len(|r|) (0 for r = 0), five binary decisions down a tree; then
// the bits of |r| below its leading one, the first two modelled and the
// rest at ½; then its sign at ½. Each modelled decision mixes three
// adaptive counters (mixer) selected by the decision's place and by the
// recent loudness of the residual: the running mean of |r| over about 4
// samples (fast), over about 32 (slow), and both together. This is the
// context-mixed form of the adaptive Golomb and Laplace coders of lossless
// audio: the class is where a Laplace fits, the two means track a scale
// that changes within a syllable or a note.

const (
	treeBits   = 5 // classes 0..31: a residual is below 2^31
	nodes      = 1 << treeBits
	modelled   = 2  // mantissa bits coded with models
	classLimit = 40 // class contexts of the mantissa models
	ctxs       = 64 // loudness contexts of one mean
)

const nModels = 3

type residualModel struct {
	fast, slow int32 // running means of |r|, ×16
	tree       [nModels][]counter
	mant       [nModels][]counter
	treeMix    *mixer
	mantMix    *mixer
	c          [nModels]int // the current contexts
}

func newResidualModel() *residualModel {
	m := &residualModel{treeMix: newMixer(nModels, nodes*16, 4), mantMix: newMixer(nModels, classLimit*4, 4)}
	sizes := [nModels]int{ctxs, ctxs, 32 * 16}
	for i := range nModels {
		m.tree[i] = make([]counter, sizes[i]*nodes)
		m.mant[i] = make([]counter, sizes[i]*classLimit*4)
	}
	return m
}

// loudness maps a running mean (×16) to a context: two steps per octave.
func loudness(v int32) int {
	if v < 2 {
		return int(v)
	}
	l := bits.Len32(uint32(v))
	return min(ctxs-1, 2*l+int(v>>(l-2))&1-2)
}

// code codes r (encoding) or returns the decoded residual (r ignored).
func (m *residualModel) code(bc bitCoder, r int32) int32 {
	kf, ks := loudness(m.fast), loudness(m.slow)
	m.c = [nModels]int{kf, ks, (kf>>1)*16 + min(15, ks>>2)}
	a := uint32(r)
	if r < 0 {
		a = uint32(-r)
	}
	e := bits.Len32(a)
	// The class, most significant bit first.
	node := 1
	for i := treeBits - 1; i >= 0; i-- {
		for j := range nModels {
			m.treeMix.x[j] = stretch(m.tree[j][m.c[j]*nodes+node].p12())
		}
		p := m.treeMix.mix(node*16 + kf>>2)
		bit := bc.code((e>>i)&1, uint32(p)<<4)
		m.treeMix.update(bit)
		for j := range nModels {
			m.tree[j][m.c[j]*nodes+node].update(bit, 1000)
		}
		node = node*2 + bit
	}
	e = node - nodes
	// The bits below the leading one.
	var mag uint32
	if e > 0 {
		mag = 1
		ce := min(e, classLimit-1)
		for i := e - 2; i >= 0; i-- {
			want := int(a>>i) & 1
			var bit int
			if e-2-i < modelled {
				k := ce*4 + int(mag&3)
				for j := range nModels {
					m.mantMix.x[j] = stretch(m.mant[j][m.c[j]*classLimit*4+k].p12())
				}
				p := m.mantMix.mix(k)
				bit = bc.code(want, uint32(p)<<4)
				m.mantMix.update(bit)
				for j := range nModels {
					m.mant[j][m.c[j]*classLimit*4+k].update(bit, 1000)
				}
			} else {
				bit = bc.code(want, half)
			}
			mag = mag<<1 | uint32(bit)
		}
	}
	v := int32(mag)
	if mag != 0 && bc.code(int(uint32(r)>>31), half) == 1 {
		v = -v
	}
	m.fast += (int32(min(mag, 1<<26))*16 - m.fast) >> 2
	m.slow += (int32(min(mag, 1<<26))*16 - m.slow) >> 5
	return v
}
