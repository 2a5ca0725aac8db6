package main

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/forecast"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/series"
	"github.com/autoreg/autoreg/train"
)

// demoBirths is the daily count of US births 1969–1988 (CDC/NCHS, public
// domain; the same bytes as ../shared/data/timeseries/births.csv,
// gzip-compressed), so the demo's time-series part needs nothing outside
// the binary.
//
//go:embed demodata/births.csv.gz
var demoBirths []byte

// The demo's time-series models. The LSTM is a cheaper cousin of the
// births recipe's GPT (scripts/recipe-births.sh) that trains in a few
// seconds and forecasts faster: the same lags (a week, two weeks and about
// a year), autoregressive highway, dropout and 3-Gaussian mixture head.
// Across seeds such LSTMs score 0.06–0.15 standardized NLL on the test
// part at 1,000 steps (the recipe's GPT −0.061), the AR anchor 0.270.
var (
	demoSeriesArch = train.Arch{Family: "lstm", Layers: 1, Dim: 32, Dropout: 0.2}
	demoSeriesLags = []int{7, 14, 357, 364, 365, 366, 371}
	demoSeriesOpts = train.Options{Batch: 16, Context: 64, Steps: 400, LR: 3e-3, Warmup: 20, WeightDecay: 0.01, Clip: 1}
)

// demoSeries is the demo's time-series part: AR(57) with a residual
// mixture and a small LSTM on daily births, scored one step ahead and by
// week-ahead sample paths on the last 20%, and a fan chart of the next four
// weeks.
func demoSeries(ctx context.Context, stdout, stderr io.Writer, dir string, seed uint64) error {
	csvPath := filepath.Join(dir, "births.csv")
	if err := writeGunzip(csvPath, demoBirths); err != nil {
		return err
	}
	ss, err := series.ReadFile(csvPath, series.Options{Columns: []string{"births"}, Time: "date"})
	if err != nil {
		return err
	}
	s := ss[0]
	n := series.TrainLen(s.Len(), 0.2)
	fmt.Fprintf(stdout, "  daily US births %s … %s: %s days, trained on the first %s, scored on the last %s\n",
		s.Times[0], s.Times[s.Len()-1], thousands(int64(s.Len())), thousands(int64(n)), thousands(int64(s.Len()-n)))

	t0 := time.Now()
	am, _, err := ar.Fit(ctx, [][]float64{s.Values[:n]}, ar.Options{Order: 57, Standardize: true, Mixture: 3, Restarts: 3, Seed: 1})
	if err != nil {
		return err
	}
	arPath := filepath.Join(dir, "births.ar.arm")
	if err := modelfile.Write(arPath, &modelfile.File{Meta: modelfile.Meta{Family: "ar", Columns: s.Columns, Time: "date"}, Real: am}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  AR(57) + 3-Gaussian residual mixture: fitted in %s → %s\n", time.Since(t0).Round(10*time.Millisecond), arPath)

	t0 = time.Now()
	mean, scale, err := series.MeanStd([][]float64{s.Values[:n]}, 1, false)
	if err != nil {
		return err
	}
	head, _ := dist.ParseHead("mog:3")
	m, err := train.NewRealModel(demoSeriesArch, train.Real{Head: head, Lags: demoSeriesLags, Mean: mean, Scale: scale, Highway: true}, seed)
	if err != nil {
		return err
	}
	opts := demoSeriesOpts
	opts.Seed = seed
	tr, err := train.New(m, opts)
	if err != nil {
		return err
	}
	pr := newProgress(stderr, "  lstm")
	tr.OnStep = func(p train.Progress) {
		if pr.tty {
			pr.line(fmt.Sprintf("  lstm step %d/%d  loss %.3f", p.Step, p.Steps, p.Loss))
		}
	}
	err = tr.Run(ctx, train.Data{Series: []train.Series{{Values: s.Values[:n], Train: n}}})
	pr.done()
	if err != nil {
		return err
	}
	meta, err := train.RealMeta(m, s.Columns, "date")
	if err != nil {
		return err
	}
	lstmPath := filepath.Join(dir, "births.lstm.arm")
	if err := modelfile.Write(lstmPath, &modelfile.File{Meta: meta, Real: m}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  LSTM (1 layer of %d, lags %v, AR highway, mog:3 head): %d steps in %s → %s\n",
		demoSeriesArch.Dim, demoSeriesLags, opts.Steps, time.Since(t0).Round(100*time.Millisecond), lstmPath)

	const horizon, paths = 7, 50
	fmt.Fprintf(stdout, "  %-22s %9s %10s %12s %10s\n", "scores on the test part", "NLL std", "CRPS 1-day", "CRPS 7 days", "cover 90%")
	data := []forecast.Data{{Values: s.Values, Train: n}}
	var naive forecast.Lead
	for _, c := range []struct {
		name string
		m    autoreg.RealModel
	}{{"AR(57)+mixture", am}, {"LSTM", m}} {
		res, err := forecast.Evaluate(ctx, c.m, data, forecast.Options{Season: 7, Horizon: horizon, Samples: paths, Seed: seed})
		if err != nil {
			return err
		}
		last := res.Rolling.Leads[horizon-1]
		naive = last
		fmt.Fprintf(stdout, "  %-22s %9.3f %10.1f %12.1f %10.3f\n", c.name, res.NLLStd, res.CRPS, last.Model.CRPS, last.Model.Cover90)
	}
	fmt.Fprintf(stdout, "  %-22s %9s %10s %12.1f %10.3f\n", "seasonal naive", "", "", naive.Baseline.CRPS, naive.Baseline.Cover90)
	fmt.Fprintf(stdout, "  (NLL per day, standardized; CRPS in births, %d sample paths from each of %s origins)\n", paths, thousands(int64(s.Len()-n)))

	plot, table := filepath.Join(dir, "births.forecast.png"), filepath.Join(dir, "births.forecast.csv")
	if err := runForecast(ctx, []string{"--model", lstmPath, "--data", csvPath, "--horizon", "28", "--samples", "500",
		"--history", "84", "--seed", fmt.Sprint(seed), "--out", table, "--plot", plot}, io.Discard, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  the next four weeks, from the LSTM: %s (fan chart), %s\n", plot, table)
	return nil
}

// writeGunzip writes the gunzipped gz to path atomically.
func writeGunzip(path string, gz []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	w, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, zr); err != nil {
		return err
	}
	return w.Commit()
}
