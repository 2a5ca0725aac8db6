package spectrum

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// dft is the specification: the sum, term by term.
func dft(x []complex128) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	for k := range n {
		for j, v := range x {
			out[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(k*j)/float64(n)))
		}
	}
	return out
}

func TestFFTAgainstDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 4, 8, 64, 256} {
		x := make([]complex128, n)
		re, im := make([]float64, n), make([]float64, n)
		for i := range x {
			re[i], im[i] = rng.NormFloat64(), rng.NormFloat64()
			x[i] = complex(re[i], im[i])
		}
		want := dft(x)
		FFT(re, im)
		for k := range want {
			if d := cmplx.Abs(complex(re[k], im[k]) - want[k]); d > 1e-9*float64(n) {
				t.Fatalf("n=%d bin %d: %v, want %v", n, k, complex(re[k], im[k]), want[k])
			}
		}
	}
}

// A full-scale sine reads about 0 dB at its frequency and far less
// elsewhere.
func TestSpectrogramSine(t *testing.T) {
	rate, f0 := 8000, 1000.0
	x := make([]float64, 4000)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * f0 * float64(i) / float64(rate))
	}
	s, err := Compute(x, rate, 256, 64)
	if err != nil {
		t.Fatal(err)
	}
	if s.Frames != (4000-256)/64+1 || s.Bins != 129 {
		t.Fatalf("%d frames of %d bins", s.Frames, s.Bins)
	}
	k := int(f0 / float64(rate) * 256) // bin 32
	if p := s.At(5, k); math.Abs(p) > 0.5 {
		t.Fatalf("the sine's bin reads %.2f dB", p)
	}
	if p := s.At(5, k+20); p > -60 {
		t.Fatalf("20 bins away reads %.2f dB", p)
	}
	if _, err := Compute(x, rate, 100, 10); err == nil {
		t.Fatal("a window of 100 samples is accepted")
	}
}
