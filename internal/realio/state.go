package realio

import (
	"fmt"
	"math"
	"slices"

	"github.com/autoreg/autoreg/dist"
)

// maxRun is the most input vectors History.Append hands to its network in
// one call, which bounds its buffer.
const maxRun = 1024

// History is the inference side of a real-valued state: the standardized
// past the input vectors read (the last Past()+1 steps, the training mean
// before the series starts), the step count, and the driver of Append.
// The family's network is reached through the functions Append takes, so
// one History serves every family. Nothing allocates after the first
// Append of the longest run.
type History struct {
	spec *Spec
	d, w int
	ring []float32 // z of the last w steps, oldest first from pos, stored twice
	pos  int
	n    int
	z    []float32 // one step in standardized units
	ins  []float32 // input vectors waiting for the network
}

// NewHistory returns the empty history of s.
func NewHistory(s *Spec) *History {
	h := &History{spec: s, d: s.Dim(), w: s.Past() + 1}
	h.ring = make([]float32, 2*h.w*h.d)
	h.z = make([]float32, h.d)
	h.ins = make([]float32, 0, s.Inputs())
	return h
}

// Len is the number of steps appended since Reset.
func (h *History) Len() int { return h.n }

// Reset returns to the empty history: every past value the training mean.
func (h *History) Reset() {
	clear(h.ring)
	h.pos, h.n = 0, 0
}

// CopyTo makes dst, a History of the same Spec, a copy of h.
func (h *History) CopyTo(dst *History) {
	if dst.spec != h.spec {
		panic("realio: History.CopyTo: a history of another model")
	}
	copy(dst.ring, h.ring)
	dst.pos, dst.n = h.pos, h.n
}

// push appends z as the newest step.
func (h *History) push(z []float32) {
	d, w := h.d, h.w
	copy(h.ring[h.pos*d:(h.pos+1)*d], z)
	copy(h.ring[(h.pos+w)*d:(h.pos+w+1)*d], z)
	if h.pos++; h.pos == w {
		h.pos = 0
	}
	h.n++
}

// at returns the step ago steps before the newest (0 = the newest).
func (h *History) at(ago int) []float32 {
	k := h.pos + h.w - 1 - ago
	return h.ring[k*h.d : (k+1)*h.d]
}

// Input writes the input vector of the newest step into dst (Inputs
// values): the empty history's is every value at the training mean, zero.
func (h *History) Input(dst []float32) {
	d := h.d
	copy(dst[:d], h.at(0))
	for j, l := range h.spec.Lags {
		copy(dst[(j+1)*d:(j+2)*d], h.at(l-1))
	}
}

// input appends the input vector of the newest step to h.ins.
func (h *History) input() {
	n, nin := len(h.ins), h.spec.Inputs()
	h.ins = slices.Grow(h.ins, nin)[:n+nin]
	h.Input(h.ins[n:])
}

// Append conditions on xs (whole steps in the data's units): each step is
// standardized, pushed into the history, and its input vector handed to
// run, which advances the network; run(in, n) receives n input vectors of
// Inputs() values, in order, up to maxRun at a time. A missing value (NaN)
// is the predictive mean: before such a step, the pending input vectors go
// to run and predict() is asked for the distribution of the step (it must
// reflect every step run has seen). Infinite values and a length that is
// not whole steps panic.
func (h *History) Append(xs []float64, run func(in []float32, n int), predict func() dist.Dist) {
	d, s := h.d, h.spec
	if len(xs)%d != 0 {
		panic(fmt.Sprintf("realio: Append of %d values, not whole steps of %d", len(xs), d))
	}
	nin := s.Inputs()
	flush := func() {
		if n := len(h.ins) / nin; n > 0 {
			run(h.ins, n)
			h.ins = h.ins[:0]
		}
	}
	for t := 0; t < len(xs); t += d {
		step := xs[t : t+d]
		var pred dist.Dist
		for i, v := range step {
			switch {
			case math.IsInf(v, 0):
				panic("realio: Append of an infinite value")
			case math.IsNaN(v):
				if pred == nil {
					flush()
					pred = predict()
				}
				v = pred.Mean(i)
			}
			h.z[i] = s.Standardize(i, v)
		}
		h.push(h.z)
		h.input()
		if len(h.ins) == maxRun*nin {
			flush()
		}
	}
	flush()
}

// Output turns a network's raw outputs into the predictive distribution in
// the data's units, reusing one distribution object.
type Output struct {
	head  dist.Head
	inner dist.Dist // standardized units
	pred  dist.Dist // inner carried to the data's units
}

// NewOutput returns the output stage of s.
func (s *Spec) NewOutput() *Output {
	o := &Output{head: s.Head, inner: s.Head.New(s.Dim())}
	o.pred = dist.NewAffine(o.inner, s.Mean, s.Scale)
	return o
}

// Fill sets the distribution from raw (Outputs values) and returns it.
func (o *Output) Fill(raw []float32) dist.Dist {
	o.head.Fill(o.inner, raw)
	return o.pred
}

// Dist is the distribution the last Fill set.
func (o *Output) Dist() dist.Dist { return o.pred }
