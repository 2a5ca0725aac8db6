package forecast

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/series"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))) {
		t.Errorf("%s = %.12g, want %.12g (tolerance %g)", what, got, want, tol)
	}
}

func TestGaussLegendreRule(t *testing.T) {
	var w, x30 float64
	for k, x := range glNodes {
		w += glWeights[k]
		x30 += glWeights[k] * math.Pow(x, 30)
	}
	near(t, "Σ weights", w, 2, 1e-15)
	near(t, "∫ x^30", x30, 2.0/31, 1e-14) // exact up to degree 31
}

// refCRPS integrates F² below y and (1 − F)² above it by Simpson's rule on
// a wide interval.
func refCRPS(d dist.Dist, y, lo, hi float64) float64 {
	below := testutil.Simpson(func(x float64) float64 { return d.CDF(0, x) * d.CDF(0, x) }, lo, y, 200000)
	above := testutil.Simpson(func(x float64) float64 { return (1 - d.CDF(0, x)) * (1 - d.CDF(0, x)) }, y, hi, 200000)
	return below + above
}

func TestCRPSMethods(t *testing.T) {
	g := &dist.Gaussian{Mu: []float64{1}, Sigma: []float64{2}}
	mix := dist.NewGaussianMixture(1, 2)
	copy(mix.LogW, []float64{math.Log(0.3), math.Log(0.7)})
	copy(mix.Mu, []float64{-3, 2})
	copy(mix.Sigma, []float64{0.5, 1.5})
	st := &dist.StudentT{Mu: []float64{0}, Sigma: []float64{1.5}, Nu: []float64{3}}
	for _, y := range []float64{-4, 0.3, 1, 6} {
		c, m := CRPS(g, 0, y)
		if m != CRPSClosedForm {
			t.Errorf("Gaussian CRPS by %s", m)
		}
		near(t, "Gaussian CRPS vs integral", c, refCRPS(g, y, -40, 40), 1e-8)
		near(t, "Gaussian CRPS vs numerical", c, crpsNumerical(g, 0, y), 1e-8)
		c, _ = CRPS(mix, 0, y)
		near(t, "mixture CRPS vs integral", c, refCRPS(mix, y, -40, 40), 1e-8)
		c, m = CRPS(st, 0, y)
		if m != CRPSNumerical {
			t.Errorf("Student-t CRPS by %s", m)
		}
		// The t₃ tails beyond ±4000 add ~1e-7.
		near(t, "Student-t CRPS vs integral", c, refCRPS(st, y, -4000, 4000), 1e-6)
		// An affine map of the mixture: the closed form in the data's units.
		a := dist.NewAffine(mix, []float64{100}, []float64{30})
		c, m = CRPS(a, 0, 100+30*y)
		if m != CRPSClosedForm {
			t.Errorf("affine mixture CRPS by %s", m)
		}
		near(t, "affine mixture CRPS vs integral", c, refCRPS(a, 100+30*y, -1100, 1300), 1e-8)
	}
	// Gridded: the exact bin sum against all bins.
	dl := dist.NewDiscretizedLogistic(1, 2, dist.Grid{Lo: 0, Step: 1, N: 200})
	copy(dl.LogW, []float64{math.Log(0.5), math.Log(0.5)})
	copy(dl.Mu, []float64{40, 120})
	copy(dl.S, []float64{3, 8})
	for _, y := range []float64{0, 37, 80, 199} {
		var brute float64
		m := dl.Bins.Bin(y)
		for j := range dl.Bins.N - 1 {
			f := dl.CDF(0, float64(j))
			if j >= m {
				f--
			}
			brute += f * f
		}
		c, method := CRPS(dl, 0, y)
		if method != CRPSBinSum {
			t.Errorf("gridded CRPS by %s", method)
		}
		near(t, "gridded CRPS", c, brute, 1e-12)
	}
}

// TestFairCRPS: averaged over many small ensembles, the fair estimator
// matches the closed form; the plain one (1/(2m²)) would be off by E|X−X'|/(2m).
func TestFairCRPS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	g := &dist.Gaussian{Mu: []float64{0}, Sigma: []float64{1}}
	want, _ := CRPS(g, 0, 0.7)
	const m, reps = 5, 200000
	var sum float64
	xs := make([]float64, m)
	for range reps {
		for i := range xs {
			xs[i] = r.NormFloat64()
		}
		sum += FairCRPS(xs, 0.7)
	}
	// The estimator's standard deviation is about 0.5; its mean's 0.0011.
	near(t, "mean fair CRPS", sum/reps, want, 0.005)
	if got := FairCRPS([]float64{3, 1, 2}, 2); math.Abs(got-(2.0/3-4.0/6)) > 1e-15 {
		t.Errorf("FairCRPS small case %g", got)
	}
}

func TestSampleQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	for _, c := range [][2]float64{{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {0.9, 3.7}, {1, 4}} {
		near(t, "type-7 quantile", SampleQuantile(xs, c[0]), c[1], 1e-15)
	}
}

type golden struct {
	NTrain   int       `json:"n_train"`
	Lags     int       `json:"lags"`
	NLLRaw   float64   `json:"test_nll_raw_nats_per_point"`
	NLLStd   float64   `json:"test_nll_std_nats_per_point"`
	MAE      float64   `json:"test_mae"`
	RMSE     float64   `json:"test_rmse"`
	TestMean []float64 `json:"test_one_step_mean"`
}

func load(t testing.TB, name string) ([]float64, golden) {
	raw, err := os.ReadFile(testutil.SharedFile(t, "data/timeseries/ar-golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	json.Unmarshal(raw, &all)
	var g golden
	json.Unmarshal(all[name], &g)
	col := map[string]string{"sunspots": "value", "births": "births"}[name]
	ss, err := series.ReadFile(testutil.SharedFile(t, "data/timeseries/"+name+".csv"), series.Options{Columns: []string{col}})
	if err != nil {
		t.Fatal(err)
	}
	return ss[0].Values, g
}

// TestEvaluateGolden reproduces the golden test scores of the AR fits.
func TestEvaluateGolden(t *testing.T) {
	for _, name := range []string{"sunspots", "births"} {
		y, g := load(t, name)
		m, _, err := ar.Fit(context.Background(), [][]float64{y[:g.NTrain]}, ar.Options{Order: g.Lags, Standardize: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Evaluate(context.Background(), m, []Data{{Values: y, Train: g.NTrain}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Points != len(g.TestMean) || res.CRPSMethod != CRPSClosedForm {
			t.Errorf("%s: %d points by %s", name, res.Points, res.CRPSMethod)
		}
		near(t, name+" NLL", res.NLL, g.NLLRaw, 1e-6)
		near(t, name+" NLL std", res.NLLStd, g.NLLStd, 1e-6)
		near(t, name+" MAE", res.MAE, g.MAE, 1e-6)
		near(t, name+" RMSE", res.RMSE, g.RMSE, 1e-6)
		only, err := Evaluate(context.Background(), m, []Data{{Values: y, Train: g.NTrain}}, Options{NLLOnly: true})
		if err != nil || only.NLL != res.NLL || only.Points != res.Points || !math.IsNaN(only.CRPS) {
			t.Errorf("%s: NLL only %+v (%v), full NLL %g", name, only, err, res.NLL)
		}
		all, err := Evaluate(context.Background(), m, []Data{{Values: y}}, Options{NLLOnly: true})
		if err != nil || all.Points != len(y) {
			t.Errorf("%s: the whole series scored %d values of %d (%v)", name, all.Points, len(y), err)
		}
	}
}

// TestRollingBirths checks the rolling evaluation on births: the seasonal
// naive baseline's lead-1 MAE is the anchors' seasonal naive MAE (308.9),
// the AR(57)'s intervals cover about their nominal shares, results do not
// depend on the number of workers.
func TestRollingBirths(t *testing.T) {
	if testing.Short() {
		t.Skip("rolling evaluation of births in -short mode")
	}
	y, g := load(t, "births")
	m, _, err := ar.Fit(context.Background(), [][]float64{y[:g.NTrain]}, ar.Options{Order: g.Lags, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Season: 7, Horizon: 3, Samples: 200, Seed: 1, Workers: 1}
	res, err := Evaluate(context.Background(), m, []Data{{Values: y, Train: g.NTrain}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	ro := res.Rolling
	if ro.Origins != 1461 || ro.Leads[0].Points != 1461 || ro.Leads[2].Points != 1459 || ro.All.Points != 1461+1460+1459 {
		t.Fatalf("origins %d, points %d %d %d", ro.Origins, ro.Leads[0].Points, ro.Leads[2].Points, ro.All.Points)
	}
	near(t, "seasonal naive lead-1 MAE", ro.Leads[0].Baseline.MAE, 308.9, 0.0005)
	// Lead 1 of the paths estimates the one-step predictive.
	near(t, "lead-1 path CRPS vs closed form", ro.Leads[0].Model.CRPS, res.CRPS, 0.02)
	// The per-origin CRPS averages to each lead's.
	for h, l := range ro.Leads {
		var sum float64
		n := 0
		for o := range ro.Origins {
			if v := ro.OriginCRPS[o*ro.Horizon+h]; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n != l.Points || math.Abs(sum/float64(n)-l.Model.CRPS) > 1e-9*l.Model.CRPS {
			t.Errorf("lead %d: %d origins scored, mean CRPS %g; the lead's %d points, %g", h+1, n, sum/float64(n), l.Points, l.Model.CRPS)
		}
	}
	for _, l := range ro.Leads {
		t.Logf("lead %d: model CRPS %.1f cover50 %.3f cover90 %.3f MAE %.1f; seasonal naive CRPS %.1f cover50 %.3f cover90 %.3f MAE %.1f",
			l.Lead, l.Model.CRPS, l.Model.Cover50, l.Model.Cover90, l.Model.MAE, l.Baseline.CRPS, l.Baseline.Cover50, l.Baseline.Cover90, l.Baseline.MAE)
		if l.Model.CRPS >= l.Baseline.CRPS || math.Abs(l.Model.Cover90-0.9) > 0.05 {
			t.Errorf("lead %d: model %+v vs baseline %+v", l.Lead, l.Model, l.Baseline)
		}
	}
	opt.Workers = 3
	res3, err := Evaluate(context.Background(), m, []Data{{Values: y, Train: g.NTrain}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	// NaN ≠ NaN: the per-origin scores are compared bit for bit apart.
	a, b := *res3.Rolling, *res.Rolling
	for i, v := range a.OriginCRPS {
		if math.Float64bits(v) != math.Float64bits(b.OriginCRPS[i]) {
			t.Fatalf("origin entry %d: %g with 3 workers, %g with 1", i, v, b.OriginCRPS[i])
		}
	}
	a.OriginCRPS, b.OriginCRPS = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Error("the rolling scores depend on the number of workers")
	}
}

func TestPathsAndQuantiles(t *testing.T) {
	y, g := load(t, "sunspots")
	m, _, err := ar.Fit(context.Background(), [][]float64{y[:g.NTrain]}, ar.Options{Order: g.Lags})
	if err != nil {
		t.Fatal(err)
	}
	st := m.NewRealState()
	st.Append(y...)
	before := st.Predict().Mean(0)
	const n, h = 4000, 5
	paths, err := Paths(context.Background(), m, st, h, n, 9)
	if err != nil {
		t.Fatal(err)
	}
	if st.Len() != len(y) || st.Predict().Mean(0) != before {
		t.Fatal("Paths changed the state")
	}
	ps := []float64{0.05, 0.5, 0.95}
	q := Quantiles(paths, n, h, 1, ps)
	d := st.Predict()
	sigma := math.Sqrt(m.Sigma2)
	for j, p := range ps {
		// The lead-1 sample quantiles estimate the predictive's, with a
		// standard error of at most 0.035σ here.
		if got, want := q[j], d.Quantile(0, p); math.Abs(got-want) > 0.15*sigma {
			t.Errorf("lead-1 sample %g-quantile %g, predictive %g", p, got, want)
		}
	}
	if means := Means(paths, n, h, 1); math.Abs(means[0]-d.Mean(0)) > 0.1*sigma {
		t.Errorf("lead-1 path mean %g, predictive %g", means[0], d.Mean(0))
	}
	// Seeded: the same seed gives the same paths, more paths extend them.
	again, _ := Paths(context.Background(), m, st, h, 10, 9)
	if !reflect.DeepEqual(again, paths[:10*h]) {
		t.Error("paths are not reproducible")
	}
}

func TestEvaluateErrors(t *testing.T) {
	m := &ar.Model{Mean: 0, Scale: 1, Sigma2: 1, Coef: []float64{0.5}}
	ctx := context.Background()
	for _, c := range []struct {
		data []Data
		opt  Options
	}{
		{[]Data{{Values: []float64{1, 2, 3}, Train: 3}}, Options{}},
		{[]Data{{Values: []float64{1, 1, 1, 2}, Train: 3}}, Options{}},
		{[]Data{{Values: []float64{1, 2, 3, math.NaN()}, Train: 3}}, Options{}},
		{[]Data{{Values: []float64{1, 2, 3, 4}, Train: 2}}, Options{Season: 7}},
		{[]Data{{Values: []float64{1, 2, 3, 4}, Train: 3}}, Options{Horizon: 2, Samples: 1}},
		{[]Data{{Values: []float64{1, 2, 3, 4}, Train: 4}}, Options{NLLOnly: true}},
		{[]Data{{Values: []float64{1, 2, 3, 4}}}, Options{NLLOnly: true, Horizon: 2}},
	} {
		if _, err := Evaluate(ctx, m, c.data, c.opt); err == nil {
			t.Errorf("%+v %+v accepted", c.data, c.opt)
		}
	}
}
