package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg/forecast"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/series"
)

// runEvalReal is `autoreg eval` on a real-valued model: one-step scores of
// the test part of CSV series, and optionally the rolling multi-step
// evaluation.
func runEvalReal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := realFlagSet("eval", "Score a real-valued model on the test part of CSV series: NLL (raw and standardized), MAE, RMSE, MASE, CRPS one step ahead; with --horizon, sample-path forecasts from every test origin against the seasonal naive baseline. "+
		"On a WAV file, the NLL alone, in bits per sample (--test-split 1: the whole file, what compress --model codes it in).",
		"--model FILE --data FILE.csv|FILE.wav [--test-split 0.2] [--season S] [--horizon H] [--json]")
	var sf seriesFlags
	sf.register(fs, "the series to score")
	model := fs.String("model", "", "the real-valued model `FILE`")
	testSplit := fs.Float64("test-split", 0.2, "score the last `FRACTION` of every series, conditioned on everything before it (a WAV file: 1 scores it all)")
	season := fs.Int("season", 1, "season `S` of MASE and of the seasonal naive baseline (7 for daily data with a weekly cycle)")
	horizon := fs.Int("horizon", 0, "also forecast 1..`H` steps ahead from every test origin by sample paths (0 = one step only)")
	samples := fs.Int("samples", 200, "sample paths per origin for --horizon")
	seed := fs.Uint64("seed", 1, "random seed of the sample paths")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	originsOut := fs.String("origins-out", "", "with --horizon: write the model's CRPS of every test origin at every lead to this CSV `FILE` (origin,lead,crps), for paired comparisons")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	wav := sf.wav(pos)
	if wav && *testSplit == 1 {
		if *horizon > 0 {
			return usagef("--horizon needs a training part: --test-split below 1")
		}
	} else if err := checkSplit("test-split", *testSplit, false); err != nil {
		return err
	}
	if *season < 1 || *horizon < 0 || (*horizon > 0 && *samples < 2) {
		return usagef("--season must be ≥ 1, --horizon ≥ 0 and --samples ≥ 2")
	}
	f, err := loadReal(*model)
	if err != nil {
		return err
	}
	ss, err := sf.read(pos, &f.Meta)
	if err != nil {
		return err
	}
	var data []forecast.Data
	steps, test := 0, 0
	for _, s := range ss {
		n := 0
		if *testSplit < 1 {
			n = series.TrainLen(s.Len(), *testSplit)
		}
		data = append(data, forecast.Data{Values: s.Values, Train: n})
		steps += s.Len()
		test += s.Len() - n
	}
	start := time.Now()
	// Sound is scored by its NLL alone: the other scores need the
	// predictive mean and CDF sums over the 65,536 levels of every sample.
	nllOnly := wav && *horizon == 0
	res, err := forecast.Evaluate(ctx, f.Real, data, forecast.Options{Season: *season, Horizon: *horizon, Samples: *samples, Seed: *seed, NLLOnly: nllOnly})
	if err != nil {
		return err
	}
	el := time.Since(start)
	if nllOnly {
		bits := res.NLL / math.Ln2
		if *asJSON {
			return writeJSON(stdout, map[string]any{"points": res.Points, "nll": res.NLL, "bits_per_sample": bits,
				"bits": bits * float64(res.Points), "steps": steps, "test_steps": test, "test_split": *testSplit, "columns": ss[0].Columns, "seconds": el.Seconds()})
		}
		fmt.Fprintf(stdout, "data        %s frames of %s; scored the last %s (the last %g), one step ahead on the true past\n", thousands(int64(steps)), strings.Join(ss[0].Columns, ", "), thousands(int64(test)), *testSplit)
		fmt.Fprintf(stdout, "NLL         %.4f nats/sample = %.4f bits/sample over %s samples (%.0f bits in all)\n", res.NLL, bits, thousands(int64(res.Points)), bits*float64(res.Points))
		fmt.Fprintf(stdout, "time        %.2f s\n", el.Seconds())
		return nil
	}
	if ro := res.Rolling; ro != nil && *originsOut != "" {
		var b strings.Builder
		b.WriteString("origin,lead,crps\n")
		for k, v := range ro.OriginCRPS {
			fmt.Fprintf(&b, "%d,%d,%s\n", k/ro.Horizon, k%ro.Horizon+1, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if err := atomicfile.WriteFile(*originsOut, func(w io.Writer) error { _, err := io.WriteString(w, b.String()); return err }); err != nil {
			return err
		}
	}
	if *asJSON {
		out := map[string]any{
			"points": res.Points, "nll": res.NLL, "nll_std": res.NLLStd, "mae": res.MAE, "rmse": res.RMSE,
			"mase": finiteJSON(res.MASE), "crps": res.CRPS, "crps_method": res.CRPSMethod,
			"series": len(ss), "steps": steps, "test_steps": test, "test_split": *testSplit, "season": *season,
			"columns": ss[0].Columns, "seconds": el.Seconds(),
		}
		if ro := res.Rolling; ro != nil {
			var leads []any
			for _, l := range ro.Leads {
				leads = append(leads, leadJSON(l))
			}
			out["rolling"] = map[string]any{"horizon": ro.Horizon, "samples": ro.Samples, "origins": ro.Origins, "seed": *seed, "leads": leads, "all": leadJSON(ro.All)}
		}
		return writeJSON(stdout, out)
	}
	w := stdout
	fmt.Fprintf(w, "data        %d series, %s steps of %s; test part %s steps (the last %g of each)\n", len(ss), thousands(int64(steps)), strings.Join(ss[0].Columns, ", "), thousands(int64(test)), *testSplit)
	fmt.Fprintf(w, "scored      %s values, one step ahead on the true past\n", thousands(int64(res.Points)))
	fmt.Fprintf(w, "NLL         %.4f nats/value raw, %.4f standardized\n", res.NLL, res.NLLStd)
	fmt.Fprintf(w, "errors      MAE %.5g, RMSE %.5g, MASE %.4f (season %d), of the predictive mean\n", res.MAE, res.RMSE, res.MASE, *season)
	fmt.Fprintf(w, "CRPS        %.5g (%s)\n", res.CRPS, res.CRPSMethod)
	if ro := res.Rolling; ro != nil {
		fmt.Fprintf(w, "\nrolling forecasts from %s origins, %d sample paths each (fair CRPS); seasonal naive N(y[t+h−%dk], k·σ²), k = ⌈h/%d⌉:\n", thousands(int64(ro.Origins)), ro.Samples, *season, *season)
		fmt.Fprintf(w, "%5s %7s | %10s %7s %7s %10s | %10s %7s %7s %10s\n", "lead", "points", "CRPS", "cov50", "cov90", "MAE", "naive CRPS", "cov50", "cov90", "MAE")
		row := func(name string, l forecast.Lead) {
			fmt.Fprintf(w, "%5s %7d | %10.5g %7.3f %7.3f %10.5g | %10.5g %7.3f %7.3f %10.5g\n", name, l.Points,
				l.Model.CRPS, l.Model.Cover50, l.Model.Cover90, l.Model.MAE, l.Baseline.CRPS, l.Baseline.Cover50, l.Baseline.Cover90, l.Baseline.MAE)
		}
		for _, l := range ro.Leads {
			row(fmt.Sprint(l.Lead), l)
		}
		row("all", ro.All)
	}
	fmt.Fprintf(w, "time        %.2f s\n", el.Seconds())
	return nil
}

func leadJSON(l forecast.Lead) map[string]any {
	sc := func(s forecast.Scores) map[string]any {
		return map[string]any{"crps": finiteJSON(s.CRPS), "cover50": finiteJSON(s.Cover50), "cover90": finiteJSON(s.Cover90), "mae": finiteJSON(s.MAE)}
	}
	m := sc(l.Model)
	m["points"] = l.Points
	if l.Lead > 0 {
		m["lead"] = l.Lead
	}
	m["baseline"] = sc(l.Baseline)
	return m
}
