package pcm

// Stage is one LMS filter of a cascade: its order and the shift of its
// prediction (a larger order wants a larger shift: its weights are
// smaller).
type Stage struct {
	Order, Shift uint
}

// channel predicts one channel's samples: a fixed first-order filter
// y = x − ⌊31·x₋₁/32⌋ (which whitens the spectrum's low end so that the
// LMS filters converge faster), then the cascade: each stage predicts the
// residual of the stage before it, and the last stage's residual is what
// the residual model codes.
type channel struct {
	prev   int32
	stages []*lms
	preds  []int32
	res    *residualModel
}

func newChannel(stages []Stage, inShift uint) *channel {
	c := &channel{res: newResidualModel(), preds: make([]int32, len(stages))}
	for _, s := range stages {
		c.stages = append(c.stages, newLMS(s.Order, s.Shift, inShift))
	}
	return c
}

// predictAll computes every stage's prediction of its next input.
func (c *channel) predictAll() {
	for k, s := range c.stages {
		c.preds[k] = s.predict()
	}
}

// encode returns the residual of x, adapting the cascade.
func (c *channel) encode(x int32) int32 {
	c.predictAll()
	in := x - (c.prev*31)>>5
	c.prev = x
	for k, s := range c.stages {
		out := in - c.preds[k]
		s.update(in, out)
		in = out
	}
	return in
}

// decode returns the sample whose residual is r, adapting the cascade as
// encode did.
func (c *channel) decode(r int32) int32 {
	c.predictAll()
	// Run the cascade backwards: each stage's input is its output plus
	// its prediction.
	out := r
	for k := len(c.stages) - 1; k >= 0; k-- {
		in := out + c.preds[k]
		c.stages[k].update(in, out)
		out = in
	}
	x := out + (c.prev*31)>>5
	c.prev = x
	return x
}
