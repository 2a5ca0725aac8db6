// Command audio-anchor computes the classic predictive anchor of the
// project's audio benchmarks, as the data README defines it: a 16-tap
// linear predictor with an adaptive Laplace residual, scored as an exact
// code length in bits per sample.
//
// Each channel is modelled separately. The mean is μ_t = Σ_{i=1..16}
// a_i·x[t−i] on the integer samples (zero before the start), the scale b_t
// the mean |x − μ| of the previous 8 samples (floored at 0.5), and the
// predictive is Laplace(μ_t, b_t) integrated over each value's bin (end
// bins open) mixed with 10⁻³ of the uniform distribution. With -mulaw the
// signal is the μ-law-decoded one (WaveNet's companding, as the mulaw
// tokenizer pins it) and the bins are the μ-law codes' intervals (256
// values); otherwise the bins are the 65,536 16-bit values.
//
// The coefficients come from weighted least squares over -fit files, or
// over the scored file itself when -fit is not given (the README's
// in-sample anchor): three passes, the first ordinary, the next two
// minimizing Σ ((x_t − μ_t)/b_t)² with b_t from the previous pass. On the
// shared clips this gives the README's 10.277 (speech) and 10.068 (music)
// bits per sample, and 4.843 for μ-law speech (the README says 4.842; the
// μ-law bins here end halfway between two codes on the companded scale). -tail scores only the last fraction of the scored file, with the
// samples before it as history (the μ-law acceptance split).
//
// Usage:
//
//	audio-anchor [-mulaw] [-fit train.wav,...] [-tail 0.2] scored.wav
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavfile"
)

const (
	order   = 16
	window  = 8
	uniform = 1e-3
)

func main() {
	mulaw := flag.Bool("mulaw", false, "model the μ-law codes (bins of the μ-law-decoded signal) instead of 16-bit values")
	fit := flag.String("fit", "", "comma-separated WAV files to fit the coefficients on (default: the scored file)")
	tail := flag.Float64("tail", 1, "score the last `FRACTION` of the file's frames, the rest as history")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: audio-anchor [-mulaw] [-fit A.wav,B.wav] [-tail F] SCORED.wav")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *fit, *tail, *mulaw); err != nil {
		fmt.Fprintln(os.Stderr, "audio-anchor:", err)
		os.Exit(1)
	}
}

// channels reads a WAV file's 16-bit samples, one slice per channel; with
// mulaw, each sample is replaced by its μ-law code's decoded value.
func channels(path string, mulaw bool) ([][]float64, error) {
	f, err := wavfile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Format.Encoding != wavfile.PCM || f.Format.Bits != 16 {
		return nil, fmt.Errorf("%s: %d-bit %s, want 16-bit PCM", path, f.Format.Bits, f.Format.Encoding)
	}
	ints, _ := f.Ints(nil)
	ch := f.Format.Channels
	out := make([][]float64, ch)
	for i, v := range ints {
		x := float64(v)
		if mulaw {
			x = float64(tokenize.MuLawSample(tokenize.MuLawCode(int16(v))))
		}
		out[i%ch] = append(out[i%ch], x)
	}
	return out, nil
}

func run(scored, fit string, tail float64, mulaw bool) error {
	if !(tail > 0 && tail <= 1) {
		return errors.New("-tail wants a fraction in (0, 1]")
	}
	sc, err := channels(scored, mulaw)
	if err != nil {
		return err
	}
	var fitFiles [][][]float64
	if fit == "" {
		fitFiles = [][][]float64{sc}
	} else {
		for _, p := range strings.Split(fit, ",") {
			c, err := channels(p, mulaw)
			if err != nil {
				return err
			}
			if len(c) != len(sc) {
				return fmt.Errorf("%s has %d channels, %s %d", p, len(c), scored, len(sc))
			}
			fitFiles = append(fitFiles, c)
		}
	}
	bins := newBins(mulaw)
	var bits float64
	var n int
	for c := range sc {
		var series [][]float64
		for _, f := range fitFiles {
			series = append(series, f[c])
		}
		a := fitLPC(series)
		b, k := score(sc[c], a, tail, bins)
		bits += b
		n += k
	}
	out := map[string]any{"file": scored, "mulaw": mulaw, "tail": tail, "samples": n, "bits_per_sample": bits / float64(n)}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// scales returns b_t for every t of x given the predictions mu: the mean
// |x − μ| over the previous window samples (as many as there are), floored
// at 0.5.
func scales(x, mu []float64) []float64 {
	b := make([]float64, len(x))
	var sum float64
	for t := range x {
		k := min(t, window)
		v := 0.5
		if k > 0 {
			v = max(sum/float64(k), 0.5)
		}
		b[t] = v
		sum += math.Abs(x[t] - mu[t])
		if t >= window {
			sum -= math.Abs(x[t-window] - mu[t-window])
		}
	}
	return b
}

// predict returns μ_t = Σ a_i x[t−i] for every t (zero history).
func predict(x, a []float64) []float64 {
	mu := make([]float64, len(x))
	for t := range x {
		var s float64
		for i := 1; i <= order && i <= t; i++ {
			s += a[i-1] * x[t-i]
		}
		mu[t] = s
	}
	return mu
}

// fitLPC fits the 16 coefficients over the series: ordinary least squares,
// then two passes of residuals scaled by 1/b_t of the previous fit.
func fitLPC(series [][]float64) []float64 {
	a := make([]float64, order)
	for pass := range 3 {
		var A [order][order]float64
		var r [order]float64
		for _, x := range series {
			w := make([]float64, len(x))
			if pass == 0 {
				for t := range w {
					w[t] = 1
				}
			} else {
				b := scales(x, predict(x, a))
				for t := range w {
					w[t] = 1 / (b[t] * b[t])
				}
			}
			for t := range x {
				for i := range order {
					hi := lag(x, t, i+1)
					if hi == 0 {
						continue
					}
					r[i] += w[t] * hi * x[t]
					for j := range order {
						A[i][j] += w[t] * hi * lag(x, t, j+1)
					}
				}
			}
		}
		a = solve(A, r)
	}
	return a
}

func lag(x []float64, t, i int) float64 {
	if t-i < 0 {
		return 0
	}
	return x[t-i]
}

// solve solves A·a = r by Gaussian elimination with partial pivoting (a
// tiny ridge keeps a silent channel's system regular).
func solve(A [order][order]float64, r [order]float64) []float64 {
	for i := range order {
		A[i][i] += 1e-9 * (1 + A[i][i])
	}
	for col := range order {
		p := col
		for i := col + 1; i < order; i++ {
			if math.Abs(A[i][col]) > math.Abs(A[p][col]) {
				p = i
			}
		}
		A[col], A[p] = A[p], A[col]
		r[col], r[p] = r[p], r[col]
		for i := col + 1; i < order; i++ {
			f := A[i][col] / A[col][col]
			for j := col; j < order; j++ {
				A[i][j] -= f * A[col][j]
			}
			r[i] -= f * r[col]
		}
	}
	a := make([]float64, order)
	for i := order - 1; i >= 0; i-- {
		s := r[i]
		for j := i + 1; j < order; j++ {
			s -= A[i][j] * a[j]
		}
		a[i] = s / A[i][i]
	}
	return a
}

// binSet is the bins values are coded in: for 16-bit values every integer,
// for μ-law the codes' intervals on the 16-bit scale, which end halfway
// between two codes on the companded scale, F⁻¹(2(k − ½)/255 − 1)·32768.
type binSet struct {
	mulaw  bool
	lo, hi [256]float64 // μ-law: code k's interval [lo, hi) on the 16-bit scale
}

func newBins(mulaw bool) *binSet {
	b := &binSet{mulaw: mulaw}
	if mulaw {
		for k := 1; k < 256; k++ {
			f := 2*(float64(k)-0.5)/255 - 1
			e := (math.Pow(256, math.Abs(f)) - 1) / 255 * 32768
			if f < 0 {
				e = -e
			}
			b.lo[k], b.hi[k-1] = e, e
		}
		b.lo[0], b.hi[255] = math.Inf(-1), math.Inf(1)
	}
	return b
}

// laplaceCDF is the Laplace(μ, b) distribution function.
func laplaceCDF(x, mu, b float64) float64 {
	if x < mu {
		return 0.5 * math.Exp((x-mu)/b)
	}
	return 1 - 0.5*math.Exp(-(x-mu)/b)
}

// mass is the probability of [lo, hi) under Laplace(μ, b), computed on the
// side of μ where it does not cancel.
func mass(lo, hi, mu, b float64) float64 {
	if lo >= mu { // both above: tails
		return 0.5 * (math.Exp(-(lo-mu)/b) - math.Exp(-(hi-mu)/b))
	}
	if hi <= mu {
		return 0.5 * (math.Exp((hi-mu)/b) - math.Exp((lo-mu)/b))
	}
	return laplaceCDF(hi, mu, b) - laplaceCDF(lo, mu, b)
}

// prob is the mixture's probability of the value x.
func (bs *binSet) prob(x, mu, b float64) float64 {
	if bs.mulaw {
		k := tokenize.MuLawCode(int16(x))
		return (1-uniform)*mass(bs.lo[k], bs.hi[k], mu, b) + uniform/256
	}
	lo, hi := x-0.5, x+0.5
	if x == math.MinInt16 {
		lo = math.Inf(-1)
	}
	if x == math.MaxInt16 {
		hi = math.Inf(1)
	}
	return (1-uniform)*mass(lo, hi, mu, b) + uniform/65536
}

// score returns the code length in bits of the last tail of x and the
// number of samples it covers.
func score(x, a []float64, tail float64, bins *binSet) (float64, int) {
	mu := predict(x, a)
	b := scales(x, mu)
	first := int(math.Round((1 - tail) * float64(len(x))))
	var bits float64
	for t := first; t < len(x); t++ {
		bits -= math.Log2(bins.prob(x[t], mu[t], b[t]))
	}
	return bits, len(x) - first
}
