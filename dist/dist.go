// Package dist holds the output distributions of real-valued autoregressive
// models: the P(x_t | h_t) of a step x_t ∈ R^D.
//
// Four families are implemented, each with its log-density, CDF, quantile,
// mean and seeded sampling:
//
//   - [Gaussian]: N(μ, σ²), the classic time-series predictive.
//   - [StudentT]: Student's t with location μ, scale σ and ν degrees of
//     freedom, for heavy-tailed residuals.
//   - [GaussianMixture]: a mixture of K Gaussians, the mixture density
//     network output of Bishop (1994), "Mixture Density Networks".
//   - [DiscretizedLogistic]: a mixture of K logistics discretized to a grid
//     of bins with open end bins, the output of PixelCNN++ (Salimans,
//     Karpathy, Chen and Kingma 2017). Its probabilities are exact bin
//     masses, which is what an arithmetic coder of integer data (16-bit
//     audio) needs.
//
// # Steps of several dimensions
//
// A step of D values is modelled with D independent marginals: the joint
// log-density is the sum of the marginals' (see [LogProb]). Every method of
// [Dist] takes the dimension i first; dimension i is column i of the data
// in the order the columns were selected. The concrete types store their
// parameters in flat slices, dimension-major: dimension i's parameter is at
// index i (one component) or i·K+k (component k of a mixture).
//
// # Heads: from network outputs to a distribution
//
// A [Head] names a family and its size ("gaussian", "student-t", "mog:K",
// "dlogistic:K") and maps a vector of unconstrained network outputs (raw
// float32 values) to a distribution ([Head.Fill]) and to the negative
// log-likelihood of a target with its gradient with respect to those raw
// outputs ([Head.NLLGrad]); see head.go for the parametrization. All the
// arithmetic is float64; nothing allocates after a distribution is made.
//
// Randomness comes only from the *rand.Rand the caller passes (math/rand/v2,
// seeded PCG in autoreg).
package dist

import (
	"math"
	"math/rand/v2"
)

// Dist is the predictive distribution of one step x ∈ R^D, a product of D
// independent univariate marginals indexed by i in [0, D). A Dist returned
// by a model state is owned by that state and valid until the state changes.
type Dist interface {
	// Dim is the number of values D in a step.
	Dim() int
	// LogProb is the log-density of value v in dimension i, in nats. For a
	// distribution over a grid of bins ([Gridded]) it is the log-probability
	// of v's bin.
	LogProb(i int, v float64) float64
	// CDF is P(x_i ≤ v).
	CDF(i int, v float64) float64
	// Quantile is the smallest v with CDF(i, v) ≥ p, for p in (0, 1);
	// Quantile(i, 0) and Quantile(i, 1) are the support's ends (±Inf for an
	// unbounded support).
	Quantile(i int, p float64) float64
	// Mean is E[x_i] (NaN where it does not exist: Student's t with ν ≤ 1).
	Mean(i int) float64
	// Sample draws x_i from r.
	Sample(i int, r *rand.Rand) float64
}

// Gridded is implemented by distributions over a grid of bins (integer
// data): every value belongs to one bin and has that bin's probability.
type Gridded interface {
	Dist
	// Grid is the grid of bins, the same for every dimension.
	Grid() Grid
	// LogProbBin is the log-probability of bin k of dimension i.
	LogProbBin(i, k int) float64
}

// Grid is N bins of width Step centred at Lo, Lo+Step, …, Lo+(N−1)·Step.
// The end bins are open: bin 0 also holds every value below Lo, bin N−1
// every value above the last centre. For 16-bit audio in its own units:
// Lo −32768, Step 1, N 65,536; PixelCNN++'s rescaled pixels: Lo −1, Step
// 2/255, N 256.
type Grid struct {
	Lo   float64
	Step float64
	N    int
}

// Bin returns the bin holding v (NaN maps to bin 0).
func (g Grid) Bin(v float64) int {
	k := math.Round((v - g.Lo) / g.Step)
	switch {
	case !(k > 0):
		return 0
	case k >= float64(g.N-1):
		return g.N - 1
	}
	return int(k)
}

// Centre returns the value at the centre of bin k.
func (g Grid) Centre(k int) float64 { return g.Lo + float64(k)*g.Step }

// valid reports whether the grid is usable.
func (g Grid) valid() bool {
	return g.N >= 1 && g.Step > 0 && !math.IsInf(g.Step, 0) && !math.IsNaN(g.Lo) && !math.IsInf(g.Lo, 0) &&
		!math.IsInf(g.Centre(g.N-1), 0)
}

// LogProb returns the joint log-density of a step x (len D) under d: the
// sum of the marginals. NaN entries are missing values and are left out
// (their marginal integrates to 1).
func LogProb(d Dist, x []float64) float64 {
	if len(x) != d.Dim() {
		panic("dist: LogProb: step length differs from the distribution's dimension")
	}
	var lp float64
	for i, v := range x {
		if !math.IsNaN(v) {
			lp += d.LogProb(i, v)
		}
	}
	return lp
}

// Mean writes E[x] into dst (len D).
func Mean(dst []float64, d Dist) {
	if len(dst) != d.Dim() {
		panic("dist: Mean: destination length differs from the distribution's dimension")
	}
	for i := range dst {
		dst[i] = d.Mean(i)
	}
}

// Sample draws a step into dst (len D), one independent draw per dimension
// in dimension order.
func Sample(dst []float64, d Dist, r *rand.Rand) {
	if len(dst) != d.Dim() {
		panic("dist: Sample: destination length differs from the distribution's dimension")
	}
	for i := range dst {
		dst[i] = d.Sample(i, r)
	}
}
