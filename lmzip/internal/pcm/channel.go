package pcm

// Stage is one LMS filter of a cascade: its order and the shift of its
// prediction (a larger order wants a larger shift: its weights are
// smaller).
type Stage struct {
	Order, Shift uint
}

// cascade is a chain of LMS stages in which each stage predicts the
// residual of the stage before it: the first stage's input is the
// channel's whitened signal y, and the cascade's prediction of y is the sum
// of its stages' predictions (each depends only on its own past inputs, so
// the sum is known before y is).
type cascade struct {
	stages []stage
	preds  []int32
	err    int32 // running mean of |residual|, ×16
}

// wideShift is how many more fractional bits the weights of a filter over
// samples wider than 16 bits have: those signals need finer gains (a
// synthetic 24-bit tone codes 6% smaller with 5 than with none, and worse
// with 3 or 8).
const wideShift = 5

func newCascade(cfg []Stage, wide bool, inShift uint) *cascade {
	c := &cascade{preds: make([]int32, len(cfg))}
	for _, s := range cfg {
		if wide {
			c.stages = append(c.stages, newLMS32(s.Order, s.Shift+wideShift))
		} else {
			c.stages = append(c.stages, newLMS16(s.Order, s.Shift, inShift))
		}
	}
	return c
}

// predict returns the cascade's prediction of y.
func (c *cascade) predict() int32 {
	var p int32
	for k, s := range c.stages {
		c.preds[k] = s.predict()
		p += c.preds[k]
	}
	return p
}

// update runs y through the chain, adapting every stage, and tracks the
// mean size of the cascade's residual.
func (c *cascade) update(y int32) {
	in := y
	for k, s := range c.stages {
		out := in - c.preds[k]
		s.update(in, out)
		in = out
	}
	a := min(in, 1<<26)
	if in < 0 {
		a = min(-in, 1<<26)
	}
	c.err += (a*16 - c.err) >> 5
}

// channel predicts one channel's samples: a fixed first-order filter
// y = x − ⌊31·x₋₁/32⌋ (which whitens the spectrum's low end so that the
// LMS filters converge faster), then several cascades in parallel whose
// predictions of y are mixed with weights inversely proportional to the
// fourth power of each cascade's recent mean error, so that at every
// moment the cascade that has been predicting best dominates: a long one
// for sustained tones, a short, fast one for speech and transients
// (OptimFROG and MPEG-4 ALS's RLS-LMS mode also combine predictors of
// several lengths; the inverse-error weighting is this codec's). The
// residual y − prediction is what the residual model codes.
type channel struct {
	prev     int32
	cascades []*cascade
	res      *residualModel
}

func newChannel(cfgs [][]Stage, bits int) *channel {
	c := &channel{res: newResidualModel()}
	for _, cfg := range cfgs {
		c.cascades = append(c.cascades, newCascade(cfg, bits > 16, 0))
	}
	return c
}

// predict returns the mixed prediction of y: Σ wₖ·pₖ / Σ wₖ with
// wₖ = (e_min/eₖ)⁴ in Q16, eₖ the cascade's recent mean error (+1) and
// e_min the smallest of them; the ratio e_min/eₖ is taken in Q12 and
// clamped at 1/8 (a weight below 1/4096 of the best one's).
func (c *channel) predict() int32 {
	if len(c.cascades) == 1 {
		return c.cascades[0].predict()
	}
	emin := c.cascades[0].err
	for _, cs := range c.cascades[1:] {
		emin = min(emin, cs.err)
	}
	emin += 16
	var num, den int64
	for _, cs := range c.cascades {
		q := min((int64(cs.err+16)<<12)/int64(emin), 8<<12)
		q2 := (q * q) >> 12
		w := (int64(1) << 40) / ((q2 * q2) >> 12) // 2^16·(e_min/eₖ)⁴
		num += w * int64(cs.predict())
		den += w
	}
	return int32((num + den>>1) / den)
}

// encode returns the residual of x, adapting the predictors.
func (c *channel) encode(x int32) int32 {
	p := c.predict()
	y := x - (c.prev*31)>>5
	c.prev = x
	for _, cs := range c.cascades {
		cs.update(y)
	}
	return y - p
}

// decode returns the sample whose residual is r, adapting the predictors
// as encode did.
func (c *channel) decode(r int32) int32 {
	y := r + c.predict()
	for _, cs := range c.cascades {
		cs.update(y)
	}
	x := y + (c.prev*31)>>5
	c.prev = x
	return x
}
