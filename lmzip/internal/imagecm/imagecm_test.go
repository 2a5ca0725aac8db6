package imagecm

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// testImage draws an image with structure (a smooth field per channel,
// correlated across channels, with noise) so that prediction matters.
func testImage(rng *rand.Rand, w, h, c, maxVal int) *Image {
	im := &Image{Width: w, Height: h, Channels: c, MaxVal: maxVal, Pix: make([]uint16, w*h*c)}
	fx, fy := rng.Float64()*0.03, rng.Float64()*0.03
	for y := range h {
		for x := range w {
			base := float64(maxVal) * (0.5 + 0.4*sinApprox(fx*float64(x)+fy*float64(y)))
			for ch := range c {
				v := base*(1-0.1*float64(ch)) + rng.NormFloat64()*float64(maxVal)*0.005
				im.Pix[(y*w+x)*c+ch] = uint16(min(max(v, 0), float64(maxVal)))
			}
		}
	}
	return im
}

// sinApprox is a smooth periodic function (a triangle wave, rounded).
func sinApprox(t float64) float64 {
	t -= float64(int(t))
	if t < 0 {
		t++
	}
	return 4*t*(1-t)*2 - 1
}

func roundTrip(t *testing.T, im *Image, lv Level) int {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, im, lv); err != nil {
		t.Fatal(err)
	}
	out := &Image{Width: im.Width, Height: im.Height, Channels: im.Channels, MaxVal: im.MaxVal, Pix: make([]uint16, len(im.Pix)), ColumnPairs: im.ColumnPairs}
	if err := Decode(bytes.NewReader(buf.Bytes()), out, lv); err != nil {
		t.Fatalf("%d×%d×%d max %d level %d: %v", im.Width, im.Height, im.Channels, im.MaxVal, lv, err)
	}
	for i, v := range im.Pix {
		if out.Pix[i] != v {
			t.Fatalf("%d×%d×%d max %d level %d: sample %d decoded %d, was %d", im.Width, im.Height, im.Channels, im.MaxVal, lv, i, out.Pix[i], v)
		}
	}
	return buf.Len()
}

// Every shape, depth and channel count round-trips at both levels, the
// ends of the range (where the sign is not coded) included, and with
// colour in column pairs.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lv := range []Level{Fast, Slow} {
		for _, sh := range [][2]int{{1, 1}, {1, 7}, {9, 1}, {13, 11}} {
			for _, c := range []int{1, 2, 3, 4} {
				for _, maxVal := range []int{1, 3, 16, 255, 4095, 65535} {
					im := testImage(rng, sh[0], sh[1], c, maxVal)
					roundTrip(t, im, lv)
					if c > 1 && (maxVal == 255 || maxVal == 65535) {
						im.ColumnPairs = true
						roundTrip(t, im, lv)
					}
				}
			}
		}
		// Saturated and random images.
		for _, fill := range []func(i int) uint16{
			func(int) uint16 { return 0 },
			func(int) uint16 { return 255 },
			func(i int) uint16 { return uint16(i%2) * 255 },
			func(int) uint16 { return uint16(rng.IntN(256)) },
		} {
			im := &Image{Width: 17, Height: 9, Channels: 3, MaxVal: 255, Pix: make([]uint16, 17*9*3)}
			for i := range im.Pix {
				im.Pix[i] = fill(i)
			}
			roundTrip(t, im, lv)
		}
	}
}

// A structured image codes to far less than its raw size, and the Slow
// level to less than the Fast one.
func TestCompresses(t *testing.T) {
	im := testImage(rand.New(rand.NewPCG(3, 4)), 96, 64, 3, 255)
	fast, slow := roundTrip(t, im, Fast), roundTrip(t, im, Slow)
	raw := len(im.Pix)
	if fast > raw/2 || slow >= fast {
		t.Fatalf("raw %d bytes, Fast %d, Slow %d", raw, fast, slow)
	}
	t.Logf("raw %d bytes, Fast %d, Slow %d", raw, fast, slow)
}

func TestBadImage(t *testing.T) {
	var buf bytes.Buffer
	for _, im := range []*Image{
		{Width: 0, Height: 1, Channels: 1, MaxVal: 255},
		{Width: 1, Height: 1, Channels: 5, MaxVal: 255, Pix: make([]uint16, 5)},
		{Width: 1, Height: 1, Channels: 1, MaxVal: 0, Pix: make([]uint16, 1)},
		{Width: 2, Height: 1, Channels: 1, MaxVal: 255, Pix: make([]uint16, 1)},
		{Width: 2, Height: 1, Channels: 1, MaxVal: 255, Pix: make([]uint16, 2), ColumnPairs: true},
	} {
		if err := Encode(&buf, im, Fast); err == nil {
			t.Errorf("%+v accepted", im)
		}
	}
	if err := Encode(&buf, &Image{Width: 1, Height: 1, Channels: 1, MaxVal: 1, Pix: []uint16{1}}, 3); err == nil {
		t.Error("level 3 accepted")
	}
}

// FuzzDecode: any bytes decode to some image or an error, never a panic,
// and never a sample above the maximum.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, testImage(rand.New(rand.NewPCG(5, 6)), 6, 5, 3, 255), Fast)
	f.Add(buf.Bytes(), uint8(1), uint8(3), uint16(255))
	f.Add([]byte{0xff, 0, 0x13}, uint8(2), uint8(1), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, level, channels uint8, maxVal uint16) {
		if maxVal == 0 {
			maxVal = 1
		}
		im := &Image{Width: 5, Height: 4, Channels: int(channels%4) + 1, MaxVal: int(maxVal)}
		im.Pix = make([]uint16, 5*4*im.Channels)
		im.ColumnPairs = level&2 != 0 && im.Channels > 1
		if err := Decode(bytes.NewReader(data), im, Level(level%2+1)); err != nil {
			return
		}
		for _, v := range im.Pix {
			if int(v) > im.MaxVal {
				t.Fatalf("sample %d above the maximum %d", v, im.MaxVal)
			}
		}
	})
}

// FuzzRoundTrip: any samples, in any shape, depth and channel count, come
// back exactly at both levels, and through the colour transform.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 255, 7, 7, 128, 3, 0, 1, 2}, uint8(3), uint8(1), uint16(255))
	f.Add([]byte{0xff, 0xff, 0, 0, 0x12, 0x34}, uint8(1), uint8(4), uint16(65535))
	f.Fuzz(func(t *testing.T, data []byte, width, channels uint8, maxVal uint16) {
		if maxVal == 0 {
			maxVal = 1
		}
		c := int(channels%4) + 1
		w := int(width%32) + 1
		h := len(data)/2/(w*c) + 1
		im := &Image{Width: w, Height: h, Channels: c, MaxVal: int(maxVal), Pix: make([]uint16, w*h*c)}
		for i := range im.Pix {
			var v uint16
			if 2*i+1 < len(data) {
				v = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			}
			im.Pix[i] = uint16(int(v) % (int(maxVal) + 1))
		}
		roundTrip(t, im, Fast)
		roundTrip(t, im, Slow)
		if CanTransform(im) {
			f := Forward(im, RCT)
			roundTrip(t, f, Fast)
			f.ColumnPairs = true
			roundTrip(t, f, Fast)
			back := &Image{Width: w, Height: h, Channels: c, MaxVal: im.MaxVal, Pix: make([]uint16, len(im.Pix))}
			checkInverse(t, im, back)
		}
	})
}
