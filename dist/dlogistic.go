package dist

import (
	"math"
	"math/rand/v2"
)

// DiscretizedLogistic is D independent mixtures of K logistic
// distributions discretized to the [Grid] Bins (Salimans et al. 2017, PixelCNN++):
// in dimension i, component k has log weight LogW[i·K+k], location
// Mu[i·K+k] and scale S[i·K+k]. A bin's probability is the logistic mass
// between its edges, with the end bins open:
//
//	P(bin j) = Σ_k w_k [F_k(c_j + h) − F_k(c_j − h)],   F_k(x) = σ((x − μ_k)/s_k),
//	h = Step/2, F(c_0 − h) = 0, F(c_{N−1} + h) = 1.
//
// The masses sum to 1 exactly (up to rounding), which is what an arithmetic
// coder needs. For a middle bin the difference of sigmoids is evaluated as
//
//	ln(σ(a) − σ(b)) = ln σ(a) + ln σ(−b) + ln(1 − e^{−(a−b)}),
//
// which holds for any a > b and never cancels, so a bin far in either tail
// or much narrower than the scale keeps its full relative precision
// (PixelCNN++ switches to the density at the centre there instead).
//
// LogProb(i, v) is the log-probability of v's bin: a mass, not a density.
type DiscretizedLogistic struct {
	K           int
	Bins        Grid
	LogW, Mu, S []float64
}

// NewDiscretizedLogistic returns a mixture of dimension dim with k
// components over grid g, equal weights, locations at the grid's middle and
// scales of one bin.
func NewDiscretizedLogistic(dim, k int, g Grid) *DiscretizedLogistic {
	if !g.valid() {
		panic("dist: NewDiscretizedLogistic: invalid grid")
	}
	d := &DiscretizedLogistic{K: k, Bins: g, LogW: make([]float64, dim*k), Mu: make([]float64, dim*k), S: make([]float64, dim*k)}
	mid := g.Centre(g.N / 2)
	for j := range d.LogW {
		d.LogW[j] = -math.Log(float64(k))
		d.Mu[j] = mid
		d.S[j] = g.Step
	}
	return d
}

// Dim is the number of dimensions.
func (d *DiscretizedLogistic) Dim() int { return len(d.LogW) / d.K }

func (d *DiscretizedLogistic) comps(i int) (logW, mu, s []float64) {
	a, b := i*d.K, (i+1)*d.K
	return d.LogW[a:b], d.Mu[a:b], d.S[a:b]
}

// Grid returns the grid of bins (the same for every dimension).
func (d *DiscretizedLogistic) Grid() Grid { return d.Bins }

// LogProb is the log-probability of the bin holding v.
func (d *DiscretizedLogistic) LogProb(i int, v float64) float64 {
	return d.LogProbBin(i, d.Bins.Bin(v))
}

// LogProbBin is the log-probability of bin j.
func (d *DiscretizedLogistic) LogProbBin(i, j int) float64 {
	logW, mu, s := d.comps(i)
	var acc logSumAcc
	for k := range logW {
		acc.add(logW[k] + logBinMass(d.Bins, j, mu[k], s[k]))
	}
	return acc.value()
}

// logBinMass is ln P(bin j) of one discretized logistic.
func logBinMass(g Grid, j int, mu, s float64) float64 {
	if g.N == 1 {
		return 0
	}
	c := g.Centre(j)
	h := 0.5 * g.Step
	a := (c + h - mu) / s // upper edge
	b := (c - h - mu) / s // lower edge
	switch j {
	case 0:
		return logSigmoid(a)
	case g.N - 1:
		return logSigmoid(-b)
	}
	return logSigmoid(a) + logSigmoid(-b) + log1mExpNeg(g.Step/s)
}

// edgeCDF is the mixture's Σ_k w_k σ((x − μ_k)/s_k) at an edge x.
func (d *DiscretizedLogistic) edgeCDF(i int, x float64) float64 {
	logW, mu, s := d.comps(i)
	return mixCDF(logW, mu, s, x, sigmoid)
}

// CDF is P(x_i ≤ v): the mass of every bin whose centre is at most v.
func (d *DiscretizedLogistic) CDF(i int, v float64) float64 {
	g := d.Bins
	j := math.Floor((v - g.Lo) / g.Step)
	switch {
	case math.IsNaN(v):
		return math.NaN()
	case j < 0:
		return 0
	case j >= float64(g.N-1):
		return 1
	}
	return d.edgeCDF(i, g.Centre(int(j))+0.5*g.Step)
}

// Quantile is the centre of the first bin whose cumulative mass reaches p,
// found by bisection over the bins.
func (d *DiscretizedLogistic) Quantile(i int, p float64) float64 {
	g := d.Bins
	if math.IsNaN(p) || p < 0 || p > 1 {
		return math.NaN()
	}
	lo, hi := 0, g.N-1 // the answer is in [lo, hi]
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if d.edgeCDF(i, g.Centre(mid)+0.5*g.Step) >= p {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return g.Centre(lo)
}

// Mean is E[x_i] = c_0 + Step·Σ_j P(x_i > c_j) over the N−1 inner edges.
// Each component's sum runs only over the edges within 40 scales of its
// location (beyond them σ is 0 or 1 to within 5e-18) and counts the rest
// whole, so the cost is O(K·min(N, 80·s/Step)), not O(K·N).
func (d *DiscretizedLogistic) Mean(i int) float64 {
	g := d.Bins
	logW, mu, s := d.comps(i)
	edges := g.N - 1
	var total float64
	for k := range logW {
		// Edge e_j = Lo + (j+½)·Step; P(x > e_j) = σ((μ − e_j)/s).
		loJ := int(math.Max(0, math.Min(float64(edges), math.Ceil((mu[k]-40*s[k]-g.Lo)/g.Step-0.5))))
		hiJ := int(math.Max(0, math.Min(float64(edges), math.Floor((mu[k]+40*s[k]-g.Lo)/g.Step-0.5)+1)))
		above := float64(loJ) // edges far below μ: x exceeds them surely
		for j := loJ; j < hiJ; j++ {
			above += sigmoid((mu[k] - (g.Lo + (float64(j)+0.5)*g.Step)) / s[k])
		}
		total += math.Exp(logW[k]) * above
	}
	return g.Lo + g.Step*total
}

// Sample draws a component by weight, a logistic value μ + s·ln(u/(1−u)),
// and returns the centre of its bin (values past the ends fall in the end
// bins, which is what makes them open).
func (d *DiscretizedLogistic) Sample(i int, r *rand.Rand) float64 {
	logW, mu, s := d.comps(i)
	k := pickComponent(logW, r)
	u := uniformOpen(r)
	x := mu[k] + s[k]*(math.Log(u)-math.Log1p(-u))
	return d.Bins.Centre(d.Bins.Bin(x))
}
