package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/modelfile"
)

// --scheduled-sampling and --input-noise reach the trainer (the log's ε,
// fed fraction and noise rates) and the model file's training record; a
// bad value is a usage error.
func TestTrainExposureFlags(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", []byte(strings.Repeat(tinyText, 20)))
	out := filepath.Join(dir, "m.arm")
	args := []string{"train", "--arch", "lstm", "--layers", "1", "--dim", "16", "--context", "16",
		"--batch", "4", "--steps", "6", "--data", data, "--out", out, "--log", filepath.Join(dir, "a.jsonl"),
		"--scheduled-sampling", "sigmoid,floor=0.5", "--input-noise", "replace=0.1,delete=0.05,insert=0.05"}
	if code, _, errs := cli(t, args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	recs := readLog(t, filepath.Join(dir, "a.jsonl"))
	last := recs[len(recs)-1]
	for _, k := range []string{"ss_epsilon", "ss_fed", "noise_replace", "noise_delete", "noise_insert"} {
		if _, ok := last[k]; !ok {
			t.Errorf("log lacks %s: %v", k, last)
		}
	}
	f, err := modelfile.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		SS    map[string]any `json:"scheduled_sampling"`
		Noise map[string]any `json:"input_noise"`
	}
	if err := json.Unmarshal(f.Meta.Training, &rec); err != nil || rec.SS["schedule"] != "sigmoid" || rec.Noise["replace"] != 0.1 {
		t.Errorf("training record %s: %v", f.Meta.Training, err)
	}
	for _, bad := range [][]string{{"--scheduled-sampling", "cosine"}, {"--input-noise", "jitter=0.1"}, {"--input-noise", "shift=1"}} {
		a := append(append([]string(nil), args[:len(args)-4]...), bad...)
		if code, _, errs := cli(t, a...); code == 0 {
			t.Errorf("%v accepted: %s", bad, errs)
		}
	}
}

// --objective mrt fine-tunes a series model given with --init: the log
// has the risk, the training record the settings and the file fine-tuned;
// a token language model's MRT is refused, naming the family.
func TestTrainMRTSeries(t *testing.T) {
	dir := t.TempDir()
	sun := timeseries(t, "sunspots")
	base := filepath.Join(dir, "s.arm")
	if code, _, errs := cli(t, "train", "--arch", "gpt", "--layers", "1", "--dim", "16", "--heads", "2", "--context", "16",
		"--batch", "4", "--steps", "20", "--data", sun, "--column", "value", "--lags", "11", "--out", base); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	out := filepath.Join(dir, "m.arm")
	args := []string{"train", "--init", base, "--objective", "mrt", "--mrt", "candidates=4,alpha=0.5,mle=0.1,horizon=5",
		"--batch", "4", "--steps", "4", "--lr", "1e-3", "--data", sun, "--column", "value", "--valid-split", "0.2",
		"--out", out, "--log", filepath.Join(dir, "a.jsonl")}
	if code, _, errs := cli(t, args...); code != 0 {
		t.Fatalf("train --objective mrt: exit %d: %s", code, errs)
	}
	recs := readLog(t, filepath.Join(dir, "a.jsonl"))
	if last := recs[len(recs)-1]; len(recs) != 4 || last["mrt_risk"] == nil || last["mrt_mle"] == nil || last["mrt_candidates"] != 4.0 {
		t.Errorf("log: %d records, last %v", len(recs), last)
	}
	f, err := modelfile.ReadAny(out)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Objective string         `json:"objective"`
		MRT       map[string]any `json:"mrt"`
		Init      string         `json:"init"`
	}
	if err := json.Unmarshal(f.Meta.Training, &rec); err != nil || rec.Objective != "mrt" || rec.MRT["horizon"] != 5.0 || rec.Init != base {
		t.Errorf("training record %s: %v", f.Meta.Training, err)
	}
	if code, _, errs := cli(t, append(args[:len(args)-2], "--head", "gaussian")...); code == 0 || !strings.Contains(errs, "--head") {
		t.Errorf("--init with --head: exit %d %s", code, errs)
	}
	text := writeFile(t, dir, "text.txt", []byte(strings.Repeat(tinyText, 20)))
	code, _, errs := cli(t, "train", "--arch", "gpt", "--layers", "1", "--dim", "16", "--context", "16", "--steps", "2",
		"--data", text, "--out", filepath.Join(dir, "lm.arm"), "--objective", "mrt")
	if code == 0 || !strings.Contains(errs, "not a gpt model") {
		t.Errorf("MRT of a language model: exit %d %s", code, errs)
	}
}

// A WaveNet on μ-law audio takes scheduled sampling (two passes) and
// level shifts as input noise; the log reports both.
func TestTrainExposureWaveNet(t *testing.T) {
	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "a.wav"), 8000, 3000, 220)
	args := []string{"train", "--arch", "wavenet", "--data", filepath.Join(dir, "a.wav"), "--out", filepath.Join(dir, "w.arm"),
		"--layers", "3", "--stacks", "1", "--dim", "8", "--context", "64", "--batch", "2", "--steps", "3",
		"--scheduled-sampling", "linear,floor=0.5", "--input-noise", "replace=0.02,shift=2", "--log", filepath.Join(dir, "a.jsonl")}
	if code, _, errs := cli(t, args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	last := readLog(t, filepath.Join(dir, "a.jsonl"))[2]
	if fed, shift := last["ss_fed"].(float64), last["noise_shift"].(float64); fed <= 0 || shift < 1.5 || shift > 2.5 {
		t.Errorf("log: %v", last)
	}
}
