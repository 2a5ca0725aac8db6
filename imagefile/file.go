package imagefile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreg/autoreg/internal/atomicfile"
)

// Format names an image file format.
type Format string

// Formats this package reads.
const (
	FormatPNG Format = "png"
	FormatPNM Format = "pnm" // PGM or PPM
	FormatIDX Format = "idx" // IDX images, plain or gzip-compressed
)

// Sniff returns the format of a file from its first bytes (at least 4 are
// needed), or "" when it is none of them. gzip-compressed data is taken
// for IDX (the only format here that is distributed compressed).
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return FormatPNG
	case len(head) >= 3 && head[0] == 'P' && strings.IndexByte("2356", head[1]) >= 0 && isSpace(head[2]):
		return FormatPNM
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatIDX
	case len(head) >= 4 && binary.BigEndian.Uint32(head) == idxImages:
		return FormatIDX
	}
	return ""
}

// IsLabels reports whether the first bytes are those of an IDX label file
// (not compressed; see ReadLabels for compressed ones).
func IsLabels(head []byte) bool {
	return len(head) >= 4 && binary.BigEndian.Uint32(head) == idxLabels
}

// Decode decodes the images of a file's content: the one image of a PNG
// or PNM file, every image of an IDX file. A palette PNG gives its colours
// (RGB, or RGBA when a tRNS chunk makes some transparent; DecodePNG gives
// the indices and the palette).
func Decode(data []byte) ([]Image, Format, error) {
	f := Sniff(data)
	switch f {
	case FormatPNG:
		p, err := DecodePNG(data)
		if err != nil {
			return nil, f, err
		}
		return []Image{*p.Colors()}, f, nil
	case FormatPNM:
		p, err := DecodePNM(data)
		if err != nil {
			return nil, f, err
		}
		return []Image{p.Image}, f, nil
	case FormatIDX:
		ims, err := DecodeIDXImages(bytes.NewReader(data))
		return ims, f, err
	}
	return nil, "", errors.New("imagefile: not a PNG, PGM, PPM or IDX image file")
}

// ReadFile reads the images of a file (see Decode). Errors name the file.
// IDX files are streamed; the others are read whole.
func ReadFile(path string) ([]Image, Format, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("imagefile: %s: %w", path, unwrapPath(err))
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 1<<16)
	head, _ := br.Peek(8)
	f := Sniff(head)
	var ims []Image
	switch f {
	case FormatIDX:
		ims, err = DecodeIDXImages(br)
	case "":
		err = errors.New("not a PNG, PGM, PPM or IDX image file")
	default:
		var data []byte
		if data, err = io.ReadAll(br); err == nil {
			ims, _, err = Decode(data)
		}
	}
	if err != nil {
		return nil, f, named(path, err)
	}
	return ims, f, nil
}

// ReadLabels reads an IDX label file, gzip-compressed or not. Errors name
// the file.
func ReadLabels(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imagefile: %s: %w", path, unwrapPath(err))
	}
	defer fh.Close()
	lab, err := DecodeIDXLabels(fh)
	if err != nil {
		return nil, named(path, err)
	}
	return lab, nil
}

// WriteFile writes one image to path, atomically, in the format its
// extension names: .png (see NewPNG; other maxima are scaled to 8 or 16
// bits), .pgm or .ppm (raw P5 or P6; the channels must fit).
func WriteFile(path string, im *Image) error {
	var enc func(io.Writer) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		src := im
		if _, err := NewPNG(im); err != nil {
			to := 255
			if im.MaxVal > 255 {
				to = 65535
			}
			src = ScaleTo(im, to)
		}
		p, err := NewPNG(src)
		if err != nil {
			return err
		}
		enc = func(w io.Writer) error { return p.Encode(w, -1) }
	case ".pgm", ".ppm", ".pnm":
		p := &PNM{Image: *im}
		enc = p.Encode
	default:
		return fmt.Errorf("imagefile: %s: unknown image extension (want .png, .pgm or .ppm)", path)
	}
	w, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("imagefile: %w", err)
	}
	defer w.Abort()
	if err := enc(w); err != nil {
		return named(path, err)
	}
	return w.Commit()
}

// ScaleTo returns a copy of im with samples rescaled to 0..maxVal,
// rounding to nearest (for display: a 17-level image as 8-bit gray).
func ScaleTo(im *Image, maxVal int) *Image {
	out := &Image{Width: im.Width, Height: im.Height, Channels: im.Channels, MaxVal: maxVal, Pix: make([]uint16, len(im.Pix))}
	for i, v := range im.Pix {
		out.Pix[i] = uint16((int64(v)*int64(maxVal) + int64(im.MaxVal)/2) / int64(im.MaxVal))
	}
	return out
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// named returns err with the file's name after the package prefix:
// "imagefile: x.png: png: ...", unwrapping to err.
func named(path string, err error) error {
	return &namedError{msg: "imagefile: " + path + ": " + strings.TrimPrefix(err.Error(), "imagefile: "), err: err}
}

type namedError struct {
	msg string
	err error
}

func (e *namedError) Error() string { return e.msg }
func (e *namedError) Unwrap() error { return e.err }
