package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Fill-in-the-middle end to end: train a GPT with --fim-rate (and resume
// it exactly), fill a middle with sample --prompt --suffix, and score
// held-out middles with eval --infill against a left-to-right model.
func TestFIM(t *testing.T) {
	dir := t.TempDir()
	src := "func f(x int) int {\n\ty := x + 1\n\tz := y * 2\n\treturn z\n}\n\n"
	data := writeFile(t, dir, "code.go", []byte(strings.Repeat(src, 60)))
	out := filepath.Join(dir, "m.arm")
	args := []string{"train", "--arch", "gpt", "--layers", "1", "--dim", "32", "--heads", "2", "--context", "64",
		"--batch", "8", "--steps", "30", "--lr", "3e-3", "--eval-every", "10", "--fim-rate", "0.5",
		"--data", data, "--valid-split", "0.1", "--out", out, "--log", filepath.Join(dir, "a.jsonl")}
	code, _, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	checkStopResume(t, args, readLog(t, filepath.Join(dir, "a.jsonl")), []string{"step", "tokens", "loss", "lr", "val_loss"})

	code, stdout, errs := cli(t, "sample", "--model", out, "--prompt", "func f(x int) int {\n", "--suffix", "\treturn z\n}\n", "--max-tokens", "30")
	if code != 0 || !strings.HasPrefix(stdout, "func f(x int) int {\n") || !strings.HasSuffix(stdout, "\treturn z\n}\n\n") {
		t.Fatalf("sample --suffix: exit %d %q (%s)", code, stdout, errs)
	}
	code, stdout, errs = cli(t, "eval", "--model", out, "--data", data, "--infill", "--infill-count", "20", "--json")
	if code != 0 {
		t.Fatalf("eval --infill: %d %s", code, errs)
	}
	res := jsonNumbers(t, stdout)
	if res["spans"]+res["skipped"] != 20 || res["spans"] < 10 || !(res["nll_nats"] > 0) || !strings.Contains(stdout, `"fim":true`) {
		t.Errorf("eval --infill: %s", stdout)
	}
	// A model without the sentinels is scored on the prefix alone, and
	// sample --suffix refuses it.
	plain := filepath.Join(dir, "p.arm")
	if code, _, errs = cli(t, "train", "--arch", "gpt", "--layers", "1", "--dim", "32", "--heads", "2", "--context", "64",
		"--batch", "8", "--steps", "5", "--data", data, "--out", plain); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	code, stdout, _ = cli(t, "eval", "--model", plain, "--data", data, "--infill", "--infill-count", "20", "--json")
	if code != 0 || !strings.Contains(stdout, `"fim":false`) {
		t.Errorf("eval --infill of a plain model: %d %s", code, stdout)
	}
	if code, _, errs = cli(t, "sample", "--model", plain, "--prompt", "a", "--suffix", "b"); code != 2 || !strings.Contains(errs, "--fim-rate") {
		t.Errorf("sample --suffix of a plain model: exit %d %s", code, errs)
	}
	spans := writeFile(t, dir, "spans.tsv", []byte(data+"\t20\t30\n"))
	if code, stdout, errs = cli(t, "eval", "--model", out, "--infill", "--spans", spans, "--json"); code != 0 || !strings.Contains(stdout, `"spans":1`) {
		t.Errorf("eval --spans: %d %s %s", code, stdout, errs)
	}
	bad := writeFile(t, dir, "bad.tsv", []byte(data+"\t20\n"))
	if code, _, errs = cli(t, "eval", "--model", out, "--infill", "--spans", bad); code != 1 || !strings.Contains(errs, "line 1") {
		t.Errorf("eval --spans of a bad file: %d %s", code, errs)
	}
}
