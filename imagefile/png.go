package imagefile

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// PNG colour types (the IHDR field).
const (
	ColorGray      = 0
	ColorRGB       = 2
	ColorPalette   = 3
	ColorGrayAlpha = 4
	ColorRGBA      = 6
)

// PNG is a decoded PNG file: its pixels and what else a pixel-exact round
// trip needs.
type PNG struct {
	// Image holds the samples: gray; gray, alpha; R, G, B; R, G, B,
	// alpha; or for a palette image the palette index of each pixel.
	// MaxVal is 2^BitDepth − 1.
	Image
	// ColorType is ColorGray, ColorRGB, ColorPalette, ColorGrayAlpha or
	// ColorRGBA.
	ColorType uint8
	// BitDepth is 1, 2, 4, 8 or 16 bits per sample (index), as the
	// colour type allows.
	BitDepth uint8
	// Interlaced records that the file was Adam7-interlaced; Encode
	// writes every image non-interlaced (the pixels are the same).
	Interlaced bool
	// Palette is the PLTE chunk's payload (RGB triples), nil if there is
	// none. A palette image needs one; an RGB or RGBA image may carry a
	// suggested palette.
	Palette []byte
	// Chunks are the ancillary chunks (every chunk but IHDR, PLTE, IDAT
	// and IEND), in file order.
	Chunks []Chunk
}

// Chunk is one ancillary PNG chunk, kept verbatim.
type Chunk struct {
	Type  string // four ASCII letters, such as "tEXt", "iCCP", "tRNS"
	Data  []byte
	Place Place
}

// Place says where in the file an ancillary chunk sits, relative to the
// critical chunks (the specification fixes this for many chunk types:
// iCCP before PLTE, tRNS after it, both before IDAT).
type Place uint8

// Places of ancillary chunks.
const (
	BeforePLTE Place = iota // after IHDR, before PLTE (without PLTE: every chunk before IDAT)
	BeforeIDAT              // after PLTE, before IDAT
	AfterIDAT               // after the image data, before IEND
)

// channelsOf returns the samples per pixel of a colour type, 0 if invalid.
func channelsOf(colorType uint8) int {
	switch colorType {
	case ColorGray, ColorPalette:
		return 1
	case ColorGrayAlpha:
		return 2
	case ColorRGB:
		return 3
	case ColorRGBA:
		return 4
	}
	return 0
}

// validDepth reports whether the PNG specification allows depth for the
// colour type.
func validDepth(colorType, depth uint8) bool {
	switch colorType {
	case ColorGray:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case ColorPalette:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case ColorRGB, ColorGrayAlpha, ColorRGBA:
		return depth == 8 || depth == 16
	}
	return false
}

// deflateRatio bounds how much deflate can expand its input: a stream of
// maximal back-references codes 258 bytes in about 2 bits, a ratio just
// under 1032. Image data that would need more is refused unread.
const deflateRatio = 1032

// DecodePNG decodes a whole PNG file. The chunk structure and every CRC
// are checked, unknown critical chunks are refused, and a declared size
// that the file's compressed image data cannot reach is refused before
// the pixels are allocated.
func DecodePNG(data []byte) (*PNG, error) {
	p, err := decodePNG(data)
	if err != nil {
		return nil, fmt.Errorf("imagefile: png: %w", err)
	}
	return p, nil
}

func decodePNG(data []byte) (*PNG, error) {
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return nil, errors.New("not a PNG file (bad signature)")
	}
	p := &PNG{}
	off := len(pngSignature)
	var idat int64
	place := BeforePLTE
	seenIHDR, seenIEND := false, false
	prev := "" // the previous chunk's type
	for !seenIEND {
		if len(data)-off < 12 {
			return nil, fmt.Errorf("at byte %d: %w (no IEND chunk)", off, errTruncated)
		}
		n := binary.BigEndian.Uint32(data[off:])
		typ := data[off+4 : off+8]
		if n > 1<<31-1 || int64(n) > int64(len(data)-off-12) {
			return nil, fmt.Errorf("at byte %d: chunk %q of %d bytes runs past the end of the file", off, typ, n)
		}
		for _, c := range typ {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, fmt.Errorf("at byte %d: bad chunk type %q", off+4, typ)
			}
		}
		body := data[off+8 : off+8+int(n)]
		if crc := binary.BigEndian.Uint32(data[off+8+int(n):]); crc != crc32.ChecksumIEEE(data[off+4:off+8+int(n)]) {
			return nil, fmt.Errorf("at byte %d: chunk %q: CRC mismatch", off, typ)
		}
		name := string(typ)
		if !seenIHDR && name != "IHDR" {
			return nil, fmt.Errorf("at byte %d: first chunk is %q, not IHDR", off, name)
		}
		switch name {
		case "IHDR":
			if seenIHDR {
				return nil, fmt.Errorf("at byte %d: second IHDR", off)
			}
			if err := p.parseIHDR(body); err != nil {
				return nil, err
			}
			seenIHDR = true
		case "PLTE":
			if place != BeforePLTE || p.Palette != nil {
				return nil, fmt.Errorf("at byte %d: PLTE out of order", off)
			}
			if len(body) == 0 || len(body)%3 != 0 || len(body) > 3*256 {
				return nil, fmt.Errorf("at byte %d: PLTE of %d bytes", off, len(body))
			}
			if p.ColorType == ColorGray || p.ColorType == ColorGrayAlpha {
				return nil, fmt.Errorf("at byte %d: PLTE in a gray image", off)
			}
			p.Palette = append([]byte(nil), body...)
			place = BeforeIDAT
		case "IDAT":
			if idat > 0 && prev != "IDAT" {
				return nil, fmt.Errorf("at byte %d: IDAT chunks not consecutive", off)
			}
			if p.ColorType == ColorPalette && p.Palette == nil {
				return nil, fmt.Errorf("at byte %d: palette image without PLTE", off)
			}
			idat += int64(n)
			place = AfterIDAT
		case "IEND":
			if idat == 0 {
				return nil, fmt.Errorf("at byte %d: no image data (IDAT) before IEND", off)
			}
			seenIEND = true
		default:
			if typ[0]&0x20 == 0 {
				return nil, fmt.Errorf("at byte %d: unknown critical chunk %q", off, name)
			}
			p.Chunks = append(p.Chunks, Chunk{Type: name, Data: append([]byte(nil), body...), Place: place})
		}
		off += 12 + int(n)
		prev = name
	}
	// The decoding-bomb check: the filtered rows the header declares
	// against what the image data can inflate to.
	raw := p.rawSize()
	if raw > deflateRatio*idat+1024 {
		return nil, fmt.Errorf("declares %d × %d pixels (%d bytes of rows) but holds only %d bytes of compressed image data", p.Width, p.Height, raw, idat)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	p.Pix = make([]uint16, p.Samples())
	if err := p.fromGo(img); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PNG) parseIHDR(b []byte) error {
	if len(b) != 13 {
		return fmt.Errorf("IHDR of %d bytes", len(b))
	}
	w, h := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	p.BitDepth, p.ColorType = b[8], b[9]
	if b[10] != 0 || b[11] != 0 || b[12] > 1 {
		return fmt.Errorf("unknown compression, filter or interlace method (%d, %d, %d)", b[10], b[11], b[12])
	}
	p.Interlaced = b[12] == 1
	if !validDepth(p.ColorType, p.BitDepth) {
		return fmt.Errorf("colour type %d with bit depth %d", p.ColorType, p.BitDepth)
	}
	if w > MaxSide || h > MaxSide {
		return fmt.Errorf("%d × %d pixels: want 1 to %d on each side", w, h, MaxSide)
	}
	p.Width, p.Height, p.Channels = int(w), int(h), channelsOf(p.ColorType)
	p.MaxVal = 1<<p.BitDepth - 1
	return checkShape(p.Width, p.Height, p.Channels, p.MaxVal)
}

// rowBytes is the length of one unfiltered row.
func (p *PNG) rowBytes() int64 {
	return (int64(p.Width)*int64(p.Channels)*int64(p.BitDepth) + 7) / 8
}

// rawSize is the length of the filtered, uncompressed image data of a
// non-interlaced image (an interlaced one needs a little more).
func (p *PNG) rawSize() int64 { return int64(p.Height) * (1 + p.rowBytes()) }

// fromGo copies the samples out of the image image/png decoded; which Go
// type it chose depends on the colour type, the depth and a tRNS chunk.
func (p *PNG) fromGo(img image.Image) error {
	W, H := p.Width, p.Height
	// Go scales gray samples of depth below 8 to 8 bits.
	scale := uint16(1)
	if p.ColorType == ColorGray && p.BitDepth < 8 {
		scale = 255 / uint16(p.MaxVal)
	}
	bad := func() error { return fmt.Errorf("decoded as %T, unexpected for colour type %d", img, p.ColorType) }
	switch g := img.(type) {
	case *image.Paletted:
		if p.ColorType != ColorPalette {
			return bad()
		}
		for y := range H {
			for x, v := range g.Pix[y*g.Stride : y*g.Stride+W] {
				p.Pix[y*W+x] = uint16(v)
			}
		}
	case *image.Gray:
		if p.ColorType != ColorGray {
			return bad()
		}
		for y := range H {
			for x, v := range g.Pix[y*g.Stride : y*g.Stride+W] {
				p.Pix[y*W+x] = uint16(v) / scale
			}
		}
	case *image.Gray16:
		if p.ColorType != ColorGray {
			return bad()
		}
		for y := range H {
			row := g.Pix[y*g.Stride:]
			for x := range W {
				p.Pix[y*W+x] = uint16(row[2*x])<<8 | uint16(row[2*x+1])
			}
		}
	case *image.RGBA:
		return p.fromRGBA(g.Pix, g.Stride, 1, scale, bad)
	case *image.NRGBA:
		return p.fromRGBA(g.Pix, g.Stride, 1, scale, bad)
	case *image.RGBA64:
		return p.fromRGBA(g.Pix, g.Stride, 2, 1, bad)
	case *image.NRGBA64:
		return p.fromRGBA(g.Pix, g.Stride, 2, 1, bad)
	default:
		return bad()
	}
	return nil
}

// Colors returns the image's samples, with a palette image's indices
// replaced by their colours: 8-bit RGB, or RGBA when a tRNS chunk gives
// palette entries an alpha (entries past the palette are opaque black, as
// libpng and image/png read them). Other images are returned as they are.
func (p *PNG) Colors() *Image {
	if p.ColorType != ColorPalette {
		return &p.Image
	}
	var alpha []byte
	for _, c := range p.Chunks {
		if c.Type == "tRNS" {
			alpha = c.Data
		}
	}
	C := 3
	if alpha != nil {
		C = 4
	}
	out := &Image{Width: p.Width, Height: p.Height, Channels: C, MaxVal: 255, Pix: make([]uint16, p.Width*p.Height*C)}
	for i, v := range p.Pix {
		px := out.Pix[i*C : (i+1)*C]
		if 3*int(v)+2 < len(p.Palette) {
			px[0], px[1], px[2] = uint16(p.Palette[3*v]), uint16(p.Palette[3*v+1]), uint16(p.Palette[3*v+2])
		}
		if C == 4 {
			px[3] = 255
			if int(v) < len(alpha) {
				px[3] = uint16(alpha[v])
			}
		}
	}
	return out
}

// fromRGBA copies the samples out of the pixels of an (N)RGBA image with
// size bytes (1 or 2, big-endian) per component.
func (p *PNG) fromRGBA(pix []byte, stride, size int, scale uint16, bad func() error) error {
	src := channelPicks(p.ColorType)
	if src == nil || (size == 2) != (p.BitDepth == 16) {
		return bad()
	}
	W, C := p.Width, p.Channels
	for y := range p.Height {
		row := pix[y*stride:]
		for x := range W {
			for c, k := range src {
				v := uint16(row[4*size*x+size*k])
				if size == 2 {
					v = v<<8 | uint16(row[8*x+2*k+1])
				}
				p.Pix[(y*W+x)*C+c] = v / scale
			}
		}
	}
	return nil
}

// channelPicks maps the samples of a colour type to the components of an
// RGBA pixel: gray is R (= G = B), gray+alpha R and A.
func channelPicks(colorType uint8) []int {
	switch colorType {
	case ColorGray:
		return []int{0}
	case ColorGrayAlpha:
		return []int{0, 3}
	case ColorRGB:
		return []int{0, 1, 2}
	case ColorRGBA:
		return []int{0, 1, 2, 3}
	}
	return nil
}

// NewPNG describes an image as a PNG: the colour type follows from the
// channels (gray, gray+alpha, RGB, RGBA) and the bit depth from MaxVal,
// which must be 2^d − 1 for d in 1, 2, 4 (gray only), 8 or 16. Use
// [ScaleTo] first for other maxima.
func NewPNG(im *Image) (*PNG, error) {
	p := &PNG{Image: *im}
	p.ColorType = [...]uint8{ColorGray, ColorGrayAlpha, ColorRGB, ColorRGBA}[min(max(im.Channels, 1), 4)-1]
	switch im.MaxVal {
	case 1, 3, 15, 255, 65535:
		for d := uint8(1); d <= 16; d *= 2 {
			if 1<<d-1 == im.MaxVal {
				p.BitDepth = d
			}
		}
	}
	if !validDepth(p.ColorType, p.BitDepth) {
		return nil, fmt.Errorf("imagefile: png: a %d-channel image with maximum %d has no PNG bit depth (scale it to 255 or 65535)", im.Channels, im.MaxVal)
	}
	return p, nil
}

// Check reports a PNG whose fields disagree.
func (p *PNG) Check() error {
	if err := p.Image.Check(); err != nil {
		return err
	}
	if !validDepth(p.ColorType, p.BitDepth) || channelsOf(p.ColorType) != p.Channels || p.MaxVal != 1<<p.BitDepth-1 {
		return fmt.Errorf("imagefile: png: colour type %d, depth %d, %d channels, maximum %d do not agree", p.ColorType, p.BitDepth, p.Channels, p.MaxVal)
	}
	if p.ColorType == ColorPalette && p.Palette == nil {
		return errors.New("imagefile: png: a palette image needs a palette")
	}
	if len(p.Palette)%3 != 0 || len(p.Palette) > 3*256 {
		return fmt.Errorf("imagefile: png: palette of %d bytes", len(p.Palette))
	}
	for _, c := range p.Chunks {
		if len(c.Type) != 4 || c.Type[0]&0x20 == 0 {
			return fmt.Errorf("imagefile: png: %q is not an ancillary chunk type", c.Type)
		}
		if c.Place > AfterIDAT {
			return fmt.Errorf("imagefile: png: chunk %q has no place", c.Type)
		}
	}
	return nil
}

// Encode writes p as a PNG file, non-interlaced, its ancillary chunks in
// their places and order. Each row gets the filter with the smallest sum
// of absolute filtered bytes (the usual heuristic; none for palette and
// sub-byte images), and the rows are deflated at zlib level (-1 for the
// default, 9 for the smallest).
func (p *PNG) Encode(w io.Writer, level int) error {
	if err := p.Check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(pngSignature)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[:], uint32(p.Width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(p.Height))
	ihdr[8], ihdr[9] = p.BitDepth, p.ColorType
	writeChunk(bw, "IHDR", ihdr[:])
	chunks := func(pl Place) {
		for _, c := range p.Chunks {
			if c.Place == pl {
				writeChunk(bw, c.Type, c.Data)
			}
		}
	}
	chunks(BeforePLTE)
	if p.Palette != nil {
		writeChunk(bw, "PLTE", p.Palette)
	}
	chunks(BeforeIDAT)
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, level)
	if err != nil {
		return fmt.Errorf("imagefile: png: %w", err)
	}
	if err := p.writeRows(zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	for b := z.Bytes(); len(b) > 0; {
		n := min(len(b), 1<<20)
		writeChunk(bw, "IDAT", b[:n])
		b = b[n:]
	}
	chunks(AfterIDAT)
	writeChunk(bw, "IEND", nil)
	return bw.Flush()
}

func writeChunk(w *bufio.Writer, typ string, data []byte) {
	var h [8]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(data)))
	copy(h[4:], typ)
	w.Write(h[:])
	w.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(h[4:])
	crc.Write(data)
	binary.BigEndian.PutUint32(h[:4], crc.Sum32())
	w.Write(h[:4])
}

// writeRows writes the filtered rows.
func (p *PNG) writeRows(w io.Writer) error {
	n := int(p.rowBytes())
	bpp := max(1, p.Channels*int(p.BitDepth)/8) // bytes per pixel for filtering
	prev, cur := make([]byte, n), make([]byte, n)
	var cand [5][]byte
	for f := range cand {
		cand[f] = make([]byte, n+1)
		cand[f][0] = byte(f)
	}
	for y := range p.Height {
		p.packRow(cur, y)
		best := 0
		if p.ColorType != ColorPalette && p.BitDepth >= 8 {
			bestSum := -1
			for f := range 5 {
				s := filterRow(cand[f][1:], cur, prev, bpp, f)
				if bestSum < 0 || s < bestSum {
					best, bestSum = f, s
				}
			}
		} else {
			copy(cand[0][1:], cur)
		}
		if _, err := w.Write(cand[best]); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	return nil
}

// packRow writes row y's samples as PNG bytes: big-endian pairs at depth
// 16, bytes at 8, packed most significant bits first below.
func (p *PNG) packRow(dst []byte, y int) {
	s := p.Pix[y*p.Width*p.Channels : (y+1)*p.Width*p.Channels]
	switch d := int(p.BitDepth); d {
	case 16:
		for i, v := range s {
			dst[2*i], dst[2*i+1] = byte(v>>8), byte(v)
		}
	case 8:
		for i, v := range s {
			dst[i] = byte(v)
		}
	default:
		clear(dst)
		for i, v := range s {
			bit := i * d
			dst[bit/8] |= byte(v) << (8 - d - bit%8)
		}
	}
}

// filterRow applies PNG filter f (0 none, 1 sub, 2 up, 3 average, 4 Paeth)
// and returns the sum of the filtered bytes read as signed values.
func filterRow(dst, cur, prev []byte, bpp, f int) int {
	sum := 0
	for i, c := range cur {
		var a, b, cc byte
		if i >= bpp {
			a, cc = cur[i-bpp], prev[i-bpp]
		}
		b = prev[i]
		var v byte
		switch f {
		case 0:
			v = c
		case 1:
			v = c - a
		case 2:
			v = c - b
		case 3:
			v = c - byte((int(a)+int(b))/2)
		case 4:
			v = c - paeth(a, b, cc)
		}
		dst[i] = v
		sum += min(int(v), 256-int(v))
	}
	return sum
}

// paeth is the Paeth predictor of the PNG specification.
func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
