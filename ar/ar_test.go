package ar

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/modeltest"
)

// simulate draws n values of x_t = c + φ_1 x_{t−1} + … + ε_t, ε ~ N(0, σ²),
// after a burn-in of 500.
func simulate(r *rand.Rand, c float64, phi []float64, sigma float64, n int) []float64 {
	x := make([]float64, n+500)
	for t := range x {
		v := c + sigma*r.NormFloat64()
		for i, f := range phi {
			if t-i-1 >= 0 {
				v += f * x[t-i-1]
			}
		}
		x[t] = v
	}
	return x[500:]
}

func TestRecoversAR2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	y := simulate(r, 2, []float64{0.6, -0.3}, 1.5, 20000)
	m, rep, err := Fit(context.Background(), [][]float64{y}, Options{MaxLag: 8, Criterion: BIC})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Order != 2 {
		t.Fatalf("BIC chose order %d, want 2", rep.Order)
	}
	// Standard errors are about 1/√n ≈ 0.007 for the coefficients.
	for i, want := range []float64{0.6, -0.3} {
		if math.Abs(m.Coef[i]-want) > 0.03 {
			t.Errorf("φ_%d = %.4f, want %.1f", i+1, m.Coef[i], want)
		}
	}
	if math.Abs(m.Intercept-2) > 0.1 || math.Abs(m.Sigma2-2.25)/2.25 > 0.05 {
		t.Errorf("c = %.3f σ² = %.3f, want 2 and 2.25", m.Intercept, m.Sigma2)
	}
}

// TestStandardizedVersusRaw: least squares is equivariant, so a
// standardized fit predicts what a raw fit predicts and its log-densities
// in standardized units are the raw ones plus ln s, to rounding.
func TestStandardizedVersusRaw(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	y := simulate(r, 300, []float64{0.5, 0.2, -0.1}, 40, 3000)
	for _, mix := range []int{0, 2} {
		raw, _, err := Fit(context.Background(), [][]float64{y[:2400]}, Options{Order: 3, Mixture: mix, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		std, _, err := Fit(context.Background(), [][]float64{y[:2400]}, Options{Order: 3, Standardize: true, Mixture: mix, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		rs, ss := raw.NewRealState(), std.NewRealState()
		rs.Append(y[:2400]...)
		ss.Append(y[:2400]...)
		var nllRaw, nllStd float64
		for _, v := range y[2400:] {
			nllRaw -= rs.Predict().LogProb(0, v)
			// The standardized model's density of z = (v − mean)/s.
			nllStd -= ss.Predict().LogProb(0, v) + math.Log(std.Scale)
			rs.Append(v)
			ss.Append(v)
		}
		n := float64(len(y) - 2400)
		diff := nllRaw/n - nllStd/n
		// A Gaussian fit is equivariant to rounding; EM's stopping rule
		// sees the same sequence of mean log-likelihoods, shifted by ln s,
		// so the mixture is too.
		if math.Abs(diff-math.Log(std.Scale)) > 1e-9 {
			t.Errorf("mixture %d: raw − standardized NLL = %.12f, ln s = %.12f", mix, diff, math.Log(std.Scale))
		}
	}
}

func TestConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	y := simulate(r, 1, []float64{0.7, -0.2}, 1, 400)
	for _, opt := range []Options{{Order: 2}, {Order: 0}, {Order: 5, Standardize: true}, {Order: 2, Mixture: 3, Standardize: true}} {
		m, _, err := Fit(context.Background(), [][]float64{y}, opt)
		if err != nil {
			t.Fatal(err)
		}
		o := modeltest.RealOptions{Histories: [][]float64{y[:40], y[100:140]}, SaveLoad: modeltest.RealPayloadRoundTrip(Read)}
		if opt.Order == 0 {
			// AR(0) predicts the same distribution after any history.
			o.Skip = map[modeltest.Check]string{modeltest.Distribution: ""}
		}
		t.Run(fmt.Sprintf("order %d mixture %d standardized %v", opt.Order, opt.Mixture, opt.Standardize), func(t *testing.T) {
			modeltest.TestRealModel(t, m, o)
		})
	}
}

func TestMissingValues(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	y := simulate(r, 0, []float64{0.8}, 1, 2000)
	holes := append([]float64(nil), y...)
	for i := 10; i < len(holes); i += 50 {
		holes[i] = math.NaN()
	}
	m, rep, err := Fit(context.Background(), [][]float64{holes}, Options{Order: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Each hole removes the row of its own value and the row it lags.
	if want := 1999 - 2*40; rep.Nobs != want {
		t.Errorf("nobs %d, want %d", rep.Nobs, want)
	}
	if math.Abs(m.Coef[0]-0.8) > 0.05 {
		t.Errorf("φ = %g with holes", m.Coef[0])
	}
	// Two series pooled.
	m2, rep2, err := Fit(context.Background(), [][]float64{y[:1000], y[1000:]}, Options{Order: 1})
	if err != nil || rep2.Nobs != 1998 || math.Abs(m2.Coef[0]-0.8) > 0.05 {
		t.Errorf("pooled: %v nobs %d φ %v", err, rep2.Nobs, m2.Coef)
	}
}

func TestFitErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		ys   [][]float64
		opt  Options
		want string
	}{
		{[][]float64{{1, 2, 3}}, Options{Order: 5}, "too few points"},
		{[][]float64{{2, 2, 2, 2, 2, 2}}, Options{Order: 1}, "constant"},
		{[][]float64{{math.NaN()}}, Options{}, "no training values"},
		{[][]float64{{1, 2, 3}}, Options{Order: -1}, "out of range"},
		{[][]float64{{1, 2, 3}}, Options{Mixture: 9}, "mixture components"},
		{[][]float64{{1, 2, 1, 2, 1, 2, 1, 2}}, Options{Order: 3}, "linearly dependent"},
	} {
		if _, _, err := Fit(ctx, c.ys, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %+v: error %v, want %q", c.ys, c.opt, err, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Fit(cancelled, [][]float64{{1, 5, 2, 7, 3, 4, 8, 1}}, Options{Order: 1, Mixture: 2}); err == nil {
		t.Error("a cancelled fit succeeded")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	y := simulate(r, 5, []float64{0.3, 0.3}, 2, 800)
	for _, opt := range []Options{{Order: 2}, {Order: 0, Standardize: true}, {Order: 4, Mixture: 2, Standardize: true}} {
		m, _, err := Fit(context.Background(), [][]float64{y}, opt)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatal(n, err)
		}
		back, err := Read(bytes.NewReader(buf.Bytes()), n)
		if err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		back.WriteTo(&again)
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Fatal("rewriting a read payload changed its bytes")
		}
		a, b := m.NewRealState(), back.NewRealState()
		a.Append(y...)
		b.Append(y...)
		if a.Predict().LogProb(0, 1.5) != b.Predict().LogProb(0, 1.5) {
			t.Error("the read model predicts differently")
		}
	}
}

func TestPayloadErrors(t *testing.T) {
	m := &Model{Mean: 1, Scale: 2, Intercept: 0.5, Sigma2: 1, Coef: []float64{0.5}, Mix: &Mixture{Weights: []float64{0.5, 0.5}, Means: []float64{0, 1}, Vars: []float64{1, 2}}}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	good := buf.Bytes()
	corrupt := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	nan := []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}
	for _, c := range []struct {
		data []byte
		want string
	}{
		{good[:10], "shorter than its header"},
		{corrupt(0, 'X'), "bad payload magic"},
		{corrupt(8, 2), "payload version 2"},
		{corrupt(12, 2), "dimension 2"},
		{corrupt(16, 0xff, 0xff, 0xff, 0x7f), "order"},
		{corrupt(20, 9), "mixture components"},
		{corrupt(24, 6), "unknown flags"},
		{corrupt(40, nan...), "NaN"},
		{corrupt(40, 0, 0, 0, 0, 0, 0, 0, 0), "positive"},
		{corrupt(72, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f), "sum to"},
		{corrupt(104, 0, 0, 0, 0, 0, 0, 0, 0x80), "positive"},
		{good[:len(good)-8], "need"},
	} {
		if _, err := Read(bytes.NewReader(c.data), int64(len(c.data))); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	m := &Model{Mean: 1, Scale: 2, Intercept: 0.5, Sigma2: 1, Coef: []float64{0.5, 0.1}, Mix: &Mixture{Weights: []float64{1}, Means: []float64{0}, Vars: []float64{1}}}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		st := m.NewRealState()
		st.Append(1, math.NaN(), 3)
		if d := st.Predict(); math.IsNaN(d.Mean(0)) {
			t.Fatalf("a valid payload predicts NaN: %+v", m)
		}
	})
}

func Example() {
	// An AR(1) process x_t = 0.8 x_{t−1} + ε_t, fitted and asked for the
	// next value.
	r := rand.New(rand.NewPCG(1, 2))
	y := simulate(r, 0, []float64{0.8}, 1, 5000)
	m, rep, _ := Fit(context.Background(), [][]float64{y}, Options{MaxLag: 5, Criterion: BIC})
	st := m.NewRealState()
	st.Append(y...)
	d := st.Predict()
	fmt.Printf("order %d, φ₁ %.2f, σ² %.2f\n", rep.Order, m.Coef[0], m.Sigma2)
	fmt.Printf("next value: mean %.3f, 90%% interval [%.2f, %.2f]\n", d.Mean(0), d.Quantile(0, 0.05), d.Quantile(0, 0.95))
	// Output:
	// order 1, φ₁ 0.79, σ² 1.01
	// next value: mean -0.733, 90% interval [-2.38, 0.92]
}
