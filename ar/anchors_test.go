package ar

import (
	"context"
	"math"
	"testing"
	"time"
)

// testNLL fits on the first nTrain points and returns the mean one-step
// NLL over the rest, conditioned on the true past.
func testNLL(t *testing.T, y []float64, nTrain int, opt Options) (float64, *Model, *Report) {
	t.Helper()
	m, rep, err := Fit(context.Background(), [][]float64{y[:nTrain]}, opt)
	if err != nil {
		t.Fatal(err)
	}
	st := m.NewRealState()
	st.Append(y[:nTrain]...)
	var nll float64
	for _, v := range y[nTrain:] {
		nll -= st.Predict().LogProb(0, v)
		st.Append(v)
	}
	return nll / float64(len(y)-nTrain), m, rep
}

// TestAnchors reproduces the data README's standardized one-step NLL
// anchors: AR(p) Gaussian, and AR(p) with a residual Gaussian mixture whose
// size BIC chooses.
func TestAnchors(t *testing.T) {
	for _, a := range []struct {
		name  string
		p     int
		gauss float64
		mix   float64
		mixK  int
	}{
		{"sunspots", 9, 1.013, 0.922, 2},
		{"births", 57, 0.542, 0.269, 3},
	} {
		y := loadSeries(t, a.name)
		n := int(math.Round(0.8 * float64(len(y))))
		nll, m, _ := testNLL(t, y, n, Options{Order: a.p, Standardize: true})
		lns := math.Log(m.Scale)
		t.Logf("%s AR(%d): standardized NLL %.5f (anchor %.3f)", a.name, a.p, nll-lns, a.gauss)
		if math.Abs(nll-lns-a.gauss) > 0.0005 {
			t.Errorf("%s AR(%d): NLL %.4f, anchor %.3f", a.name, a.p, nll-lns, a.gauss)
		}
		start := time.Now()
		nll, m, rep := testNLL(t, y, n, Options{Order: a.p, Standardize: true, Mixture: AutoMixture, Restarts: 3, Seed: 1})
		t.Logf("%s AR(%d)+GMM K=%d: standardized NLL %.5f (anchor %.3f), fit %v; %+v", a.name, a.p, m.Mix.K(), nll-lns, a.mix, time.Since(start), rep.Mixture)
		if m.Mix.K() != a.mixK || math.Abs(nll-lns-a.mix) > 0.005 {
			t.Errorf("%s AR(%d)+GMM: K=%d NLL %.4f, anchor K=%d %.3f", a.name, a.p, m.Mix.K(), nll-lns, a.mixK, a.mix)
		}
	}
}
