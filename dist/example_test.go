package dist_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg/dist"
)

func Example() {
	// A network emits two raw values per dimension for a Gaussian head:
	// μ and ln σ.
	h, _ := dist.ParseHead("gaussian")
	raw := []float32{1.5, float32(math.Log(0.5))}
	d := h.New(1)
	h.Fill(d, raw)
	fmt.Printf("mean %.2f, 97.5%% quantile %.4f, CDF(1.5) %.2f\n", d.Mean(0), d.Quantile(0, 0.975), d.CDF(0, 1.5))

	// Training: the NLL of a target and its gradient w.r.t. the raw values.
	grad := make([]float32, 2)
	nll := h.NLLGrad(grad, raw, []float32{2.5})
	fmt.Printf("NLL %.4f, gradient %.3f\n", nll, grad)

	r := rand.New(rand.NewPCG(1, 2))
	fmt.Printf("a seeded draw %.4f\n", d.Sample(0, r))
	// Output:
	// mean 1.50, 97.5% quantile 2.4800, CDF(1.5) 0.50
	// NLL 2.2258, gradient [-4.000 -3.000]
	// a seeded draw 1.6897
}

func ExampleDiscretizedLogistic() {
	// 16-bit audio: one logistic over the integer sample values, with the
	// exact probability of each value's bin.
	d := dist.NewDiscretizedLogistic(1, 1, dist.Grid{Lo: -32768, Step: 1, N: 65536})
	d.Mu[0], d.S[0] = 100, 4
	fmt.Printf("P(100) = %.5f, P(120) = %.3g, P(−32768) = %.3g\n",
		math.Exp(d.LogProb(0, 100)), math.Exp(d.LogProb(0, 120)), math.Exp(d.LogProb(0, -32768)))
	// Output:
	// P(100) = 0.06242, P(120) = 0.00167, P(−32768) = 0
}

func ExampleNewAffine() {
	// A network predicts standardized births z = (y − 9451.19)/1021.5; the
	// affine map puts the prediction in births per day.
	z := dist.NewGaussian(1)
	z.Mu[0], z.Sigma[0] = 0.5, 0.25
	y := dist.NewAffine(z, []float64{9451.19}, []float64{1021.5})
	fmt.Printf("mean %.1f, 90%% interval [%.0f, %.0f]\n", y.Mean(0), y.Quantile(0, 0.05), y.Quantile(0, 0.95))
	fmt.Printf("density differs by ln 1021.5: %.4f\n", z.LogProb(0, 0.5)-y.LogProb(0, y.Mean(0)))
	// Output:
	// mean 9961.9, 90% interval [9542, 10382]
	// density differs by ln 1021.5: 6.9290
}
