package decode

import (
	"math"

	"github.com/autoreg/autoreg"
)

// Classifier-free guidance: the semantics are in the package documentation
// (doc.go), "Classifier-free guidance".

// guide writes the guided log-probabilities log-softmax(ln + γ(lp − ln))
// into dst (length of lp and ln), with banned tokens and tokens with
// lp = −∞ at −∞, and the limits above where ln = −∞. NaN counts as −∞. It
// reports false when no token is left. The arithmetic is float64 per token,
// the normalizer a fixed-order float64 sum: deterministic, allocation-free.
func guide(dst, lp, ln []float32, gamma float64, banned []autoreg.Token) bool {
	// The model's scores with banned tokens out; NaN → −Inf.
	for i, v := range lp {
		if v != v {
			v = negInf
		}
		dst[i] = v
	}
	for _, t := range banned {
		dst[t] = negInf
	}
	// Does the γ > 1 limit apply (a token only the negative branch rules out)?
	only := false
	if gamma > 1 {
		for i, a := range dst {
			if a > negInf && !(ln[i] > negInf) {
				only = true
				break
			}
		}
	}
	score := func(i int) float64 {
		a, b := dst[i], ln[i]
		switch {
		case !(a > negInf):
			return math.Inf(-1)
		case only:
			if b > negInf {
				return math.Inf(-1)
			}
			return gamma * float64(a)
		case !(b > negInf): // γ < 1: the limit is −∞
			return math.Inf(-1)
		}
		s := float64(b) + gamma*(float64(a)-float64(b))
		return min(s, math.MaxFloat64) // a finite maximum for the shift
	}
	m := math.Inf(-1)
	for i := range dst {
		m = max(m, score(i))
	}
	if math.IsInf(m, -1) {
		return false
	}
	// Shift by the maximum (in float64, so a large γ cannot overflow the
	// float32 scores), then subtract the log of the normalizer.
	for i := range dst {
		dst[i] = float32(score(i) - m)
	}
	z := float32(math.Log(sumExpDense(dst, 0)))
	for i, v := range dst {
		dst[i] = v - z
	}
	return true
}

// negCondition builds the negative branch's condition for prompt into buf
// (see the package documentation): the negative prompt (or prompt) with the
// negative control code, if any, after a leading BOS.
func negCondition(buf []autoreg.Token, v autoreg.Vocab, prompt []autoreg.Token, cfg *Config) []autoreg.Token {
	if len(cfg.CFGNegativePrompt) > 0 {
		prompt = cfg.CFGNegativePrompt
	}
	buf = buf[:0]
	ctl, ok := v.Control(cfg.CFGNegativeControl)
	if cfg.CFGNegativeControl == "" || !ok {
		return append(buf, prompt...)
	}
	if len(prompt) > 0 && prompt[0] == v.BOS() {
		buf = append(buf, prompt[0], ctl)
		return append(buf, prompt[1:]...)
	}
	buf = append(buf, ctl)
	return append(buf, prompt...)
}
