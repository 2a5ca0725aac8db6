// Package spectrum computes the short-time spectra of sound that the CLI
// draws as spectrograms: a radix-2 fast Fourier transform (Cooley and
// Tukey 1965) and the power spectrogram of Hann-windowed frames, in
// decibels.
package spectrum

import (
	"fmt"
	"math"
	"math/bits"
)

// FFT replaces (re, im), of a length that is a power of two, by its
// discrete Fourier transform X[k] = Σ_n x[n]·e^(−2πi·kn/N), in place:
// bit-reversed order, then log₂N butterfly passes.
func FFT(re, im []float64) {
	n := len(re)
	if len(im) != n || n&(n-1) != 0 {
		panic(fmt.Sprintf("spectrum: FFT of %d and %d values (want equal powers of two)", len(re), len(im)))
	}
	if n < 2 {
		return
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range n {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := -2 * math.Pi / float64(size)
		for k := range half {
			wr, wi := math.Cos(step*float64(k)), math.Sin(step*float64(k))
			for i := k; i < n; i += size {
				j := i + half
				tr := wr*re[j] - wi*im[j]
				ti := wr*im[j] + wi*re[j]
				re[j], im[j] = re[i]-tr, im[i]-ti
				re[i], im[i] = re[i]+tr, im[i]+ti
			}
		}
	}
}

// Spectrogram is the power of a signal's short-time spectra: Frames
// frames of Bins = Window/2 + 1 frequencies (0 to the Nyquist frequency),
// in decibels relative to a full-scale sine.
type Spectrogram struct {
	Frames, Bins int
	Rate         int       // samples per second of the signal
	Hop          int       // samples between frames
	DB           []float64 // (Frames, Bins) row-major
}

// At returns the power of frame f at frequency bin k, in dB.
func (s *Spectrogram) At(f, k int) float64 { return s.DB[f*s.Bins+k] }

// Compute returns the spectrogram of x (samples in [−1, 1]) sampled at
// rate: frames of window samples (a power of two) every hop samples, each
// multiplied by a Hann window; the power |X[k]|² is scaled so that a
// full-scale sine reads about 0 dB, and floored at −120 dB.
func Compute(x []float64, rate, window, hop int) (*Spectrogram, error) {
	if window < 2 || window&(window-1) != 0 || hop < 1 {
		return nil, fmt.Errorf("spectrum: window %d (want a power of two) and hop %d", window, hop)
	}
	frames := 0
	if len(x) >= window {
		frames = (len(x)-window)/hop + 1
	}
	bins := window/2 + 1
	s := &Spectrogram{Frames: frames, Bins: bins, Rate: rate, Hop: hop, DB: make([]float64, frames*bins)}
	hann := make([]float64, window)
	var wsum float64
	for i := range hann {
		hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(window))
		wsum += hann[i]
	}
	norm := 4 / (wsum * wsum) // a sine of amplitude 1 peaks at |X| = wsum/2
	re, im := make([]float64, window), make([]float64, window)
	for f := range frames {
		for i := range window {
			re[i], im[i] = x[f*hop+i]*hann[i], 0
		}
		FFT(re, im)
		for k := range bins {
			p := (re[k]*re[k] + im[k]*im[k]) * norm
			s.DB[f*bins+k] = max(10*math.Log10(p+1e-30), -120)
		}
	}
	return s, nil
}
