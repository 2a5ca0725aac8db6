package lmzip

import (
	"errors"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/wavfile"
)

// Static coding of sound with a real-valued model: a WAV file of integer
// PCM samples is a media stream (media.go) whose body, frame by frame, is
// coded with the model's predictive distribution of the next frame, each
// channel's sample by its bin's integer frequencies, and whose other bytes
// go through the adaptive byte model. The model must offer a bit-exact
// state whose distribution over integers is given as integer frequencies
// (PathCDF): a discretized logistic mixture over the integers, the
// 16-bit head of PixelCNN++ and WaveNet.

// ExactRealStater is an optional interface of an autoreg.RealModel with a
// bit-exact inference path (rnn's real-valued models); lmzip codes integer
// samples with its states, which must implement IntCDFer.
type ExactRealStater interface {
	NewExactRealState() autoreg.RealState
}

// IntCDFer is what a bit-exact real-valued state offers for coding
// integers: the next step's distribution of each dimension over the
// integers lo … lo+n−1 as cumulative frequencies, identical on every
// platform.
type IntCDFer interface {
	// Ints is the integers covered (the end bins hold everything beyond),
	// or why the model has no exact frequencies of integers.
	Ints() (lo, n int, err error)
	// Cum is dimension i's cumulative frequency of the values below lo+j,
	// 0 ≤ j ≤ n: Cum(i, 0) = 0, strictly increasing, Cum(i, n) ≤
	// arith.MaxTotal the total.
	Cum(i, j int) uint32
	// Find is the j with Cum(i, j) ≤ target < Cum(i, j+1).
	Find(i int, target uint32) int
}

// realIntState returns an exact state of m and its integer frequencies.
func realIntState(m autoreg.RealModel) (autoreg.RealState, IntCDFer, int, int, error) {
	e, ok := m.(ExactRealStater)
	if !ok {
		return nil, nil, 0, 0, errors.New("the model has no bit-exact path for coding samples")
	}
	st := e.NewExactRealState()
	ic, ok := st.(IntCDFer)
	if !ok {
		return nil, nil, 0, 0, errors.New("the model's exact state has no integer frequencies")
	}
	lo, n, err := ic.Ints()
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("the model cannot code samples: %v", err)
	}
	return st, ic, lo, n, nil
}

// realWavKind is the "wav" media kind whose body m codes.
func realWavKind(m autoreg.RealModel) mediaKind {
	return mediaKind{name: "wav", layout: func(prefix []byte, _ int) (mediaLayout, error) {
		f, off, n, err := wavfile.Layout(prefix)
		if err != nil {
			return mediaLayout{}, err
		}
		if f.Encoding != wavfile.PCM || f.Bits > 24 {
			return mediaLayout{}, fmt.Errorf("a real-valued model codes integer PCM of 8, 16 or 24 bits, not %d-bit %s", f.Bits, f.Encoding)
		}
		if f.Channels != m.Dim() {
			return mediaLayout{}, fmt.Errorf("the file has %d channel(s), the model %d", f.Channels, m.Dim())
		}
		st, ic, lo, nb, err := realIntState(m)
		if err != nil {
			return mediaLayout{}, err
		}
		if lo > -1<<(f.Bits-1) || lo+nb < 1<<(f.Bits-1) {
			return mediaLayout{}, fmt.Errorf("the model's bins cover %d … %d, not every %d-bit sample", lo, lo+nb-1, f.Bits)
		}
		c := &realWavCodec{wavFrames: wavFrames{f: f, frame: f.BlockAlign()}, st: st, ic: ic, lo: lo, n: nb, xs: make([]float64, f.Channels)}
		return mediaLayout{off: off, n: n, codec: c}, nil
	}}
}

// realWavCodec codes a WAV file's frames with a real-valued model's exact
// state: channel i of a frame by the frequencies of its bin in dimension
// i, then the whole frame is appended to the history.
type realWavCodec struct {
	wavFrames
	st    autoreg.RealState
	ic    IntCDFer
	lo, n int
	xs    []float64 // one frame
}

func (c *realWavCodec) encode(enc *arith.Encoder, units []byte) {
	s := c.samples(len(units) * 8 / c.f.Bits)
	toInts(s, units, c.f)
	d := len(c.xs)
	for t := 0; t < len(s); t += d {
		for i, v := range s[t : t+d] {
			if enc != nil {
				j := int(v) - c.lo
				lo, hi := c.ic.Cum(i, j), c.ic.Cum(i, j+1)
				enc.Encode(lo, hi-lo, c.ic.Cum(i, c.n))
			}
			c.xs[i] = float64(v)
		}
		c.st.Append(c.xs...)
	}
}

func (c *realWavCodec) decode(dec *arith.Decoder, dst []byte) {
	s := c.samples(len(dst) * 8 / c.f.Bits)
	d := len(c.xs)
	for t := 0; t < len(s); t += d {
		for i := range d {
			tot := c.ic.Cum(i, c.n)
			j := c.ic.Find(i, dec.Target(tot))
			lo, hi := c.ic.Cum(i, j), c.ic.Cum(i, j+1)
			dec.Consume(lo, hi-lo, tot)
			s[t+i] = int32(c.lo + j)
			c.xs[i] = float64(s[t+i])
		}
		c.st.Append(c.xs...)
	}
	fromInts(dst, s, c.f)
}

// newRealMediaReader builds the reader's codec of a static media stream
// from its header's configuration: the byte model's and the media
// description, whose body m codes once the bytes before it are known.
func newRealMediaReader(m autoreg.RealModel, config string) (blockCodec, error) {
	text, media, err := splitMedia(config)
	if err != nil {
		return nil, err
	}
	if media == nil {
		return nil, errors.New("a static media stream without its media description")
	}
	cfg, err := ParseAdaptiveConfig(text)
	if err != nil {
		return nil, err
	}
	if cfg.Engine == 2 {
		return nil, errors.New("engine 2 as the byte model of a static media stream")
	}
	return newModelMediaCodec(newAdaptiveCodec(cfg), *media, realWavKind(m), nil)
}
