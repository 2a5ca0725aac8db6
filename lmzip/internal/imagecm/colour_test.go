package imagecm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The colour transform is exact: every 8-bit colour comes back, and so do
// random colours of every depth it takes, alpha included.
func TestTransformExact(t *testing.T) {
	im := &Image{Width: 256, Height: 256, Channels: 3, MaxVal: 255, Pix: make([]uint16, 256*256*3)}
	back := &Image{Width: 256, Height: 256, Channels: 3, MaxVal: 255, Pix: make([]uint16, len(im.Pix))}
	for r := range 256 {
		for i := range 256 * 256 {
			im.Pix[3*i], im.Pix[3*i+1], im.Pix[3*i+2] = uint16(r), uint16(i>>8), uint16(i&255)
		}
		checkInverse(t, im, back)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, maxVal := range []int{1, 3, 1023, 32767} {
		for _, c := range []int{3, 4} {
			im := &Image{Width: 61, Height: 7, Channels: c, MaxVal: maxVal, Pix: make([]uint16, 61*7*c)}
			for i := range im.Pix {
				im.Pix[i] = uint16(rng.IntN(maxVal + 1))
			}
			back := &Image{Width: 61, Height: 7, Channels: c, MaxVal: maxVal, Pix: make([]uint16, len(im.Pix))}
			checkInverse(t, im, back)
		}
	}
}

func checkInverse(t *testing.T, im, back *Image) {
	t.Helper()
	f := Forward(im, RCT)
	if f.MaxVal != 2*im.MaxVal {
		t.Fatalf("maximum %d for %d", f.MaxVal, im.MaxVal)
	}
	for i, v := range f.Pix {
		if int(v) > f.MaxVal {
			t.Fatalf("maximum %d: transformed sample %d is %d", im.MaxVal, i, v)
		}
	}
	Inverse(back, f, RCT)
	for i, v := range im.Pix {
		if back.Pix[i] != v {
			t.Fatalf("maximum %d: sample %d came back %d, was %d", im.MaxVal, i, back.Pix[i], v)
		}
	}
}

// colourPhoto is a colour photograph's structure: one smooth field of
// brightness with noise, and smooth, small colour differences.
func colourPhoto(w, h int, seed uint64) *Image {
	base := testImage(rand.New(rand.NewPCG(seed, 2)), w, h, 1, 255)
	rng := rand.New(rand.NewPCG(seed, 3))
	im := &Image{Width: w, Height: h, Channels: 3, MaxVal: 255, Pix: make([]uint16, w*h*3)}
	for i, v := range base.Pix {
		y := int(v) + rng.IntN(9) - 4
		for c, d := range []int{12, 0, -15} {
			im.Pix[3*i+c] = uint16(min(max(y+d+rng.IntN(3)-1, 0), 255))
		}
	}
	return im
}

// halfColour is colourPhoto with its colour stored at half the horizontal
// resolution: the colour differences' noise is drawn once per pair of
// columns.
func halfColour(w, h int, seed uint64) *Image {
	base := testImage(rand.New(rand.NewPCG(seed, 2)), w, h, 1, 255)
	rng := rand.New(rand.NewPCG(seed, 3))
	im := &Image{Width: w, Height: h, Channels: 3, MaxVal: 255, Pix: make([]uint16, w*h*3)}
	var dr, db int
	for i, v := range base.Pix {
		if i%w%2 == 0 {
			dr, db = rng.IntN(9)-4, rng.IntN(9)-4
		}
		y := int(v) + rng.IntN(9) - 4
		for c, d := range []int{12 + dr, 0, -15 + db} {
			im.Pix[3*i+c] = uint16(min(max(y+d, 0), 255))
		}
	}
	return im
}

// The transform is chosen where it pays and only where it can apply.
func TestChooseTransform(t *testing.T) {
	if tr, pairs := ChooseColour(colourPhoto(96, 64, 1)); tr != RCT || pairs {
		t.Errorf("a colour photograph: transform %d, column pairs %v", tr, pairs)
	}
	if tr, pairs := ChooseColour(halfColour(96, 64, 1)); tr != RCT || !pairs {
		t.Errorf("colour at half the horizontal resolution: transform %d, column pairs %v", tr, pairs)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	indep := testImage(rng, 40, 30, 3, 255) // channels apart: no brightness to share
	for i := range indep.Pix {
		if i%3 != 0 {
			indep.Pix[i] = uint16(rng.IntN(256))
		}
	}
	if tr, _ := ChooseColour(indep); tr != NoTransform {
		t.Errorf("independent channels: transform %d", tr)
	}
	for _, im := range []*Image{testImage(rng, 20, 10, 1, 255), testImage(rng, 20, 10, 2, 255), testImage(rng, 20, 10, 3, 65535)} {
		if tr, _ := ChooseColour(im); tr != NoTransform {
			t.Errorf("%d channels of maximum %d: transform %d", im.Channels, im.MaxVal, tr)
		}
	}
}

// The cost table's integer logarithm agrees with math.Log2.
func TestLog2Fix(t *testing.T) {
	for v := uint64(1); v <= 1<<20; v += v/7 + 1 {
		want := math.Log2(float64(v)) * 256
		if got := float64(log2Fix(v)); got > want+1e-9 || got < want-1.01 {
			t.Fatalf("log2Fix(%d) = %v/256, want %v/256", v, got, want)
		}
	}
}

// The sample is at most 8 strips of 8 rows, one every 128 rows or more.
func TestSampleRows(t *testing.T) {
	for _, c := range []struct{ h, rows int }{{100, 100}, {300, 24}, {512, 32}, {1024, 64}, {4000, 64}, {4001, 64}} {
		im := &Image{Width: 200, Height: c.h, Channels: 3, MaxVal: 255, Pix: make([]uint16, 200*c.h*3)}
		if s := sampleRows(im); s.Height != c.rows || len(s.Pix) != s.Width*s.Height*3 {
			t.Errorf("%d rows: sample of %d rows (%d samples)", c.h, s.Height, len(s.Pix))
		}
	}
}
