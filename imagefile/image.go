// Package imagefile reads and writes raster images as plain arrays of
// integer samples, keeping what a pixel-exact round trip needs:
//
//   - PNG (ISO/IEC 15948, W3C "Portable Network Graphics Specification"):
//     gray, gray+alpha, RGB, RGBA and palette images of every bit depth
//     (1, 2, 4, 8, 16), with the palette, the bit depth and every ancillary
//     chunk (metadata, colour profile, transparency) kept in file order, so
//     that writing the decoded file back gives the same pixels and the same
//     ancillary chunks (not the same bytes: the image data is deflated
//     anew). Go's image/png decodes the pixels; this package parses the
//     chunk structure itself.
//   - Netpbm PGM and PPM, plain (P2, P3) and raw (P5, P6), any maximum value
//     up to 65535 (two bytes per raw sample past 255).
//   - IDX, the format of the MNIST files (LeCun et al.): unsigned-byte
//     image arrays (magic 2051) and label vectors (magic 2049), plain or
//     gzip-compressed.
//
// A file is checked before anything is allocated for its pixels: a tiny
// file that declares 100,000 × 100,000 pixels (a decoding bomb) is refused
// with an error naming the problem, because its declared size exceeds
// [MaxSamples] or what its compressed data could possibly expand to.
//
// The package knows nothing of models: package corpus turns images into
// tokens, package lmzip compresses them.
package imagefile

import (
	"errors"
	"fmt"
)

// MaxSamples bounds the samples (pixels × channels) of one image or of one
// IDX file: 2^28, a 16,384 × 16,384 RGB photograph with room to spare.
const MaxSamples = 1 << 28

// MaxSide bounds an image's width and height.
const MaxSide = 1 << 24

// Image is a raster of integer samples: Height rows of Width pixels of
// Channels samples each, row-major with the channels of a pixel together
// (gray; gray, alpha; R, G, B; R, G, B, alpha; or one palette index).
type Image struct {
	Width, Height, Channels int
	// MaxVal is the largest value a sample may take: 255 for 8-bit
	// images, 65535 for 16-bit, 1 for a bilevel image, 16 for a 17-level
	// one. Samples run from 0 (black, transparent) to MaxVal.
	MaxVal int
	// Pix holds Height·Width·Channels samples.
	Pix []uint16
}

// NewImage returns a zeroed image of the given shape, or an error if the
// shape is out of range.
func NewImage(width, height, channels, maxVal int) (*Image, error) {
	if err := checkShape(width, height, channels, maxVal); err != nil {
		return nil, fmt.Errorf("imagefile: %w", err)
	}
	return &Image{Width: width, Height: height, Channels: channels, MaxVal: maxVal,
		Pix: make([]uint16, width*height*channels)}, nil
}

// checkShape reports a shape no image may have.
func checkShape(width, height, channels, maxVal int) error {
	switch {
	case width < 1 || height < 1 || width > MaxSide || height > MaxSide:
		return fmt.Errorf("%d × %d pixels: want 1 to %d on each side", width, height, MaxSide)
	case channels < 1 || channels > 4:
		return fmt.Errorf("%d channels: want 1 to 4", channels)
	case maxVal < 1 || maxVal > 65535:
		return fmt.Errorf("maximum sample value %d: want 1 to 65535", maxVal)
	case int64(width)*int64(height)*int64(channels) > MaxSamples:
		return fmt.Errorf("%d × %d × %d samples: more than %d", width, height, channels, MaxSamples)
	}
	return nil
}

// Check reports an image whose fields disagree: a shape out of range, a
// Pix of the wrong length, or a sample above MaxVal.
func (im *Image) Check() error {
	if err := checkShape(im.Width, im.Height, im.Channels, im.MaxVal); err != nil {
		return fmt.Errorf("imagefile: %w", err)
	}
	if len(im.Pix) != im.Width*im.Height*im.Channels {
		return fmt.Errorf("imagefile: %d samples for %d × %d × %d", len(im.Pix), im.Width, im.Height, im.Channels)
	}
	for i, v := range im.Pix {
		if int(v) > im.MaxVal {
			return fmt.Errorf("imagefile: sample %d is %d, above the maximum %d", i, v, im.MaxVal)
		}
	}
	return nil
}

// Samples is the number of samples, Width·Height·Channels.
func (im *Image) Samples() int { return im.Width * im.Height * im.Channels }

// At returns the sample of channel c of the pixel at column x, row y.
func (im *Image) At(x, y, c int) uint16 { return im.Pix[(y*im.Width+x)*im.Channels+c] }

// Set sets the sample of channel c of the pixel at column x, row y.
func (im *Image) Set(x, y, c int, v uint16) { im.Pix[(y*im.Width+x)*im.Channels+c] = v }

// Equal reports whether two images have the same shape, maximum and
// samples.
func (im *Image) Equal(o *Image) bool {
	if im.Width != o.Width || im.Height != o.Height || im.Channels != o.Channels || im.MaxVal != o.MaxVal || len(im.Pix) != len(o.Pix) {
		return false
	}
	for i, v := range im.Pix {
		if o.Pix[i] != v {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (im *Image) Clone() *Image {
	c := *im
	c.Pix = append([]uint16(nil), im.Pix...)
	return &c
}

// errTruncated reports data that ends early.
var errTruncated = errors.New("unexpected end of data")
