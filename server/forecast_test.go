package server

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/forecast"
)

// tinyAR fits an AR(2) to a noisy oscillation.
func tinyAR(t testing.TB) (Model, []float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 300)
	for i := 2; i < len(x); i++ {
		x[i] = 1.2*x[i-1] - 0.5*x[i-2] + 3 + r.NormFloat64()
	}
	m, _, err := ar.Fit(context.Background(), [][]float64{x}, ar.Options{Order: 2})
	if err != nil {
		t.Fatal(err)
	}
	return Model{Name: "ar2", Real: m, Family: "ar"}, x
}

// TestForecast: /v1/forecast returns what package forecast computes for
// the same history, seed and levels (as `autoreg forecast` does), and a
// token model's endpoints refuse the real-valued model and the reverse.
func TestForecast(t *testing.T) {
	m, x := tinyAR(t)
	_, ts := newTestServer(t, Options{}, m, tinyGPT(t, 16))
	hist := make([]any, len(x))
	for i, v := range x {
		hist[i] = v
	}
	hist[len(hist)-5] = nil // a missing value
	code, body := post(t, ts.URL+"/v1/forecast", map[string]any{"model": "ar2", "history": hist, "horizon": 6,
		"samples": 400, "quantiles": []float64{0.1, 0.5, 0.9}, "paths": 3, "seed": 9})
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got struct {
		Object    string        `json:"object"`
		Dim       int           `json:"dim"`
		Seed      uint64        `json:"seed"`
		Mean      [][]float64   `json:"mean"`
		Quantiles [][][]float64 `json:"quantiles"`
		Paths     [][][]float64 `json:"paths"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	vals := append([]float64(nil), x...)
	vals[len(vals)-5] = math.NaN()
	st := m.Real.NewRealState()
	st.Append(vals...)
	paths, err := forecast.Paths(context.Background(), m.Real, st, 6, 400, 9)
	if err != nil {
		t.Fatal(err)
	}
	q := forecast.Quantiles(paths, 400, 6, 1, []float64{0.1, 0.5, 0.9})
	means := forecast.Means(paths, 400, 6, 1)
	if got.Object != "forecast" || got.Dim != 1 || got.Seed != 9 || len(got.Mean) != 6 || len(got.Paths) != 3 {
		t.Fatalf("forecast %s", body)
	}
	for h := range 6 {
		if got.Mean[h][0] != means[h] {
			t.Errorf("step %d: mean %v, package forecast %v", h, got.Mean[h][0], means[h])
		}
		for j := range 3 {
			if got.Quantiles[h][0][j] != q[h*3+j] {
				t.Errorf("step %d level %d: %v, package forecast %v", h, j, got.Quantiles[h][0][j], q[h*3+j])
			}
		}
		if got.Paths[1][h][0] != paths[6+h] {
			t.Errorf("path 1 step %d: %v, package forecast %v", h, got.Paths[1][h][0], paths[6+h])
		}
	}
	if lo, hi := got.Quantiles[0][0][0], got.Quantiles[0][0][2]; !(lo < got.Mean[0][0] && got.Mean[0][0] < hi) {
		t.Errorf("step 1: mean %v outside [%v, %v]", got.Mean[0][0], lo, hi)
	}

	for _, c := range []struct {
		name, path, body string
		want             int
	}{
		{"completion of a real model", "/v1/completions", `{"model":"ar2","prompt":"a"}`, 400},
		{"forecast of a token model", "/v1/forecast", `{"model":"tiny","history":[1,2]}`, 400},
		{"tokenize with a real model", "/tokenize", `{"model":"ar2","content":"a"}`, 400},
		{"steps of two values", "/v1/forecast", `{"model":"ar2","history":[[1,2],[3,4]]}`, 400},
		{"history of strings", "/v1/forecast", `{"model":"ar2","history":["a"]}`, 400},
		{"horizon zero", "/v1/forecast", `{"model":"ar2","history":[1],"horizon":0}`, 400},
		{"too many samples", "/v1/forecast", `{"model":"ar2","history":[1],"samples":100000}`, 400},
		{"level one", "/v1/forecast", `{"model":"ar2","history":[1],"quantiles":[1]}`, 400},
		{"too many paths", "/v1/forecast", `{"model":"ar2","history":[1],"samples":10,"paths":11}`, 400},
		{"unknown model", "/v1/forecast", `{"model":"nope","history":[1]}`, 404},
	} {
		code, body := post(t, ts.URL+c.path, c.body)
		checkAPIError(t, c.name, code, body, c.want)
	}
}
