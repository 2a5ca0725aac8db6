package imagefile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

func randomImage(rng *rand.Rand, w, h, c, maxVal int) *Image {
	im, err := NewImage(w, h, c, maxVal)
	if err != nil {
		panic(err)
	}
	for i := range im.Pix {
		im.Pix[i] = uint16(rng.IntN(maxVal + 1))
	}
	return im
}

// TestPNGRoundTrip writes every colour type and depth with ancillary
// chunks in all three places, reads it back, and compares the pixels
// with image/png's view of the same file.
func TestPNGRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	chunks := []Chunk{
		{Type: "gAMA", Data: []byte{0, 0, 0xb1, 0x8f}, Place: BeforePLTE},
		{Type: "tEXt", Data: []byte("Comment\x00made by a test"), Place: BeforeIDAT},
		{Type: "tIME", Data: []byte{7, 0xe8, 1, 2, 3, 4, 5}, Place: AfterIDAT},
	}
	for _, ct := range []uint8{ColorGray, ColorRGB, ColorPalette, ColorGrayAlpha, ColorRGBA} {
		for _, d := range []uint8{1, 2, 4, 8, 16} {
			if !validDepth(ct, d) {
				continue
			}
			for _, size := range [][2]int{{1, 1}, {5, 3}, {17, 9}} {
				p := &PNG{Image: *randomImage(rng, size[0], size[1], channelsOf(ct), 1<<d-1), ColorType: ct, BitDepth: d,
					Chunks: chunks}
				if ct == ColorPalette {
					n := 1 << d
					p.Palette = make([]byte, 3*n)
					for i := range p.Palette {
						p.Palette[i] = byte(rng.IntN(256))
					}
				}
				var buf bytes.Buffer
				if err := p.Encode(&buf, 9); err != nil {
					t.Fatalf("type %d depth %d: %v", ct, d, err)
				}
				q, err := DecodePNG(buf.Bytes())
				if err != nil {
					t.Fatalf("type %d depth %d: %v", ct, d, err)
				}
				if !q.Image.Equal(&p.Image) || q.ColorType != ct || q.BitDepth != d || !bytes.Equal(q.Palette, p.Palette) {
					t.Fatalf("type %d depth %d %v: round trip changed the image", ct, d, size)
				}
				if len(q.Chunks) != len(chunks) {
					t.Fatalf("type %d depth %d: %d chunks back, want %d", ct, d, len(q.Chunks), len(chunks))
				}
				for i, c := range q.Chunks {
					want := chunks[i]
					if p.Palette == nil && want.Place == BeforeIDAT {
						want.Place = BeforePLTE // no PLTE: the same place
					}
					if c.Type != want.Type || !bytes.Equal(c.Data, want.Data) || c.Place != want.Place {
						t.Fatalf("type %d depth %d: chunk %d is %+v, want %+v", ct, d, i, c, chunks[i])
					}
				}
				g, err := png.Decode(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				compareGo(t, p, g)
			}
		}
	}
}

// compareGo checks that p's samples are what image/png decoded, in 16-bit
// non-premultiplied colour.
func compareGo(t *testing.T, p *PNG, g image.Image) {
	t.Helper()
	for y := range p.Height {
		for x := range p.Width {
			var got color.NRGBA64
			s := func(c int) uint16 { return uint16(uint32(p.At(x, y, c)) * 65535 / uint32(p.MaxVal)) }
			switch p.ColorType {
			case ColorGray:
				got = color.NRGBA64{s(0), s(0), s(0), 0xffff}
			case ColorGrayAlpha:
				got = color.NRGBA64{s(0), s(0), s(0), s(1)}
			case ColorRGB:
				got = color.NRGBA64{s(0), s(1), s(2), 0xffff}
			case ColorRGBA:
				got = color.NRGBA64{s(0), s(1), s(2), s(3)}
			case ColorPalette:
				i := int(p.At(x, y, 0))
				pl := p.Palette
				got = color.NRGBA64{uint16(pl[3*i]) * 257, uint16(pl[3*i+1]) * 257, uint16(pl[3*i+2]) * 257, 0xffff}
			}
			// Compare premultiplied, as image/png's colours convert.
			r, g2, b, a := got.RGBA()
			wr, wg, wb, wa := g.At(x, y).RGBA()
			if [4]uint32{r, g2, b, a} != [4]uint32{wr, wg, wb, wa} {
				t.Fatalf("pixel (%d,%d): %v, image/png %v", x, y, got, g.At(x, y))
			}
		}
	}
}

func hasTRNS(p *PNG) bool {
	for _, c := range p.Chunks {
		if c.Type == "tRNS" {
			return true
		}
	}
	return false
}

// TestPNGSuite reads every valid file of the PNG suite in Go's source tree
// (all colour types, depths, interlacing, transparency, gamma, text),
// writes it back and reads it again: the same samples, palette and chunks.
func TestPNGSuite(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "png", "testdata", "pngsuite")
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) == 0 {
		t.Skip("no PNG suite in GOROOT")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodePNG(data)
		if err != nil {
			if _, gerr := png.Decode(bytes.NewReader(data)); gerr == nil {
				t.Errorf("%s: %v (image/png reads it)", filepath.Base(f), err)
			}
			continue
		}
		var buf bytes.Buffer
		if err := p.Encode(&buf, -1); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		q, err := DecodePNG(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: reading back: %v", filepath.Base(f), err)
		}
		if !q.Image.Equal(&p.Image) || !bytes.Equal(p.Palette, q.Palette) || len(q.Chunks) != len(p.Chunks) {
			t.Fatalf("%s: round trip changed the image", filepath.Base(f))
		}
		g, _ := png.Decode(bytes.NewReader(data))
		if !hasTRNS(p) {
			compareGo(t, p, g)
		}
	}
}

// pngChunk returns one chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func TestPNGBomb(t *testing.T) {
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z) // any bytes will do: the size check comes first
	zw.Write([]byte{0})
	zw.Close()
	file := append([]byte(pngSignature), pngChunk("IHDR", ihdr)...)
	file = append(file, pngChunk("IDAT", z.Bytes())...)
	file = append(file, pngChunk("IEND", nil)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodePNG(file)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "100000 × 100000") {
		t.Fatalf("bomb: got %v", err)
	}
	if after.TotalAlloc-before.TotalAlloc > 1<<20 {
		t.Fatalf("bomb allocated %d bytes before refusing", after.TotalAlloc-before.TotalAlloc)
	}
	// Within MaxSamples but far beyond what 10 bytes of deflate hold.
	ihdr = binary.BigEndian.AppendUint32(nil, 4000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 4000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	file = append([]byte(pngSignature), pngChunk("IHDR", ihdr)...)
	file = append(file, pngChunk("IDAT", z.Bytes())...)
	file = append(file, pngChunk("IEND", nil)...)
	if _, err := DecodePNG(file); err == nil || !strings.Contains(err.Error(), "compressed image data") {
		t.Fatalf("small-data bomb: got %v", err)
	}
}

func TestPNGErrors(t *testing.T) {
	var buf bytes.Buffer
	p, _ := NewPNG(randomImage(rand.New(rand.NewPCG(3, 4)), 4, 4, 1, 255))
	p.Encode(&buf, -1)
	good := buf.Bytes()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"signature", append([]byte("\x89PNX"), good[4:]...), "signature"},
		{"truncated", good[:len(good)-5], "end of data"},
		{"crc", func() []byte { b := bytes.Clone(good); b[20] ^= 1; return b }(), "CRC"},
		{"critical", func() []byte {
			b := append([]byte(nil), good[:33]...)
			b = append(b, pngChunk("ABCD", []byte{1})...)
			return append(b, good[33:]...)
		}(), "unknown critical chunk"},
	} {
		if _, err := DecodePNG(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestPNMRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []int{1, 3} {
		for _, plain := range []bool{false, true} {
			for _, maxVal := range []int{1, 16, 255, 1000, 65535} {
				p := &PNM{Image: *randomImage(rng, 13, 7, c, maxVal), Plain: plain}
				var buf bytes.Buffer
				if err := p.Encode(&buf); err != nil {
					t.Fatal(err)
				}
				q, err := DecodePNM(buf.Bytes())
				if err != nil {
					t.Fatalf("%d channels, plain %v, max %d: %v", c, plain, maxVal, err)
				}
				if !q.Image.Equal(&p.Image) || q.Plain != plain {
					t.Fatalf("%d channels, plain %v, max %d: round trip changed the image", c, plain, maxVal)
				}
			}
		}
	}
	// Comments and odd white space in the header.
	p, err := DecodePNM([]byte("P2 # gray\n# another\n3\t2 # size\n 16\n0 1 2\n16 15\n14\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint16{0, 1, 2, 16, 15, 14}; p.Width != 3 || p.Height != 2 || p.MaxVal != 16 || !slices.Equal(p.Pix, want) {
		t.Fatalf("got %+v", p.Image)
	}
}

func TestPNMErrors(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{"P5\n100000 100000\n255\n\x00\x00", "more than"},
		{"P5\n4000 4000\n255\n\x00\x00", "holds only"},
		{"P2\n4000 4000\n255\n0 0", "holds only"},
		{"P5\n2 1\n255\n\x00\x00\x00", "after the image"},
		{"P2\n2 1\n15\n3 16\n", "above the maximum"},
		{"P7\n2 1\n15\n", "magic"},
		{"P2\n2 1\n70000\n1 1\n", "maximum sample value"},
		{"P2\n2 x\n", "not a digit"},
		{"P6\n2 1\n255", "no white space"},
	} {
		if _, err := DecodePNM([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.data, err, c.want)
		}
	}
}

func TestIDX(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ims := make([]Image, 5)
	for i := range ims {
		ims[i] = *randomImage(rng, 6, 4, 1, 255)
	}
	var buf bytes.Buffer
	if err := EncodeIDXImages(&buf, ims); err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(buf.Bytes())
	zw.Close()
	for _, data := range [][]byte{buf.Bytes(), z.Bytes()} {
		got, f, err := Decode(data)
		if err != nil || f != FormatIDX {
			t.Fatal(err, f)
		}
		if len(got) != len(ims) {
			t.Fatalf("%d images, want %d", len(got), len(ims))
		}
		for i := range got {
			if !got[i].Equal(&ims[i]) {
				t.Fatalf("image %d differs", i)
			}
		}
	}
	// A bilevel set reads as MaxVal 1.
	for i := range ims {
		for j := range ims[i].Pix {
			ims[i].Pix[j] &= 1
		}
	}
	buf.Reset()
	EncodeIDXImages(&buf, ims)
	got, err := DecodeIDXImages(&buf)
	if err != nil || got[0].MaxVal != 1 {
		t.Fatalf("bilevel: %v, max %d", err, got[0].MaxVal)
	}
	buf.Reset()
	EncodeIDXLabels(&buf, []byte{3, 1, 4})
	lab, err := DecodeIDXLabels(&buf)
	if err != nil || !bytes.Equal(lab, []byte{3, 1, 4}) {
		t.Fatalf("labels %v %v", lab, err)
	}
}

func TestIDXBomb(t *testing.T) {
	h := binary.BigEndian.AppendUint32(nil, idxImages)
	h = binary.BigEndian.AppendUint32(h, 1<<20)
	h = binary.BigEndian.AppendUint32(h, 16)
	h = binary.BigEndian.AppendUint32(h, 16)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeIDXImages(bytes.NewReader(append(h, 1, 2, 3)))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "end of data") {
		t.Fatalf("got %v", err)
	}
	if after.TotalAlloc-before.TotalAlloc > 4<<20 {
		t.Fatalf("allocated %d bytes for a 19-byte file", after.TotalAlloc-before.TotalAlloc)
	}
	h = binary.BigEndian.AppendUint32(nil, idxImages)
	h = binary.BigEndian.AppendUint32(h, 100000)
	h = binary.BigEndian.AppendUint32(h, 100000)
	h = binary.BigEndian.AppendUint32(h, 100000)
	if _, err := DecodeIDXImages(bytes.NewReader(h)); err == nil {
		t.Fatal("huge images accepted")
	}
}

// TestMNIST reads the shared MNIST files: the standard counts, and the
// fixed binarized test set as the data README describes it.
func TestMNIST(t *testing.T) {
	dir := testutil.SharedFile(t, "data/images/mnist")
	ims, f, err := ReadFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil || f != FormatIDX {
		t.Fatal(err)
	}
	if len(ims) != 10000 || ims[0].Width != 28 || ims[0].Height != 28 || ims[0].MaxVal != 255 {
		t.Fatalf("%d images of %d×%d, max %d", len(ims), ims[0].Width, ims[0].Height, ims[0].MaxVal)
	}
	lab, err := ReadLabels(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil || len(lab) != 10000 || lab[0] != 7 {
		t.Fatalf("labels: %v, %d, first %d", err, len(lab), lab[0])
	}
	bin, _, err := ReadFile(filepath.Join(dir, "t10k-images-binarized-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	ones := 0
	for _, im := range bin {
		if im.MaxVal != 1 {
			t.Fatal("binarized set not read as bilevel")
		}
		for _, v := range im.Pix {
			ones += int(v)
		}
	}
	if ones != 1039024 {
		t.Fatalf("%d ones in the binarized test set, the README says 1,039,024", ones)
	}
}

func TestGrid(t *testing.T) {
	a := &Image{Width: 2, Height: 1, Channels: 1, MaxVal: 9, Pix: []uint16{1, 2}}
	b := &Image{Width: 1, Height: 2, Channels: 1, MaxVal: 9, Pix: []uint16{3, 4}}
	g, err := Grid([]*Image{a, b, a}, 2, 1, 9)
	if err != nil {
		t.Fatal(err)
	}
	// Cells of 2×2, gap 1: width 1+2·3 = 7, height 1+2·3 = 7.
	want := "9999999" + "9129399" + "9999499" + "9999999" + "9129999" + "9999999" + "9999999"
	var got strings.Builder
	for _, v := range g.Pix {
		got.WriteByte(byte('0' + v))
	}
	if got.String() != want {
		t.Fatalf("grid\n%s\nwant\n%s", got.String(), want)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.png")
	os.WriteFile(p, []byte("\x89PNG\r\n\x1a\nxx"), 0o644)
	_, _, err := ReadFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), "imagefile: "+p+": png: ") {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(p, []byte("hello"), 0o644)
	if _, _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Fatalf("got %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	im := randomImage(rand.New(rand.NewPCG(9, 9)), 5, 4, 1, 16)
	for _, name := range []string{"a.pgm", "a.png"} {
		p := filepath.Join(dir, name)
		if err := WriteFile(p, im); err != nil {
			t.Fatal(err)
		}
		got, _, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := im
		if name == "a.png" {
			want = ScaleTo(im, 255)
		}
		if !got[0].Equal(want) {
			t.Fatalf("%s: read back a different image", name)
		}
	}
}
