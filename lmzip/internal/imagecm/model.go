package imagecm

import (
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
)

// Level selects the model.
type Level int

// Levels.
const (
	Fast Level = 1 // one adaptive context per decision
	Slow Level = 2 // context mixing of thirteen models and two SSE stages
)

// Image is what the model codes: Height rows of Width pixels of Channels
// samples 0..MaxVal, row-major, a pixel's channels together.
type Image struct {
	Width, Height, Channels int
	MaxVal                  int
	Pix                     []uint16

	// ColumnPairs says that the channels after the first hold colour
	// stored at half the horizontal resolution (a JPEG's 4:2:2 chroma
	// subsampling, after a colour transform): within a pair of columns
	// (0 and 1, 2 and 3, …) the colour changes less than between pairs.
	// The model then keeps those channels' statistics apart for even and
	// odd columns, and weights their predictors by their errors in the
	// same column parity. The decoder must be told the same.
	ColumnPairs bool
}

// check reports an image the model cannot code.
func (im *Image) check() error {
	switch {
	case im.Width < 1 || im.Height < 1 || im.Channels < 1 || im.Channels > 4:
		return fmt.Errorf("imagecm: %d × %d pixels of %d channels", im.Width, im.Height, im.Channels)
	case im.MaxVal < 1 || im.MaxVal > 65535:
		return fmt.Errorf("imagecm: maximum sample %d", im.MaxVal)
	case len(im.Pix) != im.Width*im.Height*im.Channels:
		return fmt.Errorf("imagecm: %d samples for %d × %d × %d", len(im.Pix), im.Width, im.Height, im.Channels)
	case im.ColumnPairs && im.Channels < 2:
		return errors.New("imagecm: column pairs in an image of one channel")
	}
	return nil
}

// Counter count limits: the counters settle to a rate of about 1/limit.
const (
	fastLimit = 1023
	slowLimit = 1023
)

// model is the state the encoder and the decoder share.
type model struct {
	im     *Image
	level  Level
	E      int  // bits of MaxVal: the largest residual exponent + 1
	slots  int  // decisions of the binarization
	eshift uint // shift of errors to the 8-bit scale of the weights
	pairs  bool // Image.ColumnPairs
	nc     int  // channels of statistics: C, or 2C with pairs (odd columns' channels after the first count as C+c)

	// The last three rows, as ring buffers: each sample's absolute error
	// per predictor (×8) and its residual.
	errs  [3][][nPred]uint32
	resid [3][]int32

	biasSum, biasCnt []int32 // bias cancellation per (texture, error level, channel)

	fast []uint32 // Fast: one counter per (context, slot)

	// Slow: the models' counters and contexts, the mixer, the SSE stages.
	tabs       [nModels][]uint32
	cx         [nModels]uint32
	x          [nModels + 1]int32
	mix        *cm.Mixer
	apm1, apm2 *cm.APM
	a1, a2     int

	code func(p16 uint32, bit int) int // codes bit, or decodes one and returns it
}

func newModel(im *Image, level Level) (*model, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	m := &model{im: im, level: level}
	m.E = bits.Len(uint(im.MaxVal))
	m.slots = 2 + 4*m.E + m.E*m.E
	if m.E > 8 {
		m.eshift = uint(m.E - 8)
	}
	W, C := im.Width, im.Channels
	m.nc = C
	if im.ColumnPairs {
		m.pairs = true
		m.nc = 2 * C
	}
	for i := range 3 {
		m.errs[i] = make([][nPred]uint32, W*C)
		m.resid[i] = make([]int32, W*C)
	}
	m.biasSum = make([]int32, 64*16*m.nc)
	m.biasCnt = make([]int32, 64*16*m.nc)
	switch level {
	case Fast:
		m.fast = make([]uint32, fastContexts*m.nc*m.slots)
	case Slow:
		cm.InitTables() // squash and stretch
		for k, n := range modelSizes {
			if k == hashedModel {
				m.tabs[k] = make([]uint32, hashBuckets(m.slots)*m.slots)
				continue
			}
			m.tabs[k] = make([]uint32, n*m.nc*m.slots)
		}
		m.mix = cm.NewMixer(nModels+1, 2+m.E+mantissaSets, 1, 1<<14)
		m.apm1 = cm.NewAPM(32*m.slots, 7)
		m.apm2 = cm.NewAPM(14*14*m.slots, 7)
	default:
		return nil, fmt.Errorf("imagecm: unknown level %d", level)
	}
	return m, nil
}

// Encode codes the image's samples to w at level.
func Encode(w io.Writer, im *Image, level Level) error {
	m, err := newModel(im, level)
	if err != nil {
		return err
	}
	enc := arith.NewEncoder(w)
	m.code = func(p16 uint32, bit int) int {
		enc.EncodeBit(bit, p16)
		return bit
	}
	m.run(true)
	return enc.Close()
}

// Decode decodes the samples Encode coded at level into im.Pix (the shape
// set, Pix of the right length).
func Decode(r io.Reader, im *Image, level Level) error {
	m, err := newModel(im, level)
	if err != nil {
		return err
	}
	dec := arith.NewDecoder(r)
	m.code = func(p16 uint32, _ int) int { return dec.DecodeBit(p16) }
	m.run(false)
	if err := dec.Err(); err != nil {
		return fmt.Errorf("imagecm: %w", err)
	}
	if dec.Overrun() > 8 {
		return errors.New("imagecm: the coded samples end early")
	}
	return nil
}

// run codes (or decodes) every sample in raster order.
func (m *model) run(encoding bool) {
	im := m.im
	W, H, C := im.Width, im.Height, im.Channels
	var nb neighbours
	for y := range H {
		erow, eN, eNN := m.errs[y%3], m.errs[(y+2)%3], m.errs[(y+1)%3]
		rrow, rN := m.resid[y%3], m.resid[(y+2)%3]
		for x := range W {
			for c := range C {
				nb.load(im, x, y, c)
				i := x*C + c
				var s sample
				s.c = c
				if m.pairs && c > 0 && x&1 == 1 {
					s.c = c + C
				}
				m.predict(&s, &nb, x, y, c, erow, eN, eNN)
				var rw int32
				switch {
				case c > 0:
					rw = rrow[i-1]
				case x > 0:
					rw = rrow[i-C]
				}
				s.q2 = min(bits.Len32(uint32(abs32(rw))), 3)
				if m.level == Slow {
					m.contexts(&s, &nb, x, y, rrow, rN, i)
				}
				at := (y*W+x)*C + c
				var v int32
				if encoding {
					v = int32(im.Pix[at])
					m.residual(&s, v-s.pr)
				} else {
					// Clamped: a valid stream never needs it, a corrupt
					// one must not leave the range.
					v = min(max(s.pr+m.residual(&s, 0), 0), int32(im.MaxVal))
					im.Pix[at] = uint16(v)
				}
				rrow[i] = v - s.pr
				m.learn(&s, v, erow[i][:])
			}
		}
	}
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
