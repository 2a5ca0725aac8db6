package realio

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/exact"
)

// ExactOutput is the output stage of a bit-exact state (a family's
// NewExactRealState) whose head is a discretized logistic mixture over
// integers one apart in the data's units (16-bit audio: --grid
// -32768,1,65536): beside the float distribution of Output, filled from
// the same raw outputs, each dimension's bin probabilities as the integer
// cumulative frequencies of exact.DLogisticMix, which an arithmetic coder
// reads and which are the same on every platform. Its edges are those of
// the head's grid, in standardized units, as the head is trained.
type ExactOutput struct {
	*Output
	mix   []*exact.DLogisticMix
	k     int
	lo    int   // the integer value of bin 0
	err   error // why the head cannot code integers (nil if it can)
	fresh bool
}

// NewExactOutput returns the exact output stage of s. Its Ints reports an
// error if the head is not a discretized logistic mixture over a grid of
// integers one apart (in the data's units).
func (s *Spec) NewExactOutput() *ExactOutput {
	o := &ExactOutput{Output: s.NewOutput()}
	h := s.Head
	if h.Kind != dist.KindDiscretizedLogistic {
		o.err = fmt.Errorf("a %s head has no exact probabilities of integers (it needs dlogistic:K)", h)
		return o
	}
	if h.Grid.N > exact.MaxDLogisticBins {
		o.err = fmt.Errorf("%d bins, more than the %d the coder takes", h.Grid.N, exact.MaxDLogisticBins)
		return o
	}
	// The grid in the data's units: Lo·scale + mean, Step·scale.
	lo := h.Grid.Lo*s.Scale[0] + s.Mean[0]
	step := h.Grid.Step * s.Scale[0]
	if math.Abs(step-1) > 1e-6 || math.Abs(lo-math.Round(lo)) > 1e-6 || math.Abs(lo) > 1<<40 {
		o.err = fmt.Errorf("its bins (from %g, %g apart) are not the integers (train with --grid LO,1,N)", lo, step)
		return o
	}
	o.lo = int(math.Round(lo))
	o.k = h.K
	for range s.Dim() {
		o.mix = append(o.mix, exact.NewDLogisticMix(h.K, h.Grid.Lo, h.Grid.Step, h.Grid.N))
	}
	return o
}

// Fill sets the distribution and the integer tables from raw and returns
// the distribution.
func (o *ExactOutput) Fill(raw []float32) dist.Dist {
	d := o.Output.Fill(raw)
	for i, m := range o.mix {
		m.Set(raw[3*o.k*i : 3*o.k*(i+1)])
	}
	return d
}

// Ints returns the integers the tables cover, lo … lo+n−1 (values below
// and above fall in the end bins), or why the head has no tables.
func (o *ExactOutput) Ints() (lo, n int, err error) {
	if o.err != nil {
		return 0, 0, o.err
	}
	return o.lo, o.mix[0].N, nil
}

// Cum is dimension i's cumulative frequency of the values below lo+j,
// 0 ≤ j ≤ n; Cum(i, n) is the total, at most 2³¹.
func (o *ExactOutput) Cum(i, j int) uint32 { return o.mix[i].Cum(j) }

// Find is the j with Cum(i, j) ≤ target < Cum(i, j+1).
func (o *ExactOutput) Find(i int, target uint32) int { return o.mix[i].Find(target) }

// HighwayExact is HighwayForward for one step on the exact path: raw +=
// exact.Linear(w, in), the product written to tmp (Outputs values) first.
func (s *Spec) HighwayExact(raw, in, w, tmp []float32) {
	exact.Linear(tmp, in, w, nil, 1, s.Inputs(), s.Outputs())
	exact.Add(raw, tmp)
}
