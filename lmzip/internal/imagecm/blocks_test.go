package imagecm

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// An image enlarged by whole pixel blocks is found with its factors, and
// shrinks back to itself; a photograph is not enlarged.
func TestBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ w, h, ch, fx, fy int }{
		{5, 4, 1, 2, 2}, {5, 4, 3, 3, 2}, {7, 3, 2, 1, 4}, {3, 5, 4, 8, 1}, {1, 1, 1, 5, 7},
	} {
		small := &Image{Width: c.w, Height: c.h, Channels: c.ch, MaxVal: 1000, Pix: make([]uint16, c.w*c.h*c.ch)}
		for i := range small.Pix {
			small.Pix[i] = uint16(rng.IntN(1001))
		}
		big := &Image{Width: c.w * c.fx, Height: c.h * c.fy, Channels: c.ch, MaxVal: 1000}
		big.Pix = make([]uint16, big.Width*big.Height*c.ch)
		Enlarge(big, small, c.fx, c.fy)
		if c.w > 1 && c.h > 1 {
			if fx, fy := Blocks(big); fx != c.fx || fy != c.fy {
				t.Fatalf("%+v: found blocks %d × %d", c, fx, fy)
			}
		}
		for y := range big.Height {
			for x := range big.Width {
				for ch := range c.ch {
					if big.Pix[(y*big.Width+x)*c.ch+ch] != small.Pix[(y/c.fy*c.w+x/c.fx)*c.ch+ch] {
						t.Fatalf("%+v: Enlarge wrote another pixel at (%d, %d)", c, x, y)
					}
				}
			}
		}
		if back := Shrink(big, c.fx, c.fy); !slices.Equal(back.Pix, small.Pix) || back.Width != c.w || back.Height != c.h {
			t.Fatalf("%+v: Shrink does not undo Enlarge", c)
		}
	}
	if fx, fy := Blocks(testImage(rng, 40, 30, 3, 255)); fx != 1 || fy != 1 {
		t.Fatalf("a photograph seen as %d × %d blocks", fx, fy)
	}
}
