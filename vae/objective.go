package vae

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Objective holds the training-time remedies against posterior collapse
// (see the package doc). The zero value is the plain ELBO.
type Objective struct {
	// Anneal schedules the weight β of the KL term over the training
	// steps (the zero value keeps β = 1).
	Anneal Anneal `json:"anneal"`
	// FreeBits is λ, in nats per latent dimension: a dimension whose KL,
	// averaged over the batch's sentences, is below λ contributes λ
	// instead (Kingma et al. 2016), so its gradient does not pull it
	// towards the prior. 0 is off.
	FreeBits float64 `json:"free_bits"`
	// WordDropout is the probability that a decoder input token (after
	// <s>) is replaced by <unk> in training (Bowman et al. 2016).
	WordDropout float64 `json:"word_dropout"`
}

// Check reports settings out of range.
func (o Objective) Check() error {
	if !(o.FreeBits >= 0 && o.FreeBits <= 1e3) {
		return fmt.Errorf("vae: free bits %g, want 0..1000 nats per dimension", o.FreeBits)
	}
	if !(o.WordDropout >= 0 && o.WordDropout < 1) {
		return fmt.Errorf("vae: word dropout %g, want [0, 1)", o.WordDropout)
	}
	return o.Anneal.Check()
}

// Anneal kinds.
const (
	AnnealNone     = "none"
	AnnealLinear   = "linear"
	AnnealCyclical = "cyclical"
)

// Anneal is a schedule of the KL weight β over the training steps.
type Anneal struct {
	// Kind is AnnealNone (or empty: β = 1), AnnealLinear (β rises from 0
	// to 1 over Steps steps, then stays 1; Bowman et al.) or
	// AnnealCyclical (Fu et al. 2019: the run is cut into Cycles equal
	// cycles; in each, β rises linearly from 0 to 1 over the first Ratio
	// of the cycle and stays 1 for the rest).
	Kind   string  `json:"kind,omitempty"`
	Steps  int     `json:"steps,omitempty"`
	Cycles int     `json:"cycles,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"`
}

// ParseAnneal parses a schedule: "none", "linear:N" (N steps) or
// "cyclical:M" or "cyclical:M:R" (M cycles, the rising part R of each,
// 0.5 by default).
func ParseAnneal(s string) (Anneal, error) {
	parts := strings.Split(s, ":")
	bad := fmt.Errorf("vae: KL schedule %q: want none, linear:STEPS or cyclical:CYCLES[:RATIO]", s)
	switch {
	case s == "" || s == AnnealNone:
		return Anneal{}, nil
	case parts[0] == AnnealLinear && len(parts) == 2:
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			return Anneal{}, bad
		}
		a := Anneal{Kind: AnnealLinear, Steps: n}
		return a, a.Check()
	case parts[0] == AnnealCyclical && (len(parts) == 2 || len(parts) == 3):
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			return Anneal{}, bad
		}
		a := Anneal{Kind: AnnealCyclical, Cycles: n, Ratio: 0.5}
		if len(parts) == 3 {
			if a.Ratio, err = strconv.ParseFloat(parts[2], 64); err != nil {
				return Anneal{}, bad
			}
		}
		return a, a.Check()
	}
	return Anneal{}, bad
}

// String is the schedule in ParseAnneal's syntax.
func (a Anneal) String() string {
	switch a.Kind {
	case AnnealLinear:
		return fmt.Sprintf("linear:%d", a.Steps)
	case AnnealCyclical:
		return fmt.Sprintf("cyclical:%d:%g", a.Cycles, a.Ratio)
	}
	return AnnealNone
}

// Check reports a schedule out of range.
func (a Anneal) Check() error {
	switch a.Kind {
	case "", AnnealNone:
		if a.Steps != 0 || a.Cycles != 0 || a.Ratio != 0 {
			return errors.New("vae: settings of a KL schedule without a kind")
		}
	case AnnealLinear:
		if a.Steps < 1 || a.Steps > 1<<30 {
			return fmt.Errorf("vae: linear KL schedule over %d steps, want 1..2³⁰", a.Steps)
		}
	case AnnealCyclical:
		if a.Cycles < 1 || a.Cycles > 1<<20 || !(a.Ratio > 0 && a.Ratio <= 1) {
			return fmt.Errorf("vae: cyclical KL schedule of %d cycles rising over %g of each, want 1..2²⁰ cycles and a ratio in (0, 1]", a.Cycles, a.Ratio)
		}
	default:
		return fmt.Errorf("vae: unknown KL schedule %q", a.Kind)
	}
	return nil
}

// Weight returns β at step (0-based) of a run of steps steps.
func (a Anneal) Weight(step, steps int) float64 {
	switch a.Kind {
	case AnnealLinear:
		return min(1, float64(step)/float64(a.Steps))
	case AnnealCyclical:
		period := float64(max(steps, 1)) / float64(a.Cycles)
		tau := math.Mod(float64(step), period) / period
		return min(1, tau/a.Ratio)
	}
	return 1
}

// The per-sentence pieces of the objective, on a batch of B rows of the
// encoder's output post = [μ | ln σ²] (B, 2D). Each has its gradient,
// checked by central differences in the tests.

// reparamForward draws z = μ + σ⊙ε (B,D) given the noise eps (B,D).
func reparamForward(z, post, eps []float32, B, D int) {
	for b := range B {
		mu, lv := post[b*2*D:b*2*D+D], post[b*2*D+D:(b+1)*2*D]
		for d := range D {
			z[b*D+d] = mu[d] + float32(math.Exp(0.5*float64(lv[d])))*eps[b*D+d]
		}
	}
}

// reparamBackward accumulates into dpost (B,2D) the gradient reaching μ
// and ln σ² from dz: ∂z/∂μ = 1, ∂z/∂ln σ² = ½σε.
func reparamBackward(dpost, dz, post, eps []float32, B, D int) {
	for b := range B {
		lv := post[b*2*D+D : (b+1)*2*D]
		dmu, dlv := dpost[b*2*D:b*2*D+D], dpost[b*2*D+D:(b+1)*2*D]
		for d := range D {
			g := dz[b*D+d]
			dmu[d] += g
			dlv[d] += g * 0.5 * float32(math.Exp(0.5*float64(lv[d]))) * eps[b*D+d]
		}
	}
}

// klForward writes the KL of every row and dimension, ½(μ² + σ² − 1 −
// ln σ²), into kl (B,D) and returns their sum.
func klForward(kl []float64, post []float32, B, D int) float64 {
	var sum float64
	for b := range B {
		mu, lv := post[b*2*D:b*2*D+D], post[b*2*D+D:(b+1)*2*D]
		for d := range D {
			m, l := float64(mu[d]), float64(lv[d])
			k := 0.5 * (m*m + math.Exp(l) - 1 - l)
			kl[b*D+d] = k
			sum += k
		}
	}
	return sum
}

// klBackward accumulates into dpost the gradient of scale·β·Σ_d
// max(λ·B, Σ_b KL_bd), the KL term of the objective with free bits λ
// (freeBits; 0 is off) per dimension averaged over the batch: ∂KL/∂μ = μ,
// ∂KL/∂ln σ² = ½(σ² − 1), and nothing for a dimension held at λ.
func klBackward(dpost, post []float32, kl []float64, B, D int, scale, beta, freeBits float64) {
	for d := range D {
		if freeBits > 0 {
			var s float64
			for b := range B {
				s += kl[b*D+d]
			}
			if s < freeBits*float64(B) {
				continue
			}
		}
		for b := range B {
			m, l := float64(post[b*2*D+d]), float64(post[b*2*D+D+d])
			dpost[b*2*D+d] += float32(scale * beta * m)
			dpost[b*2*D+D+d] += float32(scale * beta * 0.5 * (math.Exp(l) - 1))
		}
	}
}
