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
	for _, bad := range [][]string{{"--scheduled-sampling", "cosine"}, {"--input-noise", "jitter=0.1"}} {
		a := append(append([]string(nil), args[:len(args)-4]...), bad...)
		if code, _, errs := cli(t, a...); code == 0 {
			t.Errorf("%v accepted: %s", bad, errs)
		}
	}
}
