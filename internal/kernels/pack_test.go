package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestPackTransposed compares packTransposed with its definition for
// widths around the 8- and 4-row assembly strips, column counts with and
// without a tail past the 8-column blocks, and padded strides.
func TestPackTransposed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	forEachPath(t, func(t *testing.T, p path) {
		for _, w := range []int{1, 3, 4, 5, 7, 8, 11, 12, 13, 16, 20, 32} {
			for _, kcur := range []int{1, 7, 8, 9, 16, 30, 64} {
				lds, ld := kcur+3, w+2
				src := randSlice(r, w*lds, -1, 1)
				dst := guarded((kcur-1)*ld + w)
				packTransposed(dst, ld, src, lds, w, kcur)
				checkGuard(t, "packTransposed", dst)
				for pp := range kcur {
					for j := range w {
						if got, want := dst[pp*ld+j], src[j*lds+pp]; got != want {
							t.Fatalf("w=%d kcur=%d: dst[%d,%d] = %v, want %v", w, kcur, pp, j, got, want)
						}
					}
				}
			}
		}
	})
}
