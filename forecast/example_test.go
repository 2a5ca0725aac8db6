package forecast_test

import (
	"context"
	"fmt"
	"math"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/forecast"
)

func Example() {
	// A seasonal series: a sine of period 12 plus a deterministic wobble.
	y := make([]float64, 240)
	for t := range y {
		y[t] = 10 + 3*math.Sin(2*math.Pi*float64(t)/12) + 0.5*math.Sin(float64(t*t%17))
	}
	m, _, _ := ar.Fit(context.Background(), [][]float64{y[:192]}, ar.Options{Order: 12, Standardize: true})

	// Score the last 48 points one step ahead, and 3 steps ahead from every
	// origin by 200 sample paths.
	res, _ := forecast.Evaluate(context.Background(), m, []forecast.Data{{Values: y, Train: 192}},
		forecast.Options{Season: 12, Horizon: 3, Seed: 1})
	fmt.Printf("%d points: NLL %.3f nats (standardized %.3f), MAE %.3f, CRPS %.3f (%s)\n",
		res.Points, res.NLL, res.NLLStd, res.MAE, res.CRPS, res.CRPSMethod)
	for _, l := range res.Rolling.Leads {
		fmt.Printf("lead %d: CRPS %.3f vs seasonal naive %.3f\n", l.Lead, l.Model.CRPS, l.Baseline.CRPS)
	}

	// Forecast the next 6 values from the whole series.
	st := m.NewRealState()
	st.Append(y...)
	paths, _ := forecast.Paths(context.Background(), m, st, 6, 500, 1)
	q := forecast.Quantiles(paths, 500, 6, 1, []float64{0.05, 0.5, 0.95})
	fmt.Printf("next value: median %.2f, 90%% interval [%.2f, %.2f]\n", q[1], q[0], q[2])
	// Output:
	// 48 points: NLL -1.690 nats (standardized -2.448), MAE 0.034, CRPS 0.025 (closed form)
	// lead 1: CRPS 0.025 vs seasonal naive 0.247
	// lead 2: CRPS 0.026 vs seasonal naive 0.250
	// lead 3: CRPS 0.037 vs seasonal naive 0.253
	// next value: median 9.72, 90% interval [9.64, 9.79]
}
