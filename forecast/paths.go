// Package forecast makes probabilistic forecasts with real-valued
// autoregressive models and scores them. It programs against the seam
// alone (autoreg.RealModel, autoreg.RealState, dist.Dist), so every
// real-valued family forecasts and is evaluated the same way.
//
// Forecasting: [Paths] draws sample paths of a horizon from a state (each
// step sampled from the predictive and appended, the model's own
// generative process), and [Quantiles] summarizes them per step.
//
// Evaluation ([Evaluate]) follows the usual protocol for a series split
// into a training part and a test part (the anchors': the last
// n − round(0.8·n) points): parameters frozen, every test value scored one
// step ahead given the whole true past, and optionally every origin of the
// test part forecast 1..H steps ahead by sample paths. Scores:
//
//   - NLL: −ln p(y) per value, in nats, raw and standardized (NLL_std =
//     NLL_raw − ln s, s the training part's population standard deviation);
//   - MAE, RMSE of the predictive mean; MASE (Hyndman and Koehler 2006), the
//     MAE divided by the in-sample MAE of the seasonal naive forecast
//     y[t−S] on the training part;
//   - CRPS (Gneiting and Raftery 2007): see [CRPS] for the method per
//     distribution; over sample paths the fair ensemble estimator
//     ([FairCRPS], Ferro 2014);
//   - coverage of the central 50% and 90% intervals of the paths;
//   - for comparison the seasonal naive forecast N(y[t+h−S·k], k·σ²),
//     k = ⌈h/S⌉, σ² the mean squared lag-S difference of the training part.
//
// Missing values (NaN) are never scored; conditioning on one, a state uses
// its predictive mean (the seam's rule).
package forecast

import (
	"context"
	"math/rand/v2"
	"slices"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
)

// Paths draws n sample paths of horizon steps continuing st's history,
// which it leaves unchanged, and returns them path-major: value i of step h
// of path p is at (p·horizon + h)·D + i. Path p uses its own generator,
// seeded by (seed, p), so a path does not depend on how many are drawn.
func Paths(ctx context.Context, m autoreg.RealModel, st autoreg.RealState, horizon, n int, seed uint64) ([]float64, error) {
	d := m.Dim()
	out := make([]float64, n*horizon*d)
	work := m.NewRealState()
	for p := range n {
		if p%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r := rand.New(rand.NewPCG(seed, uint64(p)))
		samplePath(out[p*horizon*d:(p+1)*horizon*d], st, work, r)
	}
	return out, nil
}

// samplePath fills dst (horizon·D values) with one path from st, using work
// as scratch.
func samplePath(dst []float64, st, work autoreg.RealState, r *rand.Rand) {
	st.CopyTo(work)
	d := st.Predict().Dim()
	for h := 0; h < len(dst); h += d {
		step := dst[h : h+d]
		dist.Sample(step, work.Predict(), r)
		work.Append(step...)
	}
}

// Quantiles summarizes paths (as Paths returns them: n paths of horizon
// steps of d values) by the sample quantiles ps of every step and value:
// the result's entry for quantile q of value i at step h is at
// (h·d + i)·len(ps) + q. Quantiles are linearly interpolated between order
// statistics ([SampleQuantile]).
func Quantiles(paths []float64, n, horizon, d int, ps []float64) []float64 {
	out := make([]float64, horizon*d*len(ps))
	col := make([]float64, n)
	for h := range horizon {
		for i := range d {
			for p := range n {
				col[p] = paths[(p*horizon+h)*d+i]
			}
			slices.Sort(col)
			for q, prob := range ps {
				out[(h*d+i)*len(ps)+q] = SampleQuantile(col, prob)
			}
		}
	}
	return out
}

// Means is the mean over the paths of every step and value, indexed h·d + i.
func Means(paths []float64, n, horizon, d int) []float64 {
	out := make([]float64, horizon*d)
	for p := range n {
		for j, v := range paths[p*horizon*d : (p+1)*horizon*d] {
			out[j] += v
		}
	}
	for j := range out {
		out[j] /= float64(n)
	}
	return out
}
