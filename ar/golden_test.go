package ar

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/series"
)

type goldenSeries struct {
	NTrain         int       `json:"n_train"`
	TrainMean      float64   `json:"train_mean"`
	TrainStd       float64   `json:"train_std_ddof0"`
	Lags           int       `json:"lags"`
	Nobs           int       `json:"nobs"`
	Params         []float64 `json:"params"`
	Sigma2         float64   `json:"sigma2"`
	LLF            float64   `json:"llf"`
	AIC            float64   `json:"aic"`
	BIC            float64   `json:"bic"`
	TestMean       []float64 `json:"test_one_step_mean"`
	TestNLLRaw     float64   `json:"test_nll_raw_nats_per_point"`
	TestNLLStd     float64   `json:"test_nll_std_nats_per_point"`
	TestMAE        float64   `json:"test_mae"`
	TestRMSE       float64   `json:"test_rmse"`
	OrderSelection *struct {
		Selected  int                `json:"selected_lags"`
		AICByLags map[string]float64 `json:"aic_by_lags"`
	} `json:"order_selection"`
}

func loadGolden(t testing.TB) map[string]goldenSeries {
	raw, err := os.ReadFile(testutil.SharedFile(t, "data/timeseries/ar-golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	out := map[string]goldenSeries{}
	for _, name := range []string{"sunspots", "births"} {
		var s goldenSeries
		if err := json.Unmarshal(g[name], &s); err != nil {
			t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

func loadSeries(t testing.TB, name string) []float64 {
	col := map[string]string{"sunspots": "value", "births": "births"}[name]
	ss, err := series.ReadFile(testutil.SharedFile(t, "data/timeseries/"+name+".csv"), series.Options{Columns: []string{col}})
	if err != nil {
		t.Fatal(err)
	}
	return ss[0].Column(0)
}

// worstRel is the largest relative error relClose has seen.
var worstRel float64

func relClose(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	worstRel = math.Max(worstRel, math.Abs(got-want)/math.Abs(want))
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("%s = %.12g, want %.12g (relative error %.2g > %g)", what, got, want, math.Abs(got-want)/math.Abs(want), tol)
	}
}

func TestGolden(t *testing.T) {
	gold := loadGolden(t)
	for _, name := range []string{"sunspots", "births"} {
		g := gold[name]
		y := loadSeries(t, name)
		train := y[:g.NTrain]
		opt := Options{Order: g.Lags}
		if g.OrderSelection != nil {
			opt = Options{MaxLag: 60, Criterion: AIC}
		}
		for _, std := range []bool{false, true} {
			opt.Standardize = std
			m, rep, err := Fit(context.Background(), [][]float64{train}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Order != g.Lags || rep.Nobs != g.Nobs {
				t.Fatalf("%s: order %d nobs %d, want %d %d", name, rep.Order, rep.Nobs, g.Lags, g.Nobs)
			}
			tol := 1e-6
			if !std {
				relClose(t, name+" const", m.Intercept, g.Params[0], tol)
				for i, c := range m.Coef {
					relClose(t, name+" coef", c, g.Params[i+1], tol)
				}
			}
			relClose(t, name+" sigma2", rep.Sigma2, g.Sigma2, tol)
			relClose(t, name+" llf", rep.LogLik, g.LLF, tol)
			relClose(t, name+" aic", rep.AIC, g.AIC, tol)
			relClose(t, name+" bic", rep.BIC, g.BIC, tol)
			if g.OrderSelection != nil {
				for _, c := range rep.Selection {
					relClose(t, name+" aic by lags", c.AIC, g.OrderSelection.AICByLags[itoa(c.Order)], tol)
				}
			}
			st := m.NewRealState()
			st.Append(train...)
			var nll float64
			for i, want := range g.TestMean {
				d := st.Predict()
				relClose(t, name+" one-step mean", d.Mean(0), want, tol)
				nll -= d.LogProb(0, y[g.NTrain+i])
				st.Append(y[g.NTrain+i])
			}
			nll /= float64(len(g.TestMean))
			relClose(t, name+" test NLL raw", nll, g.TestNLLRaw, tol)
			t.Logf("%s, standardized %v: largest relative error %.2g", name, std, worstRel)
			worstRel = 0
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
