package tokenize

import (
	"bytes"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/imagefile"
)

func TestPixelsQuantize(t *testing.T) {
	bin, _ := NewPixels(2, Shape{1, 4, 1})
	for v, want := range map[int]autoreg.Token{0: 0, 127: 0, 128: 1, 255: 1} {
		if got := bin.Level(v, 255); got != want {
			t.Errorf("2 levels: sample %d → %d, want %d (threshold at 128)", v, got, want)
		}
	}
	if bin.Level(1, 1) != 1 || bin.Level(0, 1) != 0 {
		t.Error("a bilevel image is not read as it is")
	}
	full, _ := NewPixels(256, Shape{1, 1, 3})
	for v := range 256 {
		if full.Level(v, 255) != autoreg.Token(v) {
			t.Fatalf("256 levels: %d is not the identity", v)
		}
	}
	d17, _ := NewPixels(17, Shape{8, 8, 1})
	for v := range 17 {
		if d17.Level(v, 16) != autoreg.Token(v) {
			t.Fatalf("17 levels of a maximum-16 image: %d is not the identity", v)
		}
	}
	if d17.Level(65535, 65535) != 16 || d17.Level(0, 65535) != 0 {
		t.Fatal("16-bit extremes")
	}
}

func TestPixelsImage(t *testing.T) {
	p, _ := NewPixels(4, Shape{Height: 2, Width: 3, Channels: 3})
	im := &imagefile.Image{Width: 3, Height: 2, Channels: 3, MaxVal: 255, Pix: make([]uint16, 18)}
	for i := range im.Pix {
		im.Pix[i] = uint16(i * 15)
	}
	ids, err := p.AppendImage(nil, im)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if want := autoreg.Token(i * 15 * 4 / 256); id != want {
			t.Fatalf("sample %d: level %d, want %d", i, id, want)
		}
	}
	back := p.Image(ids)
	if back.MaxVal != 3 || back.Width != 3 || back.Pix[17] != uint16(ids[17]) {
		t.Fatalf("Image: %+v", back)
	}
	if r, c, ch := p.Shape().Pos(17); r != 1 || c != 2 || ch != 2 {
		t.Fatalf("Pos(17) = %d, %d, %d", r, c, ch)
	}
	if _, err := p.AppendImage(nil, &imagefile.Image{Width: 2, Height: 2, Channels: 3, MaxVal: 255, Pix: make([]uint16, 12)}); err == nil {
		t.Fatal("a 2×2 image accepted by a 2×3 tokenizer")
	}
	// The text form: 8-bit samples in, levels scaled to 0..255 out.
	raw := []byte{0, 63, 64, 255}
	toks, err := Encode(p, string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := Decode(p, toks); !bytes.Equal([]byte(got), []byte{32, 32, 96, 224}) {
		t.Fatalf("text round trip: %v", []byte(got))
	}
}

func TestPixelsMarshalVersion(t *testing.T) {
	p, _ := NewPixels(2, Shape{28, 28, 1})
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if b[4] != 2 {
		t.Fatalf("pixels written as version %d, want 2", b[4])
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if q := back.(*Pixels); q.Levels() != 2 || q.Shape() != (Shape{28, 28, 1}) {
		t.Fatalf("read back %d levels, %s", q.Levels(), q.Shape())
	}
	c, _ := Marshal(NewByte())
	if c[4] != 1 {
		t.Fatal("the byte tokenizer is no longer written as version 1")
	}
	b[4] = 1
	if _, err := Unmarshal(b); err == nil {
		t.Fatal("a pixels tokenizer in version 1 accepted")
	}
}
