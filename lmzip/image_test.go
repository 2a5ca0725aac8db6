package lmzip

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/imagefile"
)

// photo returns an image with the structure of a photograph (smooth
// regions, edges, noise), drawn with integer arithmetic from seed so that
// it is the same on every platform.
func photo(w, h, c, maxVal int, seed uint64) *imagefile.Image {
	rng := rand.New(rand.NewPCG(seed, 7))
	im, _ := imagefile.NewImage(w, h, c, maxVal)
	for y := range h {
		for x := range w {
			for ch := range c {
				v := (x*37 + y*23 + ch*50) % (2 * (maxVal + 1))
				if v > maxVal {
					v = 2*maxVal + 1 - v
				}
				if (x/7+y/5)%3 == 0 {
					v = maxVal - v
				}
				v += rng.IntN(5) - 2
				im.Set(x, y, ch, uint16(min(max(v, 0), maxVal)))
			}
		}
	}
	return im
}

// colourPhoto returns a colour image whose channels share one brightness
// (photo's) and differ by colour differences that vary over the image,
// with noise of their own: an image the coder codes in the colour space
// of brightness and differences.
func colourPhoto(w, h int, seed uint64) *imagefile.Image {
	base := photo(w, h, 1, 255, seed)
	rng := rand.New(rand.NewPCG(seed, 8))
	im, _ := imagefile.NewImage(w, h, 3, 255)
	for i, v := range base.Pix {
		x, y := i%w, i/w
		d := (x*x + 2*y*y) % 97 / 4
		for c, off := range []int{10 + d, 0, -12 - d} {
			im.Pix[3*i+c] = uint16(min(max(int(v)+off+rng.IntN(5)-2, 0), 255))
		}
	}
	return im
}

// halfColour is colourPhoto with its colour stored at half the
// horizontal resolution (a JPEG's 4:2:2 chroma): the colour differences
// change only between pairs of columns.
func halfColour(w, h int, seed uint64) *imagefile.Image {
	base := photo(w, h, 1, 255, seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	im, _ := imagefile.NewImage(w, h, 3, 255)
	var dr, db int
	for i, v := range base.Pix {
		if i%w%2 == 0 {
			dr, db = rng.IntN(9)-4, rng.IntN(9)-4
		}
		for c, off := range []int{10 + dr, 0, -12 + db} {
			im.Pix[3*i+c] = uint16(min(max(int(v)+off, 0), 255))
		}
	}
	return im
}

func pngBytes(t testing.TB, p *imagefile.PNG) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Encode(&buf, -1); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compressImage(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := CompressImage(context.Background(), &buf, data, ImageOptions{Level: level}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decompressBytes(t testing.TB, comp []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Decompress(context.Background(), &out, bytes.NewReader(comp), ReaderOptions{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Every PNG colour type and depth comes back with the same pixels,
// palette and ancillary chunks, at both levels.
func TestImagePNGRoundTrip(t *testing.T) {
	chunks := []imagefile.Chunk{
		{Type: "iCCP", Data: []byte("profile\x00\x00compressed"), Place: imagefile.BeforePLTE},
		{Type: "tEXt", Data: []byte("Author\x00a test"), Place: imagefile.AfterIDAT},
	}
	for _, level := range []int{ImageFast, ImageSlow} {
		for _, c := range []struct{ ct, depth uint8 }{
			{imagefile.ColorGray, 1}, {imagefile.ColorGray, 4}, {imagefile.ColorGray, 8}, {imagefile.ColorGray, 16},
			{imagefile.ColorRGB, 8}, {imagefile.ColorRGB, 16}, {imagefile.ColorGrayAlpha, 8},
			{imagefile.ColorRGBA, 8}, {imagefile.ColorRGBA, 16}, {imagefile.ColorPalette, 2}, {imagefile.ColorPalette, 8},
		} {
			ch := map[uint8]int{imagefile.ColorGray: 1, imagefile.ColorRGB: 3, imagefile.ColorGrayAlpha: 2, imagefile.ColorRGBA: 4, imagefile.ColorPalette: 1}[c.ct]
			p := &imagefile.PNG{Image: *photo(23, 17, ch, 1<<c.depth-1, uint64(c.ct)), ColorType: c.ct, BitDepth: c.depth, Chunks: chunks}
			if c.ct == imagefile.ColorPalette {
				p.Palette = make([]byte, 3<<c.depth)
				for i := range p.Palette {
					p.Palette[i] = byte(i * 97)
				}
			}
			back, err := imagefile.DecodePNG(decompressBytes(t, compressImage(t, pngBytes(t, p), level)))
			if err != nil {
				t.Fatal(err)
			}
			if !back.Image.Equal(&p.Image) || back.ColorType != c.ct || back.BitDepth != c.depth || !bytes.Equal(back.Palette, p.Palette) {
				t.Fatalf("level %d, colour type %d depth %d: the image changed", level, c.ct, c.depth)
			}
			if len(back.Chunks) != 2 || back.Chunks[0].Type != "iCCP" || !bytes.Equal(back.Chunks[1].Data, chunks[1].Data) || back.Chunks[1].Place != imagefile.AfterIDAT {
				t.Fatalf("level %d, colour type %d: chunks %+v", level, c.ct, back.Chunks)
			}
		}
	}
}

// enlarged returns im with every pixel repeated in fx × fy blocks.
func enlarged(im *imagefile.Image, fx, fy int) *imagefile.Image {
	big, _ := imagefile.NewImage(im.Width*fx, im.Height*fy, im.Channels, im.MaxVal)
	for y := range big.Height {
		for x := range big.Width {
			for c := range im.Channels {
				big.Set(x, y, c, im.At(x/fx, y/fy, c))
			}
		}
	}
	return big
}

// An enlarged image is coded as the image of its pixel blocks: it comes
// back the same, at about the cost of the small image.
func TestImageBlocksRoundTrip(t *testing.T) {
	for _, level := range []int{ImageFast, ImageSlow} {
		for _, c := range []struct{ ch, fx, fy int }{{1, 2, 2}, {3, 3, 1}, {4, 1, 2}} {
			small := photo(21, 13, c.ch, 255, 9)
			p, _ := imagefile.NewPNG(enlarged(small, c.fx, c.fy))
			comp := compressImage(t, pngBytes(t, p), level)
			back, err := imagefile.DecodePNG(decompressBytes(t, comp))
			if err != nil || !back.Image.Equal(&p.Image) {
				t.Fatalf("level %d, %+v: the image changed (%v)", level, c, err)
			}
			ps, _ := imagefile.NewPNG(small)
			if n, ns := len(comp), len(compressImage(t, pngBytes(t, ps), level)); n > ns+8 {
				t.Fatalf("level %d, %+v: %d bytes, the small image %d", level, c, n, ns)
			}
		}
	}
}

// A colour photograph is coded in the colour transform's space, alone and
// with pixel blocks, with and without alpha, its colour in column pairs
// when it has half the horizontal resolution; it comes back the same.
func TestImageColourRoundTrip(t *testing.T) {
	rgb := colourPhoto(37, 29, 3)
	rgba, _ := imagefile.NewImage(37, 29, 4, 255)
	for i := range 37 * 29 {
		copy(rgba.Pix[4*i:4*i+3], rgb.Pix[3*i:3*i+3])
		rgba.Pix[4*i+3] = uint16(255 - i%7)
	}
	for _, level := range []int{ImageFast, ImageSlow} {
		for _, im := range []*imagefile.Image{rgb, rgba, enlarged(rgb, 2, 1), halfColour(37, 29, 4)} {
			p, _ := imagefile.NewPNG(im)
			comp := compressImage(t, pngBytes(t, p), level)
			h := len((&header{mode: modeMedia, blockLog: defaultBlockLog, media: mediaImage, codec: byte(level)}).marshal())
			if comp[h-5]&codecColour == 0 {
				t.Errorf("level %d, %d × %d × %d: codec %#x, not coded with the colour transform", level, im.Width, im.Height, im.Channels, comp[h-5])
			}
			if pairs := colourByte(comp, h)&colourPairs != 0; pairs != (im.Width == 37 && im.Channels == 3 && im != rgb) {
				t.Errorf("level %d, %d × %d × %d: column pairs %v", level, im.Width, im.Height, im.Channels, pairs)
			}
			back, err := imagefile.DecodePNG(decompressBytes(t, comp))
			if err != nil || !back.Image.Equal(&p.Image) {
				t.Fatalf("level %d, %d channels: the image changed (%v)", level, im.Channels, err)
			}
		}
	}
}

// xmpPacket is an XMP packet like those photographs carry: XML with
// padding.
func xmpPacket() []byte {
	var b bytes.Buffer
	b.WriteString("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF>\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  <rdf:Description rdf:about=\"\" xmlns:tiff=\"http://ns.adobe.com/tiff/1.0/\">\n   <tiff:Tag%d>%d</tiff:Tag%d>\n  </rdf:Description>\n", i, i*i*37%1000, i)
	}
	b.WriteString(" </rdf:RDF>\n</x:xmpmeta>\n")
	b.WriteString(strings.Repeat(" ", 1000))
	return b.Bytes()
}

// Metadata is deflated when that is smaller (an XMP packet always), and
// comes back the same.
func TestImageMetaCoded(t *testing.T) {
	for _, level := range []int{ImageFast, ImageSlow} {
		for _, big := range []bool{false, true} {
			chunks := []imagefile.Chunk{{Type: "tEXt", Data: []byte("Author\x00a test"), Place: imagefile.AfterIDAT}}
			if big {
				chunks = append([]imagefile.Chunk{{Type: "iTXt", Data: xmpPacket(), Place: imagefile.BeforePLTE}}, chunks...)
			}
			p := &imagefile.PNG{Image: *photo(9, 7, 3, 255, 5), ColorType: imagefile.ColorRGB, BitDepth: 8, Chunks: chunks}
			comp := compressImage(t, pngBytes(t, p), level)
			h := len((&header{mode: modeMedia, blockLog: defaultBlockLog, media: mediaImage, codec: byte(level)}).marshal())
			if big && comp[h-5]&codecMeta == 0 {
				t.Errorf("level %d: the XMP packet is stored", level)
			}
			if big && len(comp) > len(xmpPacket())/2 {
				t.Errorf("level %d: %d bytes with %d of XMP", level, len(comp), len(xmpPacket()))
			}
			back, err := imagefile.DecodePNG(decompressBytes(t, comp))
			if err != nil || !back.Image.Equal(&p.Image) || len(back.Chunks) != len(chunks) {
				t.Fatalf("level %d: the image changed (%v)", level, err)
			}
			for i, ch := range chunks {
				if b := back.Chunks[i]; b.Type != ch.Type || b.Place != ch.Place || !bytes.Equal(b.Data, ch.Data) {
					t.Fatalf("level %d: chunk %d came back as %s", level, i, b.Type)
				}
			}
		}
	}
}

// colourByte returns the colour transform byte of an image file coded
// with one, whose header is h bytes long.
func colourByte(comp []byte, h int) byte {
	m, n := binary.Uvarint(comp[h:])
	off := h + n + int(m) + 4
	_, n = binary.Uvarint(comp[off:])
	off += n
	if comp[h-5]&codecBlocks != 0 {
		off += 2
	}
	return comp[off]
}

// PGM and PPM, plain and raw, come back in their own form.
func TestImagePNMRoundTrip(t *testing.T) {
	for _, ch := range []int{1, 3} {
		for _, plain := range []bool{false, true} {
			for _, maxVal := range []int{15, 255, 1000} {
				p := &imagefile.PNM{Image: *photo(9, 8, ch, maxVal, 3), Plain: plain}
				var buf bytes.Buffer
				p.Encode(&buf)
				back, err := imagefile.DecodePNM(decompressBytes(t, compressImage(t, buf.Bytes(), ImageFast)))
				if err != nil {
					t.Fatal(err)
				}
				if !back.Image.Equal(&p.Image) || back.Plain != plain {
					t.Fatalf("%d channels, plain %v, maximum %d: the image changed", ch, plain, maxVal)
				}
			}
		}
	}
}

func TestLuminanceOrder(t *testing.T) {
	order := luminanceOrder([]byte{255, 255, 255, 0, 0, 0, 10, 200, 10}, 7)
	if want := []uint16{2, 0, 1, 3, 4, 5, 6, 7}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v (black, green, white, then the rest)", order, want)
	}
}

// The image stream's checksums and limits catch damage; nothing panics.
func TestImageCorrupt(t *testing.T) {
	p, _ := imagefile.NewPNG(photo(12, 10, 3, 255, 5))
	pb, _ := imagefile.NewPNG(enlarged(photo(6, 5, 3, 255, 5), 2, 2))
	for _, p := range []*imagefile.PNG{p, pb} {
		comp := compressImage(t, pngBytes(t, p), ImageSlow)
		for i := range comp {
			bad := bytes.Clone(comp)
			bad[i] ^= 0x10
			var out bytes.Buffer
			if _, err := Decompress(context.Background(), &out, bytes.NewReader(bad), ReaderOptions{}); err == nil {
				t.Fatalf("%d×%d: a flipped bit at byte %d of %d went unnoticed", p.Width, p.Height, i, len(comp))
			}
		}
	}
	comp := compressImage(t, pngBytes(t, p), ImageSlow)
	if _, err := Decompress(context.Background(), &bytes.Buffer{}, bytes.NewReader(append(comp, 0)), ReaderOptions{}); err == nil {
		t.Fatal("trailing data accepted")
	}
	if _, err := CompressImage(context.Background(), &bytes.Buffer{}, []byte("not an image"), ImageOptions{}); err == nil {
		t.Fatal("text compressed as an image")
	}
	if !IsImage([]byte("P6\n")) || !IsImage(pngBytes(t, p)[:8]) || IsImage([]byte("PK\x03\x04")) {
		t.Fatal("IsImage")
	}
}

// TestImageGolden pins the compressed bytes of both levels: integer
// arithmetic throughout, the same bits on every platform (the
// cross-architecture script runs it under noasm, arm64 and 32-bit arm).
func TestImageGolden(t *testing.T) {
	p, _ := imagefile.NewPNG(photo(64, 48, 3, 255, 11))
	pb, _ := imagefile.NewPNG(enlarged(photo(32, 16, 1, 255, 12), 2, 3))
	pc, _ := imagefile.NewPNG(colourPhoto(48, 40, 13))
	ph, _ := imagefile.NewPNG(halfColour(48, 40, 14))
	pm := &imagefile.PNG{Image: *photo(16, 12, 3, 255, 15), ColorType: imagefile.ColorRGB, BitDepth: 8,
		Chunks: []imagefile.Chunk{{Type: "iTXt", Data: xmpPacket(), Place: imagefile.BeforeIDAT}}}
	for _, c := range []struct {
		name  string
		level int
		p     *imagefile.PNG
	}{{"image-fast", ImageFast, p}, {"image-slow", ImageSlow, p}, {"image-blocks", ImageFast, pb},
		{"image-colour-fast", ImageFast, pc}, {"image-colour-slow", ImageSlow, pc},
		{"image-pairs-fast", ImageFast, ph}, {"image-pairs-slow", ImageSlow, ph}, {"image-meta", ImageFast, pm}} {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			comp := compressImage(t, pngBytes(t, p), c.level)
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, comp, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			// The decompressed PNG's bytes depend on the deflater; its
			// pixels must not.
			back, err := imagefile.DecodePNG(decompressBytes(t, stored))
			if err != nil || !back.Image.Equal(&p.Image) {
				t.Fatalf("%s decodes to another image: %v", path, err)
			}
			if !bytes.Equal(comp, stored) {
				t.Fatalf("compressed bytes differ from %s (%d vs %d bytes): the coding path drifted", path, len(comp), len(stored))
			}
		})
	}
}

// FuzzImageReader feeds arbitrary bytes after a valid image header to the
// reader: never a panic.
func FuzzImageReader(f *testing.F) {
	p, _ := imagefile.NewPNG(photo(6, 5, 3, 255, 1))
	pb, _ := imagefile.NewPNG(enlarged(photo(3, 5, 1, 255, 1), 2, 1))
	pc, _ := imagefile.NewPNG(enlarged(colourPhoto(7, 5, 1), 1, 2))
	pm := &imagefile.PNG{Image: *photo(3, 2, 3, 255, 1), ColorType: imagefile.ColorRGB, BitDepth: 8,
		Chunks: []imagefile.Chunk{{Type: "iTXt", Data: xmpPacket(), Place: imagefile.BeforeIDAT}}}
	for _, level := range []int{ImageFast, ImageSlow} {
		for _, p := range []*imagefile.PNG{p, pb, pc, pm} {
			var buf bytes.Buffer
			CompressImage(context.Background(), &buf, pngBytes(f, p), ImageOptions{Level: level})
			h := len((&header{mode: modeMedia, blockLog: defaultBlockLog, media: mediaImage, codec: byte(level)}).marshal())
			f.Add(buf.Bytes()[h:], buf.Bytes()[h-5])
		}
	}
	// The codec byte: bit 0 picks the level, 0x10 the pixel blocks, 0x20
	// the colour transform, 0x40 the deflated metadata.
	f.Fuzz(func(t *testing.T, in []byte, codec uint8) {
		h := (&header{mode: modeMedia, blockLog: defaultBlockLog, media: mediaImage, codec: (codec-1)%2 + 1 | codec&(codecBlocks|codecColour|codecMeta)}).marshal()
		var out bytes.Buffer
		Decompress(context.Background(), &out, bytes.NewReader(append(h, in...)), ReaderOptions{})
	})
}
