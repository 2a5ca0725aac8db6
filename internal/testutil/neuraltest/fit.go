package neuraltest

import (
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tensor"
)

// PatternStream returns n tokens of v that a small network learns in a few
// steps: each ordinary token mostly determines the next (x → 5x+1 mod
// Base, one time in four a random ordinary token instead), and every 16
// tokens or so a sequence boundary </s> <s> comes, followed by a control
// code when v has any.
func PatternStream(rng *rand.Rand, v autoreg.Vocab, n int) []autoreg.Token {
	xs := make([]autoreg.Token, 0, n+2)
	xs = append(xs, v.BOS())
	x := rng.IntN(v.Base)
	for len(xs) < n {
		switch {
		case rng.IntN(16) == 0:
			xs = append(xs, v.EOS(), v.BOS())
			if len(v.Controls) > 0 {
				xs = append(xs, autoreg.Token(v.Base+autoreg.NumReserved+rng.IntN(len(v.Controls))))
			}
		case rng.IntN(4) == 0:
			x = rng.IntN(v.Base)
		default:
			x = (5*x + 1) % v.Base
		}
		xs = append(xs, autoreg.Token(x))
	}
	return xs[:n]
}

// Fit trains m for steps of plain Adam (AdamStep at learning rate lr) on
// batches of B windows of T tokens drawn from stream by rng, each against
// its next tokens: enough for the model's distributions to leave uniform,
// which the conformance suite (internal/modeltest) needs to tell tokens
// apart. It returns the last batch's mean loss.
func Fit(m Trainer, stream []autoreg.Token, B, T, steps int, lr float64, rng *rand.Rand) float64 {
	a := m.Arena()
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	x, y := make([]int32, B*T), make([]int32, B*T)
	var loss float64
	for step := 1; step <= steps; step++ {
		for b := range B {
			at := rng.IntN(len(stream) - T)
			for i := range T {
				x[b*T+i] = int32(stream[at+i])
				y[b*T+i] = int32(stream[at+i+1])
			}
		}
		a.ZeroGrad()
		s, n := m.Forward(x, y, B, T, nil)
		loss = s / float64(n)
		m.Backward(1 / float32(n))
		AdamStep(a.Params, a.Grads, mo, vo, step, lr)
	}
	return loss
}

// Tokens converts token ids to the int32 ids the training path takes.
func Tokens(xs []autoreg.Token) []int32 {
	out := make([]int32, len(xs))
	for i, x := range xs {
		out[i] = int32(x)
	}
	return out
}

// TeacherForced returns the conformance suite's Options.Teacher for m: one
// Forward of xs against its next tokens (a single sequence, no dropout),
// after before (which resets any carried state; nil for none), reporting
// the negated per-position losses that losses returns.
func TeacherForced(m Trainer, before func(), losses func() []float32) func(xs []autoreg.Token, dst []float64) {
	return func(xs []autoreg.Token, dst []float64) {
		T := len(xs) - 1
		if before != nil {
			before()
		}
		m.Forward(Tokens(xs[:T]), Tokens(xs[1:]), 1, T, nil)
		for i, l := range losses()[:T] {
			dst[i] = -float64(l)
		}
	}
}

// DyadicParams sets every parameter of a to a multiple of 2⁻¹² in
// [−0.25, 0.25], drawn by integer arithmetic from seed: the same bits on
// every platform (unlike an initialization through NormFloat64 and math
// functions, or training), so that a golden hash of a bit-exact path's
// log-probabilities (modeltest.Options.Golden) can pin that path across
// platforms and builds.
func DyadicParams(a *tensor.Arena, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x647961646963))
	for i := range a.Params {
		a.Params[i] = float32(rng.IntN(2049)-1024) / 4096
	}
}
