package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small LSTM on sunspots end to end: train with a mixture head, lags and
// validation, log and chart; info, eval, forecast and sample on it; a
// Ctrl-C-style stop and a --resume (without --data) whose log matches an
// uninterrupted run.
func TestTrainRealNeural(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	out := filepath.Join(dir, "s.arm")
	args := []string{"train", "--arch", "lstm", "--layers", "1", "--dim", "16", "--context", "16", "--batch", "4",
		"--steps", "30", "--eval-every", "10", "--data", sun, "--column", "value", "--time", "year", "--head", "mog:2",
		"--lags", "11", "--highway", "--valid-split", "0.2", "--out", out, "--log", filepath.Join(dir, "a.jsonl")}
	code, _, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "best validation loss") || !strings.Contains(errs, "in the data's units") {
		t.Errorf("train's summary: %s", errs)
	}
	for _, f := range []string{"s.arm", "s.best.arm", "s.loss.png", "a.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	recs := readLog(t, filepath.Join(dir, "a.jsonl"))
	if len(recs) != 30 || recs[9]["val_loss"] == nil || recs[0]["data_steps"] != 64.0 {
		t.Fatalf("%d log records: %v", len(recs), recs[0])
	}

	best := filepath.Join(dir, "s.best.arm")
	code, info, _ := cli(t, "info", best)
	if code != 0 || !strings.Contains(info, "family      lstm-real") || !strings.Contains(info, "head        mog:2") ||
		!strings.Contains(info, "lags        11 (and the last value)") || !strings.Contains(info, "highway     a linear map") {
		t.Errorf("info:\n%s", info)
	}
	code, res, errs := cli(t, "eval", "--model", best, "--data", sun, "--json", "--horizon", "3", "--samples", "20")
	if code != 0 {
		t.Fatalf("eval: %s", errs)
	}
	ev := jsonAny(t, res)
	// NLL_raw = NLL_std + ln(std of the training part): 3.5282 for sunspots.
	if ev["points"] != 62.0 || math.Abs(ev["nll"].(float64)-ev["nll_std"].(float64)-3.5282) > 1e-3 || ev["crps_method"] != "closed form" {
		t.Errorf("eval: %v", ev)
	}
	if code, _, errs = cli(t, "forecast", "--model", best, "--data", sun, "--horizon", "5", "--samples", "50",
		"--out", filepath.Join(dir, "f.csv"), "--plot", filepath.Join(dir, "f.png")); code != 0 {
		t.Errorf("forecast: %s", errs)
	}
	if code, res, errs = cli(t, "sample", "--model", best, "--data", sun, "--horizon", "4"); code != 0 || len(strings.Fields(res)) < 4 {
		t.Errorf("sample: exit %d %s %s", code, res, errs)
	}

	checkStopResume(t, args, recs, []string{"step", "data_steps", "loss", "lr", "val_loss"})
}

// TestIsRealTraining: which command lines train on series.
func TestIsRealTraining(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"--arch", "lstm", "--data", "t.txt"}, false},
		{[]string{"--arch", "lstm", "--data", "t.txt", "--column", "v"}, true},
		{[]string{"--arch=gpt", "--head=mog:2", "--data", "x"}, true},
		{[]string{"--arch", "lstm", "--data", "births.CSV"}, true},
		{[]string{"--arch", "lstm", "--data", "births.csv", "--tokenizer", "char"}, false},
		{[]string{"--arch", "lstm", "--resume", "--out", "none.arm"}, false},
	} {
		if got := isRealTraining(c.args); got != c.want {
			t.Errorf("%v: %v, want %v", c.args, got, c.want)
		}
	}
}

// TestTrainRealErrors: bad heads, lags, grids and splits are usage errors.
func TestTrainRealErrors(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	base := []string{"train", "--arch", "lstm", "--data", sun, "--column", "value", "--out", filepath.Join(dir, "x.arm")}
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{[]string{"--head", "mog:0"}, "--head"},
		{[]string{"--lags", "0"}, "--lags"},
		{[]string{"--head", "dlogistic:2"}, "--grid"},
		{[]string{"--head", "dlogistic:2", "--grid", "0,0,10"}, "--grid"},
		{[]string{"--grid", "0,1,10"}, "dlogistic"},
		{[]string{"--valid-split", "1"}, "--valid-split"},
		{[]string{"--arch", "rwkv"}, "rwkv"},
		{[]string{"--embed", "3"}, "embed"},
	} {
		code, _, errs := cli(t, append(append([]string(nil), base...), c.extra...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", c.extra, code, errs, c.want)
		}
	}
}
