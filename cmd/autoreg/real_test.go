package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

func timeseries(t *testing.T, name string) string {
	return testutil.SharedFile(t, "data/timeseries/"+name+".csv")
}

func jsonAny(t *testing.T, s string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%v: %q", err, s)
	}
	return out
}

// TestARTrainEvalInfo runs the documented command lines on births and checks
// the golden order, the anchors and the info output.
func TestARTrainEvalInfo(t *testing.T) {
	dir := t.TempDir()
	births := timeseries(t, "births")
	model := filepath.Join(dir, "births.arm")
	code, out, errs := cli(t, "train", "--arch", "ar", "--data", births, "--column", "births", "--max-lag", "60", "--ic", "aic", "--test-split", "0.2", "--time", "date", "--out", model)
	if code != 0 || !strings.Contains(out, "order       57, by AIC over 0..60") || !strings.Contains(out, "AIC 82596.3583") {
		t.Fatalf("train: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = cli(t, "eval", "--model", model, "--data", births, "--test-split", "0.2", "--season", "7", "--json")
	if code != 0 {
		t.Fatalf("eval: %s", errs)
	}
	res := jsonNumbers(t, out)
	if res["points"] != 1461 || math.Abs(res["nll_std"]-0.5417) > 1e-4 || math.Abs(res["nll"]-7.4708) > 1e-4 || math.Abs(res["mae"]-249.29) > 0.01 || math.Abs(res["rmse"]-391.25) > 0.01 || res["crps"] <= 0 {
		t.Errorf("eval: %v", res)
	}
	code, out, _ = cli(t, "info", model)
	if code != 0 || !strings.Contains(out, "AR(57) with intercept") || !strings.Contains(out, "innovations Gaussian") {
		t.Errorf("info: %s", out)
	}
	code, out, _ = cli(t, "info", "--json", "--model", model)
	if info := jsonAny(t, out); code != 0 || info["family"] != "ar" || info["model"].(map[string]any)["order"] != 57.0 {
		t.Errorf("info --json: %s", out)
	}
	// A real-valued model is no token model: the token commands say so.
	if code, _, errs = cli(t, "export", "--model", model, "--arpa", filepath.Join(dir, "x.arpa")); code != 1 || !strings.Contains(errs, "real-valued ar model") {
		t.Errorf("export of an ar model: exit %d %s", code, errs)
	}
}

// TestARMixtureAnchor: sunspots AR(9) with a residual mixture chosen by
// BIC, scored standardized: the anchor 0.922.
func TestARMixtureAnchor(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	model := filepath.Join(dir, "sun.arm")
	if code, _, errs := cli(t, "train", "--arch=ar", "--data", sun, "--column", "value", "--time", "year", "--order", "9", "--head", "mog:auto", "--out", model); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := cli(t, "eval", "--model", model, "--data", sun, "--json", "--horizon", "2", "--samples", "50")
	if code != 0 {
		t.Fatal(errs)
	}
	res := jsonAny(t, out)
	if math.Abs(res["nll_std"].(float64)-0.922) > 0.005 || res["crps_method"] != "closed form" {
		t.Errorf("sunspots AR(9)+GMM: %v", res)
	}
	ro := res["rolling"].(map[string]any)
	if ro["origins"] != 62.0 || len(ro["leads"].([]any)) != 2 {
		t.Errorf("rolling: %v", ro)
	}
	// The table form.
	code, out, _ = cli(t, "eval", "--model", model, "--data", sun, "--horizon", "2", "--samples", "50")
	if code != 0 || !strings.Contains(out, "0.92") || !strings.Contains(out, "naive CRPS") {
		t.Errorf("eval table:\n%s", out)
	}
}

func TestForecastAndSample(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	model := filepath.Join(dir, "sun.arm")
	if code, _, errs := cli(t, "train", "--arch", "ar", "--data", sun, "--column", "value", "--time", "year", "--order", "9", "--out", model); code != 0 {
		t.Fatal(errs)
	}
	table, chart := filepath.Join(dir, "f.csv"), filepath.Join(dir, "f.png")
	code, _, errs := cli(t, "forecast", "--model", model, "--data", sun, "--horizon", "5", "--samples", "300", "--quantiles", "0.05,0.5,0.95", "--out", table, "--plot", chart)
	if code != 0 {
		t.Fatal(errs)
	}
	raw, _ := os.ReadFile(table)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 6 || lines[0] != "step,year,mean,q0.05,q0.5,q0.95" || !strings.HasPrefix(lines[1], "1,2009,") || !strings.HasPrefix(lines[5], "5,2013,") {
		t.Errorf("forecast table:\n%s", raw)
	}
	png, _ := os.ReadFile(chart)
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("no PNG fan chart")
	}
	// Without --out the table goes to standard output; the same seed gives
	// the same table.
	code, out, _ := cli(t, "forecast", "--model", model, "--data", sun, "--horizon", "5", "--samples", "300", "--quantiles", "0.05,0.5,0.95")
	if code != 0 || out != string(raw) {
		t.Errorf("forecast to stdout differs from --out:\n%s", out)
	}
	// --from: forecast from inside the series (a time label, else a step
	// count), with what followed in the actual column; past the end, none.
	code, out, errs = cli(t, "forecast", "--model", model, "--data", sun, "--horizon", "3", "--samples", "50", "--quantiles", "0.5",
		"--from", "2007", "--plot", filepath.Join(dir, "from.png"))
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || lines[0] != "step,year,mean,q0.5,actual" ||
		!strings.HasPrefix(lines[1], "1,2007,") || !strings.HasSuffix(lines[1], ",7.5") || !strings.HasSuffix(lines[3], ",") {
		t.Errorf("forecast --from 2007: exit %d %s\n%s", code, errs, out)
	}
	code, out, _ = cli(t, "forecast", "--model", model, "--data", sun, "--horizon", "1", "--samples", "50", "--from", "307")
	if code != 0 || !strings.Contains(out, ",2007,") {
		t.Errorf("forecast --from 307 (steps): %s", out)
	}
	if code, _, errs = cli(t, "forecast", "--model", model, "--data", sun, "--from", "1500"); code != 2 || !strings.Contains(errs, "--from") {
		t.Errorf("forecast --from 1500: exit %d %s", code, errs)
	}
	// Several series in one file: an id column, one chart per series.
	multi := writeFile(t, dir, "multi.csv", []byte(multiSeriesCSV()))
	code, out, errs = cli(t, "forecast", "--model", model, "--data", multi, "--column", "v", "--id", "site", "--horizon", "3", "--plot", filepath.Join(dir, "m.png"))
	if code != 0 || !strings.HasPrefix(out, "site,step,mean,") || strings.Count(out, "\n") != 7 {
		t.Fatalf("multi-series forecast: exit %d %s\n%s", code, errs, out)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(dir, "m-"+id+".png")); err != nil {
			t.Error(err)
		}
	}
	// sample: a continuation of the series, and a fresh one.
	code, out, _ = cli(t, "sample", "--model", model, "--data", sun, "--horizon", "4", "--seed", "3")
	if code != 0 || !strings.HasPrefix(out, "step,value\n1,") || strings.Count(out, "\n") != 5 {
		t.Errorf("sample:\n%s", out)
	}
	_, again, _ := cli(t, "sample", "--model", model, "--data", sun, "--horizon", "4", "--seed", "3")
	if again != out {
		t.Error("sample is not reproducible")
	}
	code, out, _ = cli(t, "sample", "--model", model, "--horizon", "3", "--num-return", "2")
	if code != 0 || !strings.HasPrefix(out, "path,step,value\n1,1,") || strings.Count(out, "\n") != 7 {
		t.Errorf("sample from scratch:\n%s", out)
	}
}

func multiSeriesCSV() string {
	var b strings.Builder
	b.WriteString("site,v\n")
	for i := range 40 {
		b.WriteString("a," + itoa(50+i%11*7) + "\n")
		b.WriteString("b," + itoa(80-i%5*9) + "\n")
	}
	return b.String()
}

func TestRealCommandErrors(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	out := filepath.Join(dir, "m.arm")
	ragged := writeFile(t, dir, "ragged.csv", []byte("t,v\n1,2\n2\n"))
	words := writeFile(t, dir, "words.csv", []byte("t,v\n1,2\n2,many\n"))
	constant := writeFile(t, dir, "const.csv", []byte("v\n3\n3\n3\n"))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--arch", "ar", "--data", ragged, "--column", "v", "--out", out}, 1, "ragged.csv:3: the row has a different number of fields"},
		{[]string{"train", "--arch", "ar", "--data", words, "--column", "v", "--out", out}, 1, `words.csv:3: column "v": "many" is not a finite number`},
		{[]string{"train", "--arch", "ar", "--data", constant, "--out", out}, 1, `const.csv: column "v" is constant`},
		{[]string{"train", "--arch", "ar", "--data", sun, "--out", out}, 1, `several numeric columns ("year", "value")`},
		{[]string{"train", "--arch", "ar", "--data", sun, "--column", "value", "--column", "year", "--out", out}, 2, "ar models one column"},
		{[]string{"train", "--arch", "ar", "--data", sun, "--column", "value", "--order", "3", "--max-lag", "5", "--out", out}, 2, "exclude each other"},
		{[]string{"train", "--arch", "ar", "--data", sun, "--column", "value", "--head", "mog:9", "--out", out}, 2, "--head"},
		{[]string{"train", "--arch", "ar", "--data", sun, "--column", "value", "--test-split", "1.5", "--out", out}, 2, "--test-split"},
		{[]string{"train", "--arch", "ar", "--data", sun, "--column", "value"}, 2, "--out is required"},
		{[]string{"forecast", "--data", sun}, 2, "--model is required"},
		{[]string{"forecast", "--model", filepath.Join(dir, "none.arm"), "--data", sun}, 1, "none.arm"},
		{[]string{"forecast", "--model", out, "--data", sun, "--quantiles", "0.9,0.1"}, 2, "ascending"},
	} {
		code, stdout, errs := cli(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q (stdout %q)", c.args, code, errs, c.code, c.want, stdout)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed train left a model file")
	}
	// Help of the plain commands.
	for _, args := range [][]string{{"train", "--arch", "ar", "--help"}, {"help", "forecast"}, {"forecast", "-h"}} {
		code, stdout, _ := cli(t, args...)
		if code != 0 || !strings.Contains(stdout, "--column") {
			t.Errorf("%q: exit %d\n%s", args, code, stdout)
		}
	}
}

func TestFlagValue(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--arch", "ar"}, "ar"},
		{[]string{"-arch=ar", "x"}, "ar"},
		{[]string{"--arch", "gpt", "--arch", "ar"}, "ar"},
		{[]string{"arch", "ar"}, ""},
		{[]string{"--", "--arch", "ar"}, ""},
		{[]string{"--architecture", "ar"}, ""},
	} {
		if got := flagValue(c.args, "arch"); got != c.want {
			t.Errorf("flagValue(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
