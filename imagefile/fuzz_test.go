package imagefile

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to every reader. Whatever decodes must
// write back and decode again to the same samples (and, for PNG, the same
// palette and chunks); nothing may panic.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, ct := range []uint8{ColorGray, ColorRGB, ColorPalette, ColorGrayAlpha, ColorRGBA} {
		p := &PNG{Image: *randomImage(rng, 3, 2, channelsOf(ct), 255), ColorType: ct, BitDepth: 8,
			Chunks: []Chunk{{Type: "tEXt", Data: []byte("a\x00b"), Place: AfterIDAT}}}
		if ct == ColorPalette {
			p.Palette = make([]byte, 768)
		}
		var buf bytes.Buffer
		p.Encode(&buf, -1)
		f.Add(buf.Bytes())
	}
	for _, s := range []string{"P2\n2 2\n3\n0 1 2 3\n", "P3 1 1 255 1 2 3", "P5\n1 1\n255\n\x07", "P6\n1 1\n65535\n\x00\x01\x00\x02\x00\x03"} {
		f.Add([]byte(s))
	}
	var idx bytes.Buffer
	EncodeIDXImages(&idx, []Image{*randomImage(rng, 2, 2, 1, 255)})
	f.Add(idx.Bytes())
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(idx.Bytes())
	zw.Close()
	f.Add(z.Bytes())
	suite, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "png", "testdata", "pngsuite", "*.png"))
	for _, s := range suite[:min(len(suite), 8)] {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := DecodePNG(data); err == nil {
			var buf bytes.Buffer
			if err := p.Encode(&buf, 1); err != nil {
				t.Fatalf("decoded PNG does not encode: %v", err)
			}
			q, err := DecodePNG(buf.Bytes())
			if err != nil {
				t.Fatalf("re-encoded PNG does not decode: %v", err)
			}
			if !q.Image.Equal(&p.Image) || !bytes.Equal(q.Palette, p.Palette) || len(q.Chunks) != len(p.Chunks) {
				t.Fatal("PNG round trip changed the image")
			}
		}
		if p, err := DecodePNM(data); err == nil {
			var buf bytes.Buffer
			if err := p.Encode(&buf); err != nil {
				t.Fatalf("decoded PNM does not encode: %v", err)
			}
			q, err := DecodePNM(buf.Bytes())
			if err != nil || !q.Image.Equal(&p.Image) {
				t.Fatalf("PNM round trip: %v", err)
			}
		}
		if ims, err := DecodeIDXImages(bytes.NewReader(data)); err == nil && len(ims) > 0 {
			var buf bytes.Buffer
			if err := EncodeIDXImages(&buf, ims); err != nil {
				t.Fatalf("decoded IDX does not encode: %v", err)
			}
			back, err := DecodeIDXImages(&buf)
			if err != nil || len(back) != len(ims) || !back[0].Equal(&ims[0]) {
				t.Fatalf("IDX round trip: %v", err)
			}
		}
		DecodeIDXLabels(bytes.NewReader(data))
	})
}
