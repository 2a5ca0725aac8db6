package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/series"
)

// runTrainAR is `autoreg train --arch ar`: fit an AR(p) model to the
// training part of CSV series and write it as a model file.
func runTrainAR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := realFlagSet("train", "Fit an AR(p) model with intercept by least squares to real-valued series (a CSV column), with Gaussian or Gaussian-mixture innovations.",
		"--arch ar --data FILE.csv --column NAME --out FILE [--order P | --max-lag N --ic aic|bic] [--head gaussian|mog:K|mog:auto] [--test-split 0.2]")
	var sf seriesFlags
	sf.register(fs, "training series")
	arch := fs.String("arch", "ar", "model architecture: `ar` here (the other architectures train on text)")
	out := fs.String("out", "", "where to write the model `FILE` (required)")
	order := fs.Int("order", -1, "fixed order `P` (the number of lags)")
	maxLag := fs.Int("max-lag", -1, "choose the order in 0..`N` by --ic on a common sample (default when neither is given: Schwert's 12·(n/100)^¼)")
	ic := fs.String("ic", "aic", "information criterion for the order: `aic` or bic")
	head := fs.String("head", "gaussian", "innovation distribution: gaussian, mog:K (a K-Gaussian mixture fitted to the residuals by EM, K in 1..5) or mog:auto (K by BIC)")
	testSplit := fs.Float64("test-split", 0.2, "hold out the last `FRACTION` of every series for evaluation (never read in training; 0 = train on all)")
	standardize := fs.Bool("standardize", true, "fit on (x − mean)/std of the training part (the predictions are the same; the densities are the anchors' standardized ones shifted by ln std)")
	restarts := fs.Int("restarts", 3, "mixture: EM runs from seeded k-means++ starts, the best kept")
	seed := fs.Uint64("seed", 1, "random seed of the mixture's starts")
	asJSON := fs.Bool("json", false, "print the fit as one JSON object")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if *arch != "ar" {
		return usagef("--arch %q: this form of train fits ar models", *arch)
	}
	if err := checkOut("--out", *out); err != nil {
		return err
	}
	if err := checkSplit("test-split", *testSplit, true); err != nil {
		return err
	}
	crit, err := ar.ParseCriterion(*ic)
	if err != nil {
		return usagef("--ic: %v", err)
	}
	mixture, err := parseARHead(*head)
	if err != nil {
		return err
	}
	if *order >= 0 && *maxLag >= 0 {
		return usagef("--order and --max-lag exclude each other")
	}
	ss, err := sf.read(pos, nil)
	if err != nil {
		return err
	}
	path := sf.data
	if path == "" {
		path = pos[0]
	}
	if ss[0].Dim() != 1 {
		return usagef("ar models one column; %d were selected (%s)", ss[0].Dim(), strings.Join(ss[0].Columns, ", "))
	}
	var train [][]float64
	steps, trainSteps := 0, 0
	for _, s := range ss {
		n := series.TrainLen(s.Len(), *testSplit)
		train = append(train, s.Values[:n])
		steps += s.Len()
		trainSteps += n
	}
	opt := ar.Options{Criterion: crit, Standardize: *standardize, Mixture: mixture, Restarts: *restarts, Seed: *seed}
	switch {
	case *order >= 0:
		opt.Order = *order
	case *maxLag >= 0:
		opt.MaxLag = *maxLag
	default:
		opt.MaxLag = max(1, int(12*math.Pow(float64(trainSteps)/float64(len(ss))/100, 0.25)))
	}
	start := time.Now()
	m, rep, err := ar.Fit(ctx, train, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	el := time.Since(start)
	info := trainARInfo(path, ss, steps, trainSteps, *testSplit, opt, rep, el)
	cfg, _ := json.Marshal(map[string]any{"order": rep.Order, "head": headName(m), "standardize": *standardize})
	training, _ := json.Marshal(info)
	f := &modelfile.File{Meta: modelfile.Meta{Family: "ar", Config: cfg, Training: training, Columns: ss[0].Columns, Time: sf.time}, Real: m}
	if err := modelfile.Write(*out, f); err != nil {
		return err
	}
	if *asJSON {
		info["model"] = *out
		info["sha256"] = fmt.Sprintf("%x", f.SHA256)
		return writeJSON(stdout, info)
	}
	printARFit(stdout, path, ss, steps, trainSteps, *testSplit, opt, rep, m)
	fmt.Fprintf(stdout, "model       %s (%s), fitted in %.3f s\n", *out, humanBytes(fileSize(*out)), el.Seconds())
	return nil
}

// parseARHead reads --head for ar: the mixture components Fit takes.
func parseARHead(s string) (int, error) {
	switch {
	case s == "gaussian":
		return 0, nil
	case s == "mog:auto":
		return ar.AutoMixture, nil
	case strings.HasPrefix(s, "mog:"):
		k, err := strconv.Atoi(s[4:])
		if err == nil && k >= 1 && k <= ar.MaxMixture {
			return k, nil
		}
	}
	return 0, usagef("--head %q: ar takes gaussian, mog:K (K in 1..%d) or mog:auto", s, ar.MaxMixture)
}

// headName names a fitted model's innovation distribution as --head does.
func headName(m *ar.Model) string {
	if m.Mix == nil {
		return "gaussian"
	}
	return "mog:" + strconv.Itoa(m.Mix.K())
}

// trainARInfo is the training record stored in the model file's META and
// printed by --json.
func trainARInfo(path string, ss []*series.Series, steps, trainSteps int, split float64, opt ar.Options, rep *ar.Report, el time.Duration) map[string]any {
	info := map[string]any{
		"data": path, "series": len(ss), "steps": steps, "train_steps": trainSteps, "test_split": split,
		"order": rep.Order, "nobs": rep.Nobs, "sigma2": rep.Sigma2, "log_likelihood": rep.LogLik, "aic": rep.AIC, "bic": rep.BIC,
		"seconds": el.Seconds(),
	}
	if rep.Selection != nil {
		ics := make([]float64, len(rep.Selection))
		for i, c := range rep.Selection {
			ics[i] = c.AIC
			if opt.Criterion == ar.BIC {
				ics[i] = c.BIC
			}
		}
		info["selection"] = map[string]any{"max_lag": opt.MaxLag, "ic": opt.Criterion.String(), "nobs": rep.Selection[0].Nobs, "by_order": ics}
	}
	if rep.Mixture != nil {
		var mix []map[string]any
		for _, f := range rep.Mixture {
			mix = append(mix, map[string]any{"k": f.K, "log_likelihood": f.LogLik, "bic": f.BIC, "chosen": f.Chosen})
		}
		info["mixture"] = mix
	}
	return info
}

func printARFit(w io.Writer, path string, ss []*series.Series, steps, trainSteps int, split float64, opt ar.Options, rep *ar.Report, m *ar.Model) {
	held := "no test part held out"
	if split > 0 {
		held = fmt.Sprintf("the last %g of each series held out", split)
	}
	fmt.Fprintf(w, "data        %s: %d series, %s steps of %q; training part %s (%s)\n", path, len(ss), thousands(int64(steps)), ss[0].Columns[0], thousands(int64(trainSteps)), held)
	if rep.Selection != nil {
		fmt.Fprintf(w, "order       %d, by %s over 0..%d on a common sample of %s\n", rep.Order, strings.ToUpper(opt.Criterion.String()), opt.MaxLag, thousands(int64(rep.Selection[0].Nobs)))
	} else {
		fmt.Fprintf(w, "order       %d (fixed)\n", rep.Order)
	}
	fmt.Fprintf(w, "fit         nobs %s, σ² %.6g, log-likelihood %.4f, AIC %.4f, BIC %.4f (data units)\n", thousands(int64(rep.Nobs)), rep.Sigma2, rep.LogLik, rep.AIC, rep.BIC)
	if m.Standardized {
		fmt.Fprintf(w, "units       standardized: mean %.6g, std %.6g\n", m.Mean, m.Scale)
	}
	if rep.Mixture == nil {
		fmt.Fprintf(w, "innovations Gaussian\n")
		return
	}
	var tried []string
	for _, f := range rep.Mixture {
		mark := ""
		if f.Chosen {
			mark = "*"
		}
		tried = append(tried, fmt.Sprintf("K=%d %.2f%s", f.K, f.BIC, mark))
	}
	fmt.Fprintf(w, "innovations %d-Gaussian mixture fitted to the residuals (BIC: %s)\n", m.Mix.K(), strings.Join(tried, ", "))
}
