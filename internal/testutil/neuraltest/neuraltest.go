// Package neuraltest holds the test and benchmark helpers the neural
// families (gpt, rnn) share: random token batches, the central-difference
// check of a model's gradients, a learnable token stream and a few steps
// of training (so the conformance suite runs on a model whose
// distributions are not uniform), and the optimizer-step benchmark that
// reports tokens/s, CPU µs per token and GFLOP/s.
package neuraltest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/optim"
	"github.com/autoreg/autoreg/tensor"
)

// RandTokens returns n token ids drawn uniformly below V.
func RandTokens(rng *rand.Rand, n, V int) []int32 {
	x := make([]int32, n)
	for i := range x {
		x[i] = int32(rng.IntN(V))
	}
	return x
}

// AsTokens converts a batch row of ids to tokens (Tokens' inverse).
func AsTokens(x []int32) []autoreg.Token {
	out := make([]autoreg.Token, len(x))
	for i, v := range x {
		out[i] = autoreg.Token(v)
	}
	return out
}

// CheckArenaGrads compares the gradients in a (computed by the caller for
// loss at the current parameters) with central differences of loss (step
// 1e-2) at up to per entries of every view, chosen by rng. An entry fails
// when the two differ by more than 2% of the numeric value plus 0.2% of
// the view's largest gradient (at least 1e-2); label prefixes the report.
func CheckArenaGrads(t *testing.T, a *tensor.Arena, loss func() float64, rng *rand.Rand, per int, label string) {
	t.Helper()
	checkArenaGrads(t, a, loss, rng, per, label, 1e-2)
}

// CheckArenaGradsKinked is CheckArenaGrads for a network with ReLUs: an
// entry passes when central differences of step 1e-2, 3e-3 or 1e-3 agree
// with it. A ReLU's kink within a step of some position the loss sums over
// spoils the larger steps' differences; a smaller step is spoiled by a
// kink less often but carries more of the float32 loss's rounding (about
// 5e-4 at 1e-3), so it only rescues an entry the larger ones fail.
func CheckArenaGradsKinked(t *testing.T, a *tensor.Arena, loss func() float64, rng *rand.Rand, per int, label string) {
	t.Helper()
	checkArenaGrads(t, a, loss, rng, per, label, 1e-2, 3e-3, 1e-3)
}

func checkArenaGrads(t *testing.T, a *tensor.Arena, loss func() float64, rng *rand.Rand, per int, label string, steps ...float32) {
	t.Helper()
	for _, v := range a.Views {
		g, p := v.Grad(a), v.Data(a)
		var scale float64
		for _, e := range g {
			scale = max(scale, math.Abs(float64(e)))
		}
		for _, i := range rng.Perm(len(p))[:min(len(p), per)] {
			var num float64
			ok := false
			for _, h := range steps {
				num = testutil.CentralDiff(p, i, h, loss)
				if math.Abs(num-float64(g[i])) <= 2e-2*math.Abs(num)+2e-3*max(scale, 1e-2) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("%s%s[%d]: analytic %.6g numeric %.6g (scale %.3g)", label, v.Name, i, g[i], num, scale)
			}
		}
	}
}

// Trainer is the training half of a neural family's model (train.Model).
type Trainer interface {
	Arena() *tensor.Arena
	Forward(x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int)
	Backward(scale float32)
}

// BenchTrainStep times one optimizer step per iteration (zero the
// gradients, forward, backward, clip the global norm to 1, AdamW) on a
// fixed random batch of B×T tokens below V, after one untimed step. It
// reports tokens/s, GFLOP/s (from flopsPerToken) and CPU µs per token,
// which a busy machine disturbs less than wall time (it still counts other
// processes' cache damage).
func BenchTrainStep(b *testing.B, m Trainer, V, B, T int, flopsPerToken float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := RandTokens(rng, B*T, V), RandTokens(rng, B*T, V)
	BenchStep(b, m.Arena(), func() int {
		_, n := m.Forward(x, y, B, T, nil)
		m.Backward(1 / float32(n))
		return B * T
	}, flopsPerToken)
}

// BenchStep times one optimizer step per iteration: zero the gradients of
// a, run pass (a forward and backward pass over a fixed batch, returning
// its tokens), clip the global norm to 1, AdamW; after one untimed step.
// It reports BenchTrainStep's metrics.
func BenchStep(b *testing.B, a *tensor.Arena, pass func() (tokens int), flopsPerToken float64) {
	opt := optim.NewAdamW(a, 0.1)
	var n int
	step := func() {
		fused.Zero(a.Grads)
		n = pass()
		optim.ClipGlobalNorm(a.Grads, 1)
		opt.Update(a, 1e-3)
	}
	step()
	b.ResetTimer()
	start, cpu0 := time.Now(), testutil.ProcessCPU()
	for range b.N {
		step()
	}
	sec := time.Since(start).Seconds()
	if cpu := testutil.ProcessCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e6/float64(b.N*n), "cpu-µs/token")
	}
	b.ReportMetric(float64(b.N*n)/sec, "tokens/s")
	b.ReportMetric(flopsPerToken*float64(b.N*n)/sec/1e9, "GFLOP/s")
}

// AdamStep is one step of plain Adam (β₁ 0.9, β₂ 0.999, ε 1e-8, no weight
// decay) over params with grads, first and second moments mo and vo, at
// step (from 1) with learning rate lr: the overfit-one-batch tests' optimizer,
// kept here so those tests need nothing of the optim package.
func AdamStep(params, grads, mo, vo []float32, step int, lr float64) {
	for i, g := range grads {
		mo[i] = 0.9*mo[i] + 0.1*g
		vo[i] = 0.999*vo[i] + 0.001*g*g
		mh := float64(mo[i]) / (1 - math.Pow(0.9, float64(step)))
		vh := float64(vo[i]) / (1 - math.Pow(0.999, float64(step)))
		params[i] -= float32(lr * mh / (math.Sqrt(vh) + 1e-8))
	}
}
