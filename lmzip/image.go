package lmzip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/lmzip/internal/imagecm"
)

// Images.
//
// An image file (PNG, or PGM/PPM) is not coded as bytes: its samples go
// through an image model (package imagecm) and what else a pixel-exact
// copy needs is stored as it is: the shape, the PNG colour type, bit depth
// and palette, and every ancillary chunk in its place (metadata, colour
// profile, transparency). Decompressing writes a file of the same format
// with the same pixels and chunks, not the same bytes: the PNG's image
// data is deflated anew (docs/COMPRESSION.md, "Images").

// Image levels.
const (
	ImageFast = 1 // the default: about 1 megapixel/s and more on one core
	ImageSlow = 2 // context mixing: smaller, several times slower
)

// codecBlocks, added to an image's codec byte, says that the image is
// made of fx × fy blocks of one pixel each (an enlarged image): the coded
// samples then start with u8 fx, u8 fy and code the image of the blocks.
const codecBlocks = 0x10

// codecColour, added to an image's codec byte, says that the samples are
// coded in a reversible colour space (imagecm.Transform): the coded
// samples then hold u8 transform (after the block factors, if any), plus
// colourPairs if the colour is coded in column pairs
// (imagecm.Image.ColumnPairs).
const (
	codecColour = 0x20
	colourPairs = 0x80
)

// imageLevel is the level an image's codec byte names, without its flags.
func imageLevel(codec byte) byte { return codec &^ (codecBlocks | codecColour | codecMeta) }

// ImageOptions configure CompressImage.
type ImageOptions struct {
	// Level is ImageFast (0 means it) or ImageSlow.
	Level int
}

// Image file formats inside the container.
const (
	imagePNG = 1
	imagePNM = 2
)

// limits of an image section, checked before allocating.
const (
	maxChunks     = 1 << 16
	maxChunkBytes = 1 << 30
)

// IsImage reports whether data starts like a file CompressImage takes: a
// PNG, or a PGM or PPM (P2, P3, P5, P6).
func IsImage(head []byte) bool {
	f := imagefile.Sniff(head)
	return f == imagefile.FormatPNG || f == imagefile.FormatPNM
}

// CompressImage compresses an image file's content, data, to dst in the
// container format (mode 3, media kind 1) and returns the bytes written. It fails on
// data that is not a readable PNG, PGM or PPM file (compress such data as
// bytes with Compress).
func CompressImage(ctx context.Context, dst io.Writer, data []byte, opts ImageOptions) (int64, error) {
	level := opts.Level
	if level == 0 {
		level = ImageFast
	}
	if level != ImageFast && level != ImageSlow {
		return 0, fmt.Errorf("lmzip: image level %d: want %d (fast) or %d (slow)", level, ImageFast, ImageSlow)
	}
	meta, im, err := imageParts(data)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var payload bytes.Buffer
	codec, coded := byte(level), im
	if fx, fy := imagecm.Blocks(im); fx*fy > 1 {
		codec |= codecBlocks
		payload.Write([]byte{byte(fx), byte(fy)})
		coded = imagecm.Shrink(im, fx, fy)
	}
	if t, pairs := imagecm.ChooseColour(coded); t != imagecm.NoTransform {
		codec |= codecColour
		coded = imagecm.Forward(coded, t)
		if pairs {
			coded.ColumnPairs = true
			t |= colourPairs
		}
		payload.WriteByte(byte(t))
	}
	if err := imagecm.Encode(&payload, coded, imagecm.Level(level)); err != nil {
		return 0, fmt.Errorf("lmzip: %w", err)
	}
	section, metaCoded := appendMeta(nil, meta)
	if metaCoded {
		codec |= codecMeta
	}
	h := header{mode: modeMedia, blockLog: defaultBlockLog, media: mediaImage, codec: codec}
	out := append(h.marshal(), section...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(meta, castagnoli))
	out = binary.AppendUvarint(out, uint64(payload.Len()))
	out = append(out, payload.Bytes()...)
	out = binary.LittleEndian.AppendUint32(out, samplesCRC(im.Pix))
	n, err := dst.Write(out)
	if err != nil {
		return int64(n), fmt.Errorf("lmzip: %w", err)
	}
	return int64(n), nil
}

// samplesCRC is the CRC-32C of the samples as little-endian 16-bit words.
func samplesCRC(pix []uint16) uint32 {
	var crc uint32
	var buf [4096]byte
	for len(pix) > 0 {
		k := min(len(pix), len(buf)/2)
		for i, v := range pix[:k] {
			binary.LittleEndian.PutUint16(buf[2*i:], v)
		}
		crc = crc32.Update(crc, castagnoli, buf[:2*k])
		pix = pix[k:]
	}
	return crc
}

// imageParts decodes an image file into its metadata section and the
// samples to code. A palette image's indices are coded in the order of
// their colours' luminance (luminanceOrder), which the decoder derives
// from the stored palette.
func imageParts(data []byte) ([]byte, *imagecm.Image, error) {
	var meta []byte
	var im *imagefile.Image
	switch imagefile.Sniff(data) {
	case imagefile.FormatPNG:
		p, err := imagefile.DecodePNG(data)
		if err != nil {
			return nil, nil, fmt.Errorf("lmzip: %w", err)
		}
		meta = append(meta, imagePNG)
		meta = appendShape(meta, &p.Image)
		interlaced := byte(0)
		if p.Interlaced {
			interlaced = 1
		}
		meta = append(meta, p.ColorType, p.BitDepth, interlaced)
		meta = binary.AppendUvarint(meta, uint64(len(p.Palette)))
		meta = append(meta, p.Palette...)
		meta = binary.AppendUvarint(meta, uint64(len(p.Chunks)))
		for _, c := range p.Chunks {
			meta = append(meta, c.Type...)
			meta = append(meta, byte(c.Place))
			meta = binary.AppendUvarint(meta, uint64(len(c.Data)))
			meta = append(meta, c.Data...)
		}
		im = &p.Image
		if p.ColorType == imagefile.ColorPalette {
			order := luminanceOrder(p.Palette, p.MaxVal)
			pix := make([]uint16, len(im.Pix))
			for i, v := range im.Pix {
				pix[i] = order[v]
			}
			im = &imagefile.Image{Width: im.Width, Height: im.Height, Channels: 1, MaxVal: im.MaxVal, Pix: pix}
		}
	case imagefile.FormatPNM:
		p, err := imagefile.DecodePNM(data)
		if err != nil {
			return nil, nil, fmt.Errorf("lmzip: %w", err)
		}
		meta = append(meta, imagePNM)
		meta = appendShape(meta, &p.Image)
		plain := byte(0)
		if p.Plain {
			plain = 1
		}
		meta = append(meta, plain)
		im = &p.Image
	default:
		return nil, nil, errors.New("lmzip: not a PNG, PGM or PPM file")
	}
	return meta, &imagecm.Image{Width: im.Width, Height: im.Height, Channels: im.Channels, MaxVal: im.MaxVal, Pix: im.Pix}, nil
}

func appendShape(b []byte, im *imagefile.Image) []byte {
	b = binary.AppendUvarint(b, uint64(im.Width))
	b = binary.AppendUvarint(b, uint64(im.Height))
	b = append(b, byte(im.Channels))
	return binary.AppendUvarint(b, uint64(im.MaxVal))
}

// luminanceOrder returns the rank of every palette index (0..maxVal) when
// the palette's colours are sorted by luminance (299R + 587G + 114B, ties
// by index), the indices past the palette after them: neighbouring ranks
// are similar colours, which the image model predicts far better than
// arbitrary indices.
func luminanceOrder(palette []byte, maxVal int) []uint16 {
	n := len(palette) / 3
	idx := make([]int, maxVal+1)
	for i := range idx {
		idx[i] = i
	}
	lum := func(i int) int {
		if i >= n {
			return 1 << 30 // past the palette: last, in index order
		}
		return 299*int(palette[3*i]) + 587*int(palette[3*i+1]) + 114*int(palette[3*i+2])
	}
	slices.SortStableFunc(idx, func(a, b int) int { return lum(a) - lum(b) })
	order := make([]uint16, maxVal+1)
	for r, i := range idx {
		order[i] = uint16(r)
	}
	return order
}

// imageFile is an image section read back: the file to write.
type imageFile struct {
	png *imagefile.PNG
	pnm *imagefile.PNM
	im  *imagefile.Image
}

// readImage reads an image section after the header and returns the
// decompressed file's bytes.
func readImage(ctx context.Context, c *countingReader, name string, codec byte) ([]byte, error) {
	off := c.off
	n, err := binary.ReadUvarint(c)
	if err != nil || n > maxChunkBytes {
		return nil, corrupt(name, off, "bad image metadata length")
	}
	var meta []byte
	if codec&codecMeta != 0 {
		if meta, err = readCodedMeta(c, n); err != nil {
			return nil, corrupt(name, off, "image metadata: %v", err)
		}
	}
	for uint64(len(meta)) < n {
		k := min(n-uint64(len(meta)), 1<<20)
		part := make([]byte, k)
		if err := c.full(part); err != nil {
			return nil, corrupt(name, c.off, "truncated image metadata")
		}
		meta = append(meta, part...)
	}
	var sum [4]byte
	if err := c.full(sum[:]); err != nil {
		return nil, corrupt(name, c.off, "truncated image metadata checksum")
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc32.Checksum(meta, castagnoli) {
		return nil, corrupt(name, c.off-4, "image metadata checksum mismatch")
	}
	f, err := parseImageMeta(meta)
	if err != nil {
		return nil, corrupt(name, off, "image metadata: %v", err)
	}
	off = c.off
	pn, err := binary.ReadUvarint(c)
	// The coded samples cannot be much longer than their raw size.
	if err != nil || pn > uint64(4*len(f.im.Pix))+1<<16 {
		return nil, corrupt(name, off, "bad image payload length")
	}
	payload := make([]byte, pn)
	if err := c.full(payload); err != nil {
		return nil, corrupt(name, c.off, "truncated image payload")
	}
	if err := c.full(sum[:]); err != nil {
		return nil, corrupt(name, c.off, "truncated image checksum")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cim := &imagecm.Image{Width: f.im.Width, Height: f.im.Height, Channels: f.im.Channels, MaxVal: f.im.MaxVal, Pix: f.im.Pix}
	if err := decodeSamples(payload, cim, codec); err != nil {
		return nil, corrupt(name, off, "%v", err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != samplesCRC(f.im.Pix) {
		return nil, corrupt(name, c.off-4, "image checksum mismatch")
	}
	var out bytes.Buffer
	switch {
	case f.png != nil:
		if f.png.ColorType == imagefile.ColorPalette {
			order := luminanceOrder(f.png.Palette, f.png.MaxVal)
			index := make([]uint16, len(order))
			for i, r := range order {
				index[r] = uint16(i)
			}
			for i, v := range f.im.Pix {
				f.im.Pix[i] = index[v]
			}
		}
		f.png.Image = *f.im
		err = f.png.Encode(&out, -1)
	default:
		f.pnm.Image = *f.im
		err = f.pnm.Encode(&out)
	}
	if err != nil {
		return nil, corrupt(name, off, "%v", err)
	}
	return out.Bytes(), nil
}

// decodeSamples decodes an image section's coded samples into im (its
// shape set), as codec says: the level, whether they code the image of
// im's pixel blocks, and in which colour space.
func decodeSamples(payload []byte, im *imagecm.Image, codec byte) error {
	level := imagecm.Level(imageLevel(codec))
	small := im
	if codec&codecBlocks != 0 {
		if len(payload) < 2 {
			return errors.New("truncated block factors")
		}
		fx, fy := int(payload[0]), int(payload[1])
		if fx < 1 || fy < 1 || fx > imagecm.MaxBlock || fy > imagecm.MaxBlock || fx*fy == 1 || im.Width%fx != 0 || im.Height%fy != 0 {
			return fmt.Errorf("block factors %d × %d for %d × %d pixels", fx, fy, im.Width, im.Height)
		}
		payload = payload[2:]
		small = &imagecm.Image{Width: im.Width / fx, Height: im.Height / fy, Channels: im.Channels, MaxVal: im.MaxVal}
		small.Pix = make([]uint16, small.Width*small.Height*small.Channels)
		defer imagecm.Enlarge(im, small, fx, fy)
	}
	if codec&codecColour == 0 {
		return imagecm.Decode(bytes.NewReader(payload), small, level)
	}
	if len(payload) < 1 {
		return errors.New("truncated colour transform")
	}
	t := imagecm.Transform(payload[0] &^ colourPairs)
	if t != imagecm.RCT || !imagecm.CanTransform(small) {
		return fmt.Errorf("colour transform %d for %d channels of maximum %d", t, small.Channels, small.MaxVal)
	}
	coded := &imagecm.Image{Width: small.Width, Height: small.Height, Channels: small.Channels, MaxVal: 2 * small.MaxVal,
		ColumnPairs: payload[0]&colourPairs != 0}
	coded.Pix = make([]uint16, len(small.Pix))
	if err := imagecm.Decode(bytes.NewReader(payload[1:]), coded, level); err != nil {
		return err
	}
	imagecm.Inverse(small, coded, t)
	return nil
}

// parseImageMeta reads a metadata section, checking every length and the
// shape before allocating the samples.
func parseImageMeta(meta []byte) (*imageFile, error) {
	r := bytes.NewReader(meta)
	u := func() (int, error) {
		v, err := binary.ReadUvarint(r)
		if err != nil || v > 1<<31 {
			return 0, errors.New("bad number")
		}
		return int(v), nil
	}
	format, err := r.ReadByte()
	if err != nil {
		return nil, errors.New("empty")
	}
	im := &imagefile.Image{}
	if im.Width, err = u(); err != nil {
		return nil, err
	}
	if im.Height, err = u(); err != nil {
		return nil, err
	}
	ch, err := r.ReadByte()
	if err != nil {
		return nil, errors.New("truncated")
	}
	im.Channels = int(ch)
	if im.MaxVal, err = u(); err != nil {
		return nil, err
	}
	shape, err := imagefile.NewImage(im.Width, im.Height, im.Channels, im.MaxVal)
	if err != nil {
		return nil, err
	}
	f := &imageFile{im: shape}
	switch format {
	case imagePNG:
		var b [3]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated")
		}
		p := &imagefile.PNG{ColorType: b[0], BitDepth: b[1], Interlaced: b[2] == 1}
		n, err := u()
		if err != nil || n > r.Len() {
			return nil, errors.New("bad palette length")
		}
		if n > 0 {
			p.Palette = make([]byte, n)
			io.ReadFull(r, p.Palette)
		}
		k, err := u()
		if err != nil || k > maxChunks || k > r.Len() {
			return nil, errors.New("bad chunk count")
		}
		for range k {
			var hdr [5]byte
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				return nil, errors.New("truncated chunk")
			}
			l, err := u()
			if err != nil || l > r.Len() {
				return nil, errors.New("bad chunk length")
			}
			data := make([]byte, l)
			io.ReadFull(r, data)
			p.Chunks = append(p.Chunks, imagefile.Chunk{Type: string(hdr[:4]), Place: imagefile.Place(hdr[4]), Data: data})
		}
		p.Image = *shape
		if err := p.Check(); err != nil {
			return nil, err
		}
		f.png = p
	case imagePNM:
		plain, err := r.ReadByte()
		if err != nil || plain > 1 {
			return nil, errors.New("bad plain flag")
		}
		f.pnm = &imagefile.PNM{Plain: plain == 1}
		if im.Channels != 1 && im.Channels != 3 {
			return nil, fmt.Errorf("a PGM or PPM of %d channels", im.Channels)
		}
	default:
		return nil, fmt.Errorf("unknown image format %d", format)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d stray bytes", r.Len())
	}
	return f, nil
}
