package tokenize

import (
	"fmt"
	"strconv"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/imagefile"
)

// KindPixels names the pixel tokenizer.
const KindPixels = "pixels"

// MaxLevels bounds the intensity levels of the pixel tokenizer: one byte
// per sample in its text form.
const MaxLevels = 256

// Shape is the size of the images a pixel tokenizer reads: Height rows of
// Width pixels of Channels samples (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
type Shape struct {
	Height   int `json:"height"`
	Width    int `json:"width"`
	Channels int `json:"channels"`
}

// Samples is Height·Width·Channels: the tokens of one image.
func (s Shape) Samples() int { return s.Height * s.Width * s.Channels }

// String is "HxWxC", e.g. "28x28x1".
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.Height, s.Width, s.Channels) }

// Pos returns the row, column and channel of sample i of an image in
// raster order (rows top to bottom, pixels left to right, a pixel's
// channels one after another).
func (s Shape) Pos(i int) (row, col, ch int) {
	pix := i / s.Channels
	return pix / s.Width, pix % s.Width, i % s.Channels
}

// Pixels is the pixel tokenizer: each sample of an image is one token, its
// intensity quantized to one of Levels levels, read in raster order with a
// pixel's channels one after another (R, then G, then B), so that a model
// predicts R given the past, G given R, B given R and G: the chain rule.
// The image shape is part of the tokenizer, so the model file records it
// and sampling can write images.
//
// Quantization uses uniform bins: a sample v of an image whose maximum is
// M becomes level ⌊v·K/(M+1)⌋ for K levels (the identity when M+1 = K; for
// K = 2 and 8-bit images, v ≥ 128). A level k reads back as sample k of an
// image whose maximum is K−1 ([Pixels.Image]).
//
// Its text form is one byte per sample, an 8-bit intensity: the encoder
// quantizes each byte as a sample of maximum 255, and AppendText writes the
// middle of a level's bin, so a raw 8-bit raster (a PGM's or PPM's samples)
// is text to it and decoding then encoding gives the same levels.
type Pixels struct {
	levels   int
	shape    Shape
	controls []string
}

// NewPixels returns a pixel tokenizer of the given levels (2 to 256) and
// image shape.
func NewPixels(levels int, shape Shape) (*Pixels, error) {
	if levels < 2 || levels > MaxLevels {
		return nil, fmt.Errorf("tokenize: %d levels: want 2 to %d", levels, MaxLevels)
	}
	if shape.Height < 1 || shape.Width < 1 || shape.Channels < 1 || shape.Channels > 4 ||
		shape.Height > imagefile.MaxSide || shape.Width > imagefile.MaxSide || int64(shape.Height)*int64(shape.Width)*int64(shape.Channels) > imagefile.MaxSamples {
		return nil, fmt.Errorf("tokenize: image shape %s out of range", shape)
	}
	return &Pixels{levels: levels, shape: shape}, nil
}

// Kind returns KindPixels.
func (*Pixels) Kind() string { return KindPixels }

// Vocab has one ordinary token per level.
func (p *Pixels) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: p.levels, Controls: p.controls} }

// Levels is the number of intensity levels K.
func (p *Pixels) Levels() int { return p.levels }

// Shape is the shape of the images.
func (p *Pixels) Shape() Shape { return p.shape }

// Level quantizes a sample v of an image of maximum maxVal.
func (p *Pixels) Level(v, maxVal int) autoreg.Token {
	return autoreg.Token(int64(v) * int64(p.levels) / int64(maxVal+1))
}

// AppendImage appends the tokens of im, quantized, in raster order. The
// image must have the tokenizer's shape.
func (p *Pixels) AppendImage(dst []autoreg.Token, im *imagefile.Image) ([]autoreg.Token, error) {
	if s := (Shape{im.Height, im.Width, im.Channels}); s != p.shape {
		return dst, fmt.Errorf("tokenize: a %s image, the tokenizer reads %s", s, p.shape)
	}
	for _, v := range im.Pix {
		dst = append(dst, p.Level(int(v), im.MaxVal))
	}
	return dst, nil
}

// Image returns the image whose samples are the levels of ids (raster
// order, maximum Levels−1). Fewer ids than the shape holds leave the rest
// of the image 0; specials are 0 too; ids past the image are ignored.
func (p *Pixels) Image(ids []autoreg.Token) *imagefile.Image {
	im := &imagefile.Image{Width: p.shape.Width, Height: p.shape.Height, Channels: p.shape.Channels,
		MaxVal: p.levels - 1, Pix: make([]uint16, p.shape.Samples())}
	for i, t := range ids[:min(len(ids), len(im.Pix))] {
		if t >= 0 && int(t) < p.levels {
			im.Pix[i] = uint16(t)
		}
	}
	return im
}

// NewEncoder returns an encoder of 8-bit samples, one token per byte.
func (p *Pixels) NewEncoder() Encoder { return &pixelEncoder{p: p} }

// AppendText appends the 8-bit sample at the middle of a level's bin,
// ⌊(k+½)·256/K⌋, one byte (the identity for 256 levels), so that encoding
// the text gives the levels back; specials append nothing.
func (p *Pixels) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && int(t) < p.levels {
		dst = append(dst, byte((2*int(t)+1)*256/(2*p.levels)))
	}
	return dst
}

// Word returns the level in decimal ("0" … "255").
func (p *Pixels) Word(t autoreg.Token) string {
	if w, ok := specialWord(p.Vocab(), t); ok {
		return w
	}
	if t < 0 || int(t) >= p.levels {
		return ""
	}
	return strconv.Itoa(int(t))
}

// Lookup inverts Word.
func (p *Pixels) Lookup(word string) (autoreg.Token, bool) {
	if t, ok := lookupSpecial(p.Vocab(), word); ok {
		return t, true
	}
	n, err := strconv.Atoi(word)
	if err != nil || n < 0 || n >= p.levels || strconv.Itoa(n) != word {
		return 0, false
	}
	return autoreg.Token(n), true
}

type pixelEncoder struct{ p *Pixels }

func (e *pixelEncoder) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	for _, c := range text {
		dst = append(dst, e.p.Level(int(c), 255))
	}
	return dst, nil
}

func (*pixelEncoder) Flush(dst []autoreg.Token) ([]autoreg.Token, error) { return dst, nil }
func (*pixelEncoder) Unknown() int64                                     { return 0 }
