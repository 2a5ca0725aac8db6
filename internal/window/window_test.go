package window

import (
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// Append's window is the one appending token by token ends with: append
// while there is room, and when the window is full keep its newest half.
func TestAppend(t *testing.T) {
	for _, T := range []int{2, 3, 8, 9} {
		for pos := 0; pos <= T; pos++ {
			for n := 1; n <= 3*T+2; n++ {
				hist := make([]autoreg.Token, pos)
				for i := range hist {
					hist[i] = autoreg.Token(1000 + i)
				}
				xs := make([]autoreg.Token, n)
				for i := range xs {
					xs[i] = autoreg.Token(i)
				}
				want := slices.Clone(hist)
				for _, x := range xs {
					if len(want) == T {
						want = slices.Clone(want[T-T/2:])
					}
					want = append(want, x)
				}
				if pos+n <= T {
					continue // no overflow: Append is not called
				}
				if got := Append(nil, hist, xs, T); !slices.Equal(got, want) {
					t.Fatalf("T=%d, %d in the window, %d appended: %v, want %v", T, pos, n, got, want)
				}
			}
		}
	}
}
