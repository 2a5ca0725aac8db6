package imagecm

import "math/bits"

// Colour transforms. In a photograph the three colour channels change
// together: most of a pixel's information is its brightness, and its
// colour (the differences between the channels) is smooth, often stored
// at a lower resolution than the brightness (a JPEG's chroma
// subsampling). The cross-channel predictors see the earlier channels'
// change at the pixel, but the rest of the model (the other predictors,
// the bias cancellation, the contexts) works on each channel's own
// values. A reversible colour transform hands the model the brightness
// and the colour differences as channels of their own, so that all of it
// works on the smooth differences. Some images (graphics, saturated
// colours) code better without one: the coder measures both on a sample
// of the image (ChooseColour), and a third way, for colour stored at half
// the horizontal resolution: the transform with the differences'
// statistics kept apart by column parity (Image.ColumnPairs).

// Transform is a reversible colour transform of the first three channels.
type Transform uint8

// Transforms.
const (
	// NoTransform codes the channels as they are.
	NoTransform Transform = 0
	// RCT is JPEG 2000's reversible colour transform: Y = ⌊(R+2G+B)/4⌋,
	// Cb = B−G, Cr = R−G, coded in that order, the differences offset by
	// MaxVal so that every sample lies in 0 … 2·MaxVal (alpha, a fourth
	// channel, is kept). Inverse: G = Y − ⌊(Cb+Cr)/4⌋, R = Cr+G, B = Cb+G.
	RCT Transform = 1
)

// CanTransform reports whether im may be coded with a colour transform:
// three or four channels, and the differences' range 0 … 2·MaxVal fits
// the 16-bit samples.
func CanTransform(im *Image) bool { return im.Channels >= 3 && im.MaxVal <= 32767 }

// Forward returns im in the colour space of t (im itself for
// NoTransform); the result's MaxVal is 2·im.MaxVal.
func Forward(im *Image, t Transform) *Image {
	if t == NoTransform {
		return im
	}
	M, C := int32(im.MaxVal), im.Channels
	o := &Image{Width: im.Width, Height: im.Height, Channels: C, MaxVal: 2 * im.MaxVal, Pix: make([]uint16, len(im.Pix)), ColumnPairs: im.ColumnPairs}
	copy(o.Pix, im.Pix) // alpha
	for i := 0; i < len(im.Pix); i += C {
		r, g, b := int32(im.Pix[i]), int32(im.Pix[i+1]), int32(im.Pix[i+2])
		o.Pix[i] = uint16((r + 2*g + b) >> 2)
		o.Pix[i+1] = uint16(b - g + M)
		o.Pix[i+2] = uint16(r - g + M)
	}
	return o
}

// Inverse writes into im (its shape and MaxVal set, Pix of its length) the
// image whose transform by t is s. Samples of a corrupt s that fall
// outside 0 … im.MaxVal are clamped (the samples' checksum then fails).
func Inverse(im, s *Image, t Transform) {
	if t == NoTransform {
		copy(im.Pix, s.Pix)
		return
	}
	M, C := int32(im.MaxVal), im.Channels
	copy(im.Pix, s.Pix) // alpha
	for i := 0; i < len(im.Pix); i += C {
		y, cb, cr := int32(s.Pix[i]), int32(s.Pix[i+1])-M, int32(s.Pix[i+2])-M
		g := y - (cb+cr)>>2
		im.Pix[i] = uint16(min(max(cr+g, 0), M))
		im.Pix[i+1] = uint16(min(max(g, 0), M))
		im.Pix[i+2] = uint16(min(max(cb+g, 0), M))
	}
}

// ChooseColour returns the colour transform, and whether to code the
// transformed image's colour in column pairs (Image.ColumnPairs), under
// which the Fast model codes a sample of im (strips of rows spread over
// the image, sampleRows, or all of a small image) in the fewest bits: no
// transform, RCT, or RCT in column pairs. NoTransform if im cannot be
// transformed.
func ChooseColour(im *Image) (t Transform, pairs bool) {
	if !CanTransform(im) {
		return NoTransform, false
	}
	s := sampleRows(im)
	best := estimate(s)
	f := Forward(s, RCT)
	if c := estimate(f); c < best {
		t, best = RCT, c
	}
	f.ColumnPairs = true
	if c := estimate(f); c < best {
		t, pairs = RCT, true
	}
	return t, pairs
}

// sampleRows returns strips of stripRows rows spread evenly over im, one
// every 128 rows and at most maxStrips of them (the choice needs a
// certain amount of evidence, not a fraction of the image: a tall
// photograph is sampled as sparsely as its strips allow), or the whole
// image if it has fewer than sampleMin pixels.
func sampleRows(im *Image) *Image {
	const stripRows, minEvery, maxStrips, sampleMin = 8, 128, 8, 1 << 15
	W, H, C := im.Width, im.Height, im.Channels
	if W*H < sampleMin || H <= minEvery {
		return im
	}
	every := max(minEvery, (H+maxStrips-1)/maxStrips)
	n := W * C
	s := &Image{Width: W, Channels: C, MaxVal: im.MaxVal, ColumnPairs: im.ColumnPairs}
	for y := 0; y < H; y += every {
		end := min(y+stripRows, H)
		s.Pix = append(s.Pix, im.Pix[y*n:end*n]...)
		s.Height += end - y
	}
	return s
}

// estimate is the cost of im's samples under the Fast model, in 1/256
// bits: the model runs as it does when coding, but every decision only
// adds its cost.
func estimate(im *Image) uint64 {
	m, err := newModel(im, Fast)
	if err != nil {
		return 1 << 63
	}
	var cost uint64
	m.code = func(p16 uint32, bit int) int {
		p := p16 >> 4 // 12 bits
		if bit == 0 {
			p = 4096 - p
		}
		cost += uint64(costTab[min(max(p, 1), 4095)])
		return bit
	}
	m.run(true)
	return cost
}

// costTab[p] = −log₂(p/4096) in 1/256 bits, for p in 1 … 4096, computed
// in integers (the choice it makes must be the same on every machine).
var costTab = func() []uint32 {
	t := make([]uint32, 4097)
	for p := 1; p <= 4096; p++ {
		t[p] = uint32(12*256 - log2Fix(uint64(p)))
	}
	return t
}()

// log2Fix is log₂(v) in 1/256 units, rounded down, for v ≥ 1: the integer
// part from the bit length, then eight fraction bits by repeated squaring
// of the mantissa (a 1.31 fixed-point number).
func log2Fix(v uint64) uint64 {
	n := bits.Len64(v) - 1
	m := v << (31 - n) // in [2^31, 2^32)
	r := uint64(n) << 8
	for i := 7; i >= 0; i-- {
		m = m * m >> 31
		if m >= 1<<32 {
			m >>= 1
			r |= 1 << i
		}
	}
	return r
}
