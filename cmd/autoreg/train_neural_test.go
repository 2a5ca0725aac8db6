package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small GPT end to end: train with validation, log and chart; eval with
// a stride; sample with --stats; a Ctrl-C-style stop and --resume whose log
// matches an uninterrupted run.
func TestTrainNeural(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat(tinyText, 40)
	data := writeFile(t, dir, "text.txt", []byte(text))
	out := filepath.Join(dir, "m.arm")
	args := []string{"train", "--arch", "gpt", "--layers", "1", "--dim", "32", "--heads", "2", "--context", "16",
		"--batch", "4", "--steps", "30", "--lr", "3e-3", "--dropout", "0.1", "--eval-every", "10",
		"--data", data, "--valid-split", "0.1", "--out", out, "--log", filepath.Join(dir, "a.jsonl")}
	code, _, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	for _, f := range []string{"m.arm", "m.best.arm", "m.loss.png", "a.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	recs := readLog(t, filepath.Join(dir, "a.jsonl"))
	if len(recs) != 30 {
		t.Fatalf("%d log records, want 30", len(recs))
	}
	for _, k := range []string{"step", "tokens", "loss", "lr", "tokens_per_sec"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("log record lacks %q", k)
		}
	}
	if _, ok := recs[9]["val_loss"]; !ok {
		t.Error("no val_loss on the evaluation step")
	}

	code, stdout, errs := cli(t, "eval", "--model", out, "--data", data, "--stride", "4", "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, errs)
	}
	res := jsonNumbers(t, stdout)
	if res["stride"] != 4 || res["window"] != 16 || !(res["bits_per_char"] > 0) {
		t.Errorf("eval: %v", res)
	}
	code, _, errs = cli(t, "sample", "--model", filepath.Join(dir, "m.best.arm"), "--max-tokens", "20", "--stats", "--seed", "3")
	if code != 0 || !strings.Contains(errs, "tokens_per_sec") {
		t.Errorf("sample: exit %d, stderr %q", code, errs)
	}

	checkStopResume(t, args, recs, []string{"step", "tokens", "loss", "lr", "val_loss"})
}

// checkStopResume runs the train command args (whose --out and --log are
// its last options, in that order) again to another file, stops it at step
// 17 (as Ctrl-C does: a checkpoint, then exit), resumes it without --data
// (the checkpoint remembers its data and split), and checks that the log
// records' keys match recs, the uninterrupted run's.
func checkStopResume(t *testing.T, args []string, recs []map[string]any, keys []string) {
	t.Helper()
	dir := t.TempDir()
	out2 := filepath.Join(dir, "b.arm")
	args2 := append([]string(nil), args...)
	args2[len(args2)-3], args2[len(args2)-1] = out2, filepath.Join(dir, "b.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	stopAt = func(step int) {
		if step == 17 {
			cancel()
		}
	}
	defer func() { stopAt = nil }()
	var eb strings.Builder
	code := run(ctx, args2, io.Discard, &eb)
	stopAt = nil
	if code != 1 || !strings.Contains(eb.String(), "interrupted at step 17") {
		t.Fatalf("stopped run: exit %d: %s", code, eb.String())
	}
	code, _, errs := cli(t, "train", "--resume", "--out", out2, "--log", filepath.Join(dir, "b.jsonl"))
	if code != 0 {
		t.Fatalf("resume: %d %s", code, errs)
	}
	recs2 := readLog(t, filepath.Join(dir, "b.jsonl"))
	if len(recs2) != len(recs) {
		t.Fatalf("%d records after resume, %d uninterrupted", len(recs2), len(recs))
	}
	for i := range recs {
		for _, k := range keys {
			if recs[i][k] != recs2[i][k] {
				t.Fatalf("step %d: %s %v resumed, %v uninterrupted", i+1, k, recs2[i][k], recs[i][k])
			}
		}
	}
}

func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, m)
	}
	return recs
}
