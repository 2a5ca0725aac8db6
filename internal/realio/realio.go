// Package realio is the real-valued input and output stage the neural
// families (rnn, gpt) share when they model time series instead of tokens:
// what goes into the network at a step, and what comes out of it.
//
// In: the network reads standardized values z = (x − Mean)/Scale (the
// training part's mean and population standard deviation per dimension),
// never raw ones, so one learning rate and one initialization suit any
// series. The input vector of step t, which predicts step t+1, holds z_t
// and, for each extra lag ℓ of the [Spec], z_{t+1−ℓ}: lagged values of the
// series itself, as DeepAR (Salinas, Flunkert, Gasthaus and Januschowski
// 2020) feeds its network, so that a yearly or weekly pattern is in view
// without the network having to carry it through hundreds of steps. The
// layout is lag-major: input[j·D + i] is dimension i at lag j (j = 0 the
// last step, then Lags in order). Before a series starts the past is the
// training mean (z = 0), as for AR.
//
// Out: the network emits D·Head.Params() raw values per step, which
// [dist.Head] turns into a distribution over z; a [dist.Affine] carries it
// to the data's units ([Output]). Training minimizes the head's negative
// log-likelihood of the standardized targets ([Spec.Loss]), so a training
// loss is an NLL on the standardized scale (NLL_raw = NLL_std + Σ ln Scale
// per step).
//
// Missing values (NaN): a state conditions on its own predictive mean for
// them (the seam's rule; [History.Append]). In training, where the network
// runs many steps at once, a missing input is read as the training mean
// (z = 0) and the targets of every step whose inputs held a missing value
// are not scored, nor are missing targets ([Spec.Windows]).
package realio

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/kernels"
)

// Limits of a Spec.
const (
	MaxDim  = 1 << 12
	MaxLags = 64
	MaxLag  = 1 << 16
)

// Spec is a real-valued network's input and output stage.
type Spec struct {
	// Head is the output distribution, in standardized units (a dlogistic
	// head's grid too).
	Head dist.Head
	// Lags are the extra lags (≥ 2, ascending) whose values join the last
	// step in the input; lag 1 is always there.
	Lags []int
	// Mean and Scale standardize each dimension: z = (x − Mean)/Scale.
	// With a dlogistic head every dimension has the same Mean and Scale
	// (its grid is shared).
	Mean, Scale []float64
	// Highway adds a linear map of the step's input vector to the head's
	// raw outputs, beside the network: raw = net(h) + W_hw·input (see
	// Highway).
	Highway bool
}

// Dim is D, the values of a step.
func (s *Spec) Dim() int { return len(s.Mean) }

// Inputs is the width of a step's input vector, D·(1 + len(Lags)).
func (s *Spec) Inputs() int { return s.Dim() * (1 + len(s.Lags)) }

// Outputs is the width of a step's raw outputs, D·Head.Params().
func (s *Spec) Outputs() int { return s.Dim() * s.Head.Params() }

// Past is how many steps before an input step its input vector reads: the
// largest lag minus one (0 without extra lags).
func (s *Spec) Past() int {
	if len(s.Lags) == 0 {
		return 0
	}
	return s.Lags[len(s.Lags)-1] - 1
}

// Check reports a Spec no model can have.
func (s *Spec) Check() error {
	d := s.Dim()
	if d < 1 || d > MaxDim || len(s.Scale) != d {
		return fmt.Errorf("%d values per step and %d scales: want 1..%d of each", d, len(s.Scale), MaxDim)
	}
	if err := s.Head.Check(); err != nil {
		return err
	}
	if len(s.Lags) > MaxLags {
		return fmt.Errorf("%d lags, at most %d", len(s.Lags), MaxLags)
	}
	for k, l := range s.Lags {
		if l < 2 || l > MaxLag || (k > 0 && l <= s.Lags[k-1]) {
			return fmt.Errorf("lags %v: want ascending lags in 2..%d (lag 1 is always an input)", s.Lags, MaxLag)
		}
	}
	for i := range d {
		m, sc := s.Mean[i], s.Scale[i]
		if math.IsNaN(m) || math.IsInf(m, 0) || !(sc > 0) || math.IsInf(sc, 0) {
			return fmt.Errorf("dimension %d: mean %g and scale %g must be finite, the scale positive", i, m, sc)
		}
		if s.Head.Kind == dist.KindDiscretizedLogistic && (m != s.Mean[0] || sc != s.Scale[0]) {
			return errors.New("a dlogistic head shares its grid among the dimensions: every dimension needs the same mean and scale")
		}
	}
	return nil
}

// ParseLags reads a comma-separated list of extra lags ("7,14,364"), sorted
// and without repeats; "" is none. Lag 1 may be listed (it is always an
// input) and is dropped.
func ParseLags(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range splitComma(s) {
		var l int
		if _, err := fmt.Sscan(f, &l); err != nil || l < 1 || l > MaxLag || fmt.Sprint(l) != f {
			return nil, fmt.Errorf("lag %q: want an integer in 1..%d", f, MaxLag)
		}
		if l > 1 {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxLags {
		return nil, fmt.Errorf("%d lags, at most %d", len(out), MaxLags)
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// Standardize returns (x − Mean[i])/Scale[i] as a float32 input (NaN stays
// NaN).
func (s *Spec) Standardize(i int, x float64) float32 {
	return float32((x - s.Mean[i]) / s.Scale[i])
}

// Windows fills the inputs and targets of B training windows of T steps.
// Row b of x holds Past()+T steps (data units, NaN missing or before the
// series), the history the lags reach back to and then the T input steps;
// row b of y holds the T target steps, step t of y following input step t.
// in receives (B·T, Inputs) input vectors and tgt (B·T, D) standardized
// targets, window b's step t at row t·B+b when timeMajor (the recurrent
// layout) and b·T+t otherwise. A missing input is written as 0, and every
// target of a step with a missing input is NaN (not scored).
func (s *Spec) Windows(in, tgt []float32, x, y []float64, B, T int, timeMajor bool) {
	d, P, nin := s.Dim(), s.Past(), s.Inputs()
	if len(x) < B*(P+T)*d || len(y) < B*T*d || len(in) < B*T*nin || len(tgt) < B*T*d {
		panic(fmt.Sprintf("realio: Windows: B=%d T=%d with %d history values, %d targets", B, T, len(x), len(y)))
	}
	for b := range B {
		xb := x[b*(P+T)*d : (b+1)*(P+T)*d]
		for t := range T {
			r := b*T + t
			if timeMajor {
				r = t*B + b
			}
			row := in[r*nin : (r+1)*nin]
			missing := s.input(row, xb, P+t)
			tr := tgt[r*d : (r+1)*d]
			for i := range d {
				tr[i] = s.Standardize(i, y[(b*T+t)*d+i])
				if missing {
					tr[i] = float32(math.NaN())
				}
			}
		}
	}
}

// input writes the input vector of step t of xs (data units) into row and
// reports whether a value it reads is missing (written as 0).
func (s *Spec) input(row []float32, xs []float64, t int) (missing bool) {
	d := s.Dim()
	put := func(j, step int) {
		for i := range d {
			v := s.Standardize(i, xs[step*d+i])
			if v != v {
				v, missing = 0, true
			}
			row[j*d+i] = v
		}
	}
	put(0, t)
	for j, l := range s.Lags {
		put(j+1, t+1-l)
	}
	return missing
}

// Loss returns the summed negative log-likelihood of the standardized
// targets tgt (N, D; NaN not scored) under the raw outputs raw (N,
// Outputs), and the number of scored values, and writes the gradient of
// the sum with respect to raw into grad (zero for unscored values). If
// rows is not nil it receives each row's loss (N; 0 where nothing is
// scored), which sequence-level training weights.
func (s *Spec) Loss(grad, raw, tgt []float32, N int, rows []float32) (sum float64, n int) {
	d, no := s.Dim(), s.Outputs()
	for r := range N {
		tr := tgt[r*d : (r+1)*d]
		l := s.Head.NLLGrad(grad[r*no:(r+1)*no], raw[r*no:(r+1)*no], tr)
		sum += l
		if rows != nil {
			rows[r] = float32(l)
		}
		for _, v := range tr {
			if v == v {
				n++
			}
		}
	}
	return sum, n
}

// LogDensities writes into dst (N) the log-density in the data's units of
// each target row tgt (N, D; standardized) under raw (N, Outputs): the
// head's −NLL minus Σ ln Scale (a dlogistic head's bin masses need no such
// term), or NaN for a row with an unscored value.
// It is the training path's per-step answer, for comparing with a state's
// predictions.
func (s *Spec) LogDensities(dst []float64, raw, tgt []float32, N int) {
	d, no := s.Dim(), s.Outputs()
	grad := make([]float32, no)
	var lnScale float64
	for _, sc := range s.Scale {
		if s.Head.Kind != dist.KindDiscretizedLogistic {
			lnScale += math.Log(sc)
		}
	}
	for r := range N {
		tr := tgt[r*d : (r+1)*d]
		dst[r] = -s.Head.NLLGrad(grad, raw[r*no:(r+1)*no], tr) - lnScale
		for _, v := range tr {
			if v != v {
				dst[r] = math.NaN()
			}
		}
	}
}

// WeightRows multiplies the raw outputs' gradient draw (B·T rows of
// Outputs) of B windows of T steps by each window's weight w[b]: window b's
// step t is row t·B+b when timeMajor and b·T+t otherwise (see Windows). A
// backward pass then takes the gradient of Σ_b w[b]·(window b's summed
// loss), a weight per sequence, as sequence-level objectives need.
func (s *Spec) WeightRows(draw, w []float32, B, T int, timeMajor bool) {
	no := s.Outputs()
	if len(w) < B || len(draw) < B*T*no {
		panic(fmt.Sprintf("realio: WeightRows: %d weights, %d gradients for B=%d T=%d", len(w), len(draw), B, T))
	}
	for b := range B {
		for t := range T {
			r := b*T + t
			if timeMajor {
				r = t*B + b
			}
			kernels.Scale(w[b], draw[r*no:(r+1)*no])
		}
	}
}

// FillRow fills d (made by Head.New(Dim())) with the distribution over
// standardized values of row r of raw (N, Outputs): what the network
// predicted at that row of a training pass.
func (s *Spec) FillRow(d dist.Dist, raw []float32, r int) {
	no := s.Outputs()
	s.Head.Fill(d, raw[r*no:(r+1)*no])
}

// Highway is the autoregressive "highway" of LSTNet (Lai, Chang, Yang and
// Liu 2018, "Modeling Long- and Short-Term Temporal Patterns with Deep
// Neural Networks"): a linear map from a step's input vector (the last
// value and its lags) straight to the head's raw outputs, added to what
// the network computes. The network's output passes through saturating
// nonlinearities and so extrapolates badly when a series drifts past the
// levels it was trained on; the linear part carries the level and the
// lags' linear structure (an AR model over the lags, one per raw output:
// each mixture component's location, log scale and weight), and the
// network models what is left.
//
// HighwayForward adds in (N, Inputs) · wᵀ to raw (N, Outputs), w being
// (Outputs, Inputs).
func (s *Spec) HighwayForward(raw, in, w []float32, N int) {
	nin, no := s.Inputs(), s.Outputs()
	kernels.Sgemm(false, true, N, no, nin, 1, in[:N*nin], nin, w, nin, 1, raw[:N*no], no)
}

// HighwayBackward adds drawᵀ · in to dw, the gradient of the highway's
// weights given draw (N, Outputs), the raw outputs' gradient.
func (s *Spec) HighwayBackward(dw, draw, in []float32, N int) {
	nin, no := s.Inputs(), s.Outputs()
	kernels.Sgemm(true, false, no, nin, N, 1, draw[:N*no], no, in[:N*nin], nin, 1, dw, nin)
}

// Base is what a real-valued network embeds: its Spec, and the accessors
// the seam and the trainer read from it.
type Base struct {
	Spec Spec
}

// Dim is the number of values in a step.
func (b *Base) Dim() int { return b.Spec.Dim() }

// Past is how many steps before a training window's first input its
// inputs read (the largest lag minus one).
func (b *Base) Past() int { return b.Spec.Past() }

// Head is the output distribution's parametrization, over standardized
// values.
func (b *Base) Head() dist.Head { return b.Spec.Head }

// Lags are the extra lags in the input (lag 1 is always there).
func (b *Base) Lags() []int { return b.Spec.Lags }

// Highway reports whether a linear highway joins the inputs to the head.
func (b *Base) Highway() bool { return b.Spec.Highway }

// Standardization returns the mean and scale of each dimension: the
// network reads (x − mean)/scale.
func (b *Base) Standardization() (mean, scale []float64) { return b.Spec.Mean, b.Spec.Scale }
