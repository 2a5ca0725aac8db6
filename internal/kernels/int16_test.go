package kernels

import (
	"math/rand/v2"
	"testing"
)

// Every path of the int16 kernels against the specification, on lengths
// around the vector widths and on extreme values (products of −32768 and
// sums that wrap).
func TestInt16Kernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, avx := range []bool{true, false} {
		if avx && !cpuAVX2 {
			continue
		}
		old := useAVX2
		useAVX2 = avx
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 48, 256, 1023, 1024} {
			for _, extreme := range []bool{false, true} {
				x, y := make([]int16, n), make([]int16, n)
				for i := range x {
					x[i], y[i] = int16(rng.Uint32()), int16(rng.Uint32())
					if extreme {
						x[i], y[i] = -32768, int16(-32768+int(rng.IntN(2))*65535)
					}
				}
				if got, want := DotInt16(x, y), dotInt16Ref(x, y); got != want {
					t.Fatalf("avx %v n=%d extreme %v: DotInt16 %d, want %d", avx, n, extreme, got, want)
				}
				for _, e := range []int32{5, 0, -3} {
					w, h := append([]int16(nil), y...), append([]int16(nil), x...)
					for i := range h {
						h[i] = int16(rng.Uint32())
					}
					want := append([]int16(nil), y...)
					for i := range want {
						switch {
						case e > 0:
							want[i] += x[i]
						case e < 0:
							want[i] -= x[i]
						}
					}
					got := AdaptDotInt16(w, x, h, e)
					if ref := dotInt16Ref(want, h); got != ref || firstDiff16(w, want) >= 0 {
						t.Fatalf("avx %v n=%d e=%d: AdaptDotInt16 %d, want %d; weights differ at %d", avx, n, e, got, ref, firstDiff16(w, want))
					}
				}
				sum, diff := append([]int16(nil), y...), append([]int16(nil), y...)
				AddInt16(sum, x)
				SubInt16(diff, x)
				for i := range x {
					if sum[i] != y[i]+x[i] || diff[i] != y[i]-x[i] {
						t.Fatalf("avx %v n=%d: element %d: %d %d from %d %d", avx, n, i, sum[i], diff[i], x[i], y[i])
					}
				}
			}
		}
		useAVX2 = old
	}
}

func FuzzDotInt16(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 0x80, 0, 0x80, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := len(b) / 4
		x, y := make([]int16, n), make([]int16, n)
		for i := range n {
			x[i] = int16(uint16(b[4*i]) | uint16(b[4*i+1])<<8)
			y[i] = int16(uint16(b[4*i+2]) | uint16(b[4*i+3])<<8)
		}
		if got, want := DotInt16(x, y), dotInt16Ref(x, y); got != want {
			t.Fatalf("n=%d: %d, want %d", n, got, want)
		}
	})
}

func BenchmarkDotInt16(b *testing.B) {
	x, y := make([]int16, 1024), make([]int16, 1024)
	for i := range x {
		x[i], y[i] = int16(i*7), int16(i*13)
	}
	b.SetBytes(4 * 1024)
	var s int32
	for range b.N {
		s += DotInt16(x, y)
		AddInt16(y, x)
	}
	_ = s
}

func firstDiff16(a, b []int16) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
