package pcm

import (
	"fmt"

	"github.com/autoreg/autoreg/arith"
)

// Format is the shape of the samples a codec codes.
type Format struct {
	Channels int // interleaved
	Bits     int // 8 to 24: the sample values' range is [−2^(Bits−1), 2^(Bits−1))
	Rate     int // frames per second (chooses the filters)
}

// MaxBits is the widest sample the codec codes (its cascades work in
// 32-bit integers with room for a prediction's error).
const MaxBits = 24

// Check reports a format the codec cannot code.
func (f Format) Check() error {
	if f.Channels < 1 || f.Channels > 1024 || f.Bits < 1 || f.Bits > MaxBits || f.Rate < 1 {
		return fmt.Errorf("pcm: %d channels of %d bits at %d Hz: want 1 to 1024 channels of 1 to %d bits", f.Channels, f.Bits, f.Rate, MaxBits)
	}
	return nil
}

// The cascades of the levels: every channel runs them all and mixes
// their predictions (channel.predict).
var (
	long   = []Stage{{1024, 15}, {256, 13}, {16, 9}}
	longer = []Stage{{2048, 16}, {256, 13}, {16, 9}}
	short  = []Stage{{128, 12}, {32, 10}, {16, 9}, {8, 8}, {4, 7}}
	tiny   = []Stage{{16, 9}, {8, 8}, {4, 7}, {2, 6}}
	small  = []Stage{{32, 10}, {16, 9}, {8, 8}, {4, 7}, {2, 6}}
	fast   = []Stage{{16, 8}, {8, 7}, {4, 6}, {2, 5}}
)

// cascades returns the cascades of a level: at level 1 a long one (for
// sustained tones), a short one and a tiny, fast one (for speech and
// transients); level 2 adds a longer one and a second fast one.
func cascades(level int) [][]Stage {
	if level >= 2 {
		return [][]Stage{longer, long, short, small, fast}
	}
	return [][]Stage{long, short, tiny}
}

// model is the state encoder and decoder share: one predictor and
// residual model per channel, and the stereo transform.
type model struct {
	f   Format
	chs []*channel
	buf []int32
}

func newModel(f Format, level int) (*model, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	m := &model{f: f, buf: make([]int32, f.Channels)}
	for range f.Channels {
		m.chs = append(m.chs, newChannel(cascades(level), f.Bits))
	}
	return m, nil
}

// Encoder codes samples with an adaptive model: it starts knowing nothing
// and learns as it codes, and the Decoder replays the same learning.
type Encoder struct{ m *model }

// NewEncoder returns an encoder of samples in format f at a level (1 is
// the default).
func NewEncoder(f Format, level int) (*Encoder, error) {
	m, err := newModel(f, level)
	if err != nil {
		return nil, err
	}
	return &Encoder{m: m}, nil
}

// Encode codes whole frames of interleaved samples (each within the
// format's bit range) into e. With a nil e the model only advances over
// them, as a Decoder does over samples stored rather than coded.
func (enc *Encoder) Encode(e *arith.Encoder, samples []int32) {
	m := enc.m
	ch := m.f.Channels
	var bc bitCoder = nop{}
	if e != nil {
		bc = encoder{e}
	}
	for i := 0; i+ch <= len(samples); i += ch {
		x := m.buf
		copy(x, samples[i:i+ch])
		if ch == 2 {
			x[0], x[1] = x[1]+(x[0]-x[1])>>1, x[0]-x[1] // mid, side
		}
		for c, cm := range m.chs {
			cm.res.code(bc, cm.encode(x[c]))
		}
	}
}

// Decoder decodes what an Encoder of the same format and level coded.
type Decoder struct{ m *model }

// NewDecoder returns a decoder of samples in format f at a level.
func NewDecoder(f Format, level int) (*Decoder, error) {
	m, err := newModel(f, level)
	if err != nil {
		return nil, err
	}
	return &Decoder{m: m}, nil
}

// Decode fills dst (whole frames) with the next decoded samples. A corrupt
// stream decodes to garbage, never a panic; the container's checksums
// catch it.
func (dec *Decoder) Decode(d *arith.Decoder, dst []int32) {
	m := dec.m
	ch := m.f.Channels
	bc := decoder{d}
	lo, hi := int32(-1)<<(m.f.Bits-1), int32(1)<<(m.f.Bits-1)-1
	for i := 0; i+ch <= len(dst); i += ch {
		x := m.buf
		for c, cm := range m.chs {
			x[c] = cm.decode(cm.res.code(bc, 0))
		}
		if ch == 2 {
			r := x[0] - x[1]>>1
			x[0], x[1] = x[1]+r, r
		}
		for c := range ch {
			dst[i+c] = max(lo, min(hi, x[c]))
		}
	}
}
