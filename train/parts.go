package train

import (
	"math/rand/v2"
)

// LossParts is implemented by a Model whose loss is a sum of named parts
// (a VAE's reconstruction and KL terms). After each Forward it returns
// the parts, in nats summed over the pass's targets as the loss is, and
// the settings of the objective at the step (a KL weight), each by name
// (the same names at every call). The trainer reports the parts as means
// per target and the settings as they are, in the history beside the loss
// (Point.Parts, Point.ValParts).
type LossParts interface {
	LossParts() (sums, settings map[string]float64)
}

// partsAcc accumulates the parts of the forward passes of one step or one
// validation.
type partsAcc struct {
	sums, settings map[string]float64
	n              int // targets
}

// forward runs the model's Forward (from a zero state for a recurrent
// model in sentence batches) and accumulates its loss parts.
func (t *Trainer) forward(x, y []int32, B, T int, rng *rand.Rand) (float64, int) {
	if r, ok := t.Model.(Recurrent); ok && t.Opts.Sentences {
		clear(r.Carry(B))
	}
	s, n := t.Model.(Model).Forward(x, y, B, T, rng)
	lp, ok := t.Model.(LossParts)
	if !ok {
		return s, n
	}
	a := &t.parts
	if a.sums == nil {
		a.sums, a.settings = map[string]float64{}, map[string]float64{}
	}
	sums, settings := lp.LossParts()
	for k, v := range sums {
		a.sums[k] += v
	}
	for k, v := range settings {
		a.settings[k] = v
	}
	a.n += n
	return s, n
}

// takeParts returns the accumulated parts (sums as means per target) and
// the settings, and starts a new accumulation; nil when there are none.
func (t *Trainer) takeParts() map[string]float64 {
	a := &t.parts
	if len(a.sums)+len(a.settings) == 0 {
		return nil
	}
	out := make(map[string]float64, len(a.sums)+len(a.settings))
	for k, v := range a.sums {
		out[k] = v / float64(max(a.n, 1))
	}
	for k, v := range a.settings {
		out[k] = v
	}
	*a = partsAcc{}
	return out
}
