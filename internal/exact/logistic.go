package exact

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
)

// The logistic CDF of a discretized logistic mixture (PixelCNN++'s head,
// package dist's DiscretizedLogistic) in integers, for the arithmetic coder
// of 16-bit samples: the cumulative frequency below every bin is a
// non-decreasing integer function of the bin, the same on every platform,
// so a decoder can bisect for a sample's bin and both sides agree.
//
// σ(t) = 1/(1 + e^−t) is read from a table of G(t) = 2³²·σ(−t) at t = k/256,
// k = 0 … 24·256, linearly interpolated in integers between its points;
// 2³²·σ(t) is 2³² − G(t) for t ≥ 0 and G(−t) below. The interpolation is
// within 2·10⁻⁷ of σ (h²/8·max|σ''|, h = 1/256), and a bin's mass within
// about 0.2% of its exact value, which costs a few millionths of a bit.
// Past |t| = 24, σ is 0 or 1 to within 2³²·σ(−24) < 0.2 (G's last point
// rounds to 0).

const (
	// LogisticOne is σ = 1 in the fixed point of LogisticFixed.
	LogisticOne = 1 << 32
	// logisticFrac is the fractional bits of LogisticFixed's argument.
	logisticFrac = 16
	// logisticPerUnit is the table's points per unit of t.
	logisticPerUnit = 256
	// logisticSpan is the |t| beyond which σ is 0 or 1.
	logisticSpan = 24
	logisticTop  = logisticSpan << logisticFrac
)

// logisticTable is G(k/256) = round(2³²·e^{−k/256}/(1 + e^{−k/256})),
// non-increasing, G(0) = 2³¹.
var logisticTable = buildLogisticTable()

// buildLogisticTable computes the table with IEEE float64 operations only,
// each correctly rounded on every platform: e^{−k/256} as the k-th power
// of the constant e^{−1/256} by repeated multiplication (a relative error
// below 10⁻¹² after 6,144 products), then one division and a rounding.
func buildLogisticTable() []uint32 {
	const r = 0.9961013694701174900628646619451690442864 // e^{−1/256}
	n := logisticSpan*logisticPerUnit + 1
	g := make([]uint32, n+1) // one guard point past the end, equal to the last
	e := 1.0
	for k := range n {
		v := math.Floor(float64(LogisticOne*e)/(1+e) + 0.5)
		g[k] = uint32(v)
		if k > 0 && g[k] > g[k-1] {
			g[k] = g[k-1]
		}
		e *= r
	}
	g[n] = g[n-1]
	return g
}

// LogisticArg is the fixed-point argument t = (x − mu)·invS of σ, with
// 16 fractional bits, rounded down and clamped to ±24 (NaN counts as
// −24): float64(x − mu) is one rounded subtraction and the product one
// rounded multiplication (no fusion is possible), so the result is the
// same on every platform and non-decreasing in x for invS > 0.
func LogisticArg(x, mu, invS float64) int64 {
	t := float64(x-mu) * invS * (1 << logisticFrac)
	switch {
	case t >= logisticTop:
		return logisticTop
	case !(t > -logisticTop):
		return -logisticTop
	}
	return int64(math.Floor(t))
}

// LogisticFixed is 2³²·σ(u/2¹⁶) from the table, in [0, LogisticOne]: with
// a = |u|, i = a>>8 and f = a&255 (a between table points i and i+1),
//
//	g = G[i] − ((G[i] − G[i+1])·f >> 8),   σ = 2³² − g for u ≥ 0, g for u < 0.
//
// It is non-decreasing in u.
func LogisticFixed(u int64) uint64 {
	a := u
	if a < 0 {
		a = -a
	}
	a = min(a, logisticTop)
	i, f := a>>(logisticFrac-8), uint64(a&255)
	g0, g1 := uint64(logisticTable[i]), uint64(logisticTable[i+1])
	g := g0 - (g0-g1)*f>>8
	if u >= 0 {
		return LogisticOne - g
	}
	return g
}

// Log scales of a DLogisticMix are clamped to [MinLogScale, MaxLogScale],
// the range of package dist's heads.
const (
	MinLogScale = -20
	MaxLogScale = 20
)

// MaxDLogisticBins is the most bins a DLogisticMix codes: its total,
// 2³⁰ + N, must stay within the coder's 2³¹.
const MaxDLogisticBins = 1 << 24

// dlogisticMass is the mixture's CDF scale: weights sum to 2¹⁶, each
// component's σ is at most 2³², so S ≤ 2⁴⁸, and S>>18 ≤ 2³⁰.
const (
	dlogisticWeightBits = 16
	dlogisticShift      = 48 - 30
)

// DLogisticMix is one dimension of a mixture of K logistics discretized to
// N bins of width Step centred at Lo, Lo+Step, … (the end bins open), as
// integer cumulative frequencies for the arithmetic coder:
//
//	Cum(0) = 0,  Cum(N) = Total() = 2³⁰ + N,
//	Cum(j) = (Σ_k W_k·LogisticFixed(LogisticArg(e_j, μ_k, 1/s_k)) >> 18) + j,   0 < j < N,
//
// e_j = Lo + float64((j − ½)·Step) the edge between bins j−1 and j, so bin
// j has frequency Cum(j+1) − Cum(j) ≥ 1. The weights W_k are the softmax of
// the logits in 16 bits (Set). Every operation is an integer one or one
// correctly rounded IEEE operation, so Cum is the same on every platform,
// and it is strictly increasing in j.
type DLogisticMix struct {
	Lo, Step float64
	N        int
	W        []uint64 // K weights, Σ = 2¹⁶
	Mu, InvS []float64
	p        []float32 // scratch: the softmax
}

// NewDLogisticMix returns the mixture of k components over n bins of width
// step centred at lo, lo+step, …; n must be in [1, MaxDLogisticBins].
func NewDLogisticMix(k int, lo, step float64, n int) *DLogisticMix {
	if n < 1 || n > MaxDLogisticBins || k < 1 || !(step > 0) {
		panic("exact: NewDLogisticMix: bad grid or component count")
	}
	return &DLogisticMix{Lo: lo, Step: step, N: n, W: make([]uint64, k), Mu: make([]float64, k), InvS: make([]float64, k), p: make([]float32, k)}
}

// Set takes the mixture from a head's raw outputs: K logits, K locations,
// K log scales (dist.Head's "dlogistic:K" block), in the grid's units:
//
//	p = Softmax(logits);  W_k = ⌊p_k·2¹⁶⌋, the rest of 2¹⁶ to the first largest;
//	μ_k = float64(raw μ_k);  1/s_k = float64(ExactExp(−clamp(ln s_k, −20, 20))).
//
// A NaN anywhere gives weight 0 (NaN weights), the clamp's end (NaN scales)
// or a location whose arguments clamp: still a valid table.
func (d *DLogisticMix) Set(raw []float32) {
	k := len(d.W)
	if len(raw) != 3*k {
		panic("exact: DLogisticMix.Set: raw length is not 3·K")
	}
	copy(d.p, raw[:k])
	Softmax(d.p)
	var sum uint64
	best := 0
	for j, p := range d.p {
		w := uint64(0)
		if p > 0 { // false for NaN
			w = uint64(p * (1 << dlogisticWeightBits))
		}
		d.W[j] = w
		sum += w
		if d.p[j] > d.p[best] {
			best = j
		}
	}
	// The floors sum to at most 2¹⁶ plus a few ulps of the softmax's sum;
	// the largest weight (≥ 2¹⁶/K) takes the difference either way.
	d.W[best] = d.W[best] + 1<<dlogisticWeightBits - sum
	for j := range k {
		d.Mu[j] = float64(raw[k+j])
		ls := raw[2*k+j]
		switch {
		case ls > MaxLogScale:
			ls = MaxLogScale
		case !(ls >= MinLogScale):
			ls = MinLogScale
		}
		d.InvS[j] = float64(kernels.ExactExp(-ls))
	}
}

// Total is Cum(N), the frequency total.
func (d *DLogisticMix) Total() uint32 { return 1<<30 + uint32(d.N) }

// Cum is the cumulative frequency of the bins below bin j, 0 ≤ j ≤ N.
func (d *DLogisticMix) Cum(j int) uint32 {
	switch {
	case j <= 0:
		return 0
	case j >= d.N:
		return d.Total()
	}
	e := d.Lo + float64((float64(j)-0.5)*d.Step)
	var s uint64
	for k, w := range d.W {
		if w != 0 {
			s += w * LogisticFixed(LogisticArg(e, d.Mu[k], d.InvS[k]))
		}
	}
	return uint32(s>>dlogisticShift) + uint32(j)
}

// Find returns the bin j with Cum(j) ≤ target < Cum(j+1), for target <
// Total(), by bisection (⌈log₂ N⌉ evaluations of Cum).
func (d *DLogisticMix) Find(target uint32) int {
	lo, hi := 0, d.N // Cum(lo) ≤ target < Cum(hi)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if d.Cum(mid) <= target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
