package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reversePairs writes n pairs "word<TAB>letters reversed, spaced" of
// random words over a few letters.
func reversePairs(t *testing.T, dir, name string, n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for range n {
		w := make([]byte, 1+rng.IntN(5))
		for i := range w {
			w[i] = "abcde"[rng.IntN(5)]
		}
		r := make([]string, len(w))
		for i := range w {
			r[len(w)-1-i] = string(w[i] - 'a' + 'A')
		}
		fmt.Fprintf(&b, "%s\t%s\n", w, strings.Join(r, " "))
	}
	return writeFile(t, dir, name, []byte(b.String()))
}

// An encoder-decoder end to end: train on pairs with validation, log and
// chart; eval with the task metrics; transduce and sample --source; a
// Ctrl-C-style stop and --resume whose log matches an uninterrupted run.
func TestTrainSeq2Seq(t *testing.T) {
	dir := t.TempDir()
	data := reversePairs(t, dir, "train.tsv", 400, 1)
	valid := reversePairs(t, dir, "valid.tsv", 40, 2)
	out := filepath.Join(dir, "m.arm")
	args := []string{"train", "--arch", "seq2seq", "--tokenizer", "word", "--src-tokenizer", "char",
		"--layers", "1", "--dim", "32", "--heads", "2", "--ffn", "64", "--context", "8", "--batch", "16",
		"--steps", "30", "--lr", "3e-3", "--dropout", "0.1", "--eval-every", "10",
		"--data", data, "--valid", valid, "--out", out, "--log", filepath.Join(dir, "a.jsonl")}
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

	code, stdout, errs := cli(t, "eval", "--model", out, "--data", valid, "--decode", "--beams", "3", "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, errs)
	}
	res := jsonNumbers(t, stdout)
	if res["pairs"] != 40 || !(res["nll_nats"] > 0) || !(res["error_rate"] >= 0 && res["error_rate"] <= 1) ||
		!(res["token_error_rate"] >= 0) || !(res["chrf"] >= 0) {
		t.Errorf("eval: %v", res)
	}

	in := writeFile(t, dir, "words.txt", []byte("abc\n\nedcba\n"))
	var o, e bytes.Buffer
	if err := runTransduce(context.Background(), []string{"--model", out, "--beams", "2", in}, &o, &e); err != nil {
		t.Fatalf("transduce: %v (%s)", err, e.String())
	}
	lines := strings.Split(o.String(), "\n")
	if len(lines) != 4 || lines[1] != "" || lines[3] != "" {
		t.Fatalf("transduce: %q, want one line per input line", o.String())
	}
	// The same output as sample --source with the same beams.
	code, stdout, errs = cli(t, "sample", "--model", out, "--source", "abc", "--beams", "2", "--max-tokens", "7", "--early-stopping")
	if code != 0 || strings.TrimSpace(stdout) != lines[0] {
		t.Errorf("sample --source: exit %d %q (%s), transduce %q", code, stdout, errs, lines[0])
	}
	if code, _, errs = cli(t, "sample", "--model", out); code != 2 || !strings.Contains(errs, "--source") {
		t.Errorf("sample without --source: exit %d %s", code, errs)
	}
	bad := writeFile(t, dir, "bad.tsv", []byte("abc\tA B C\nnotab\n"))
	if code, _, errs = cli(t, "eval", "--model", out, "--data", bad); code != 1 || !strings.Contains(errs, "line 2") {
		t.Errorf("eval of a malformed line: exit %d %s", code, errs)
	}
	if code, _, errs = cli(t, "eval", "--model", out, "--data", bad, "--skip-bad", "--json"); code != 0 {
		t.Errorf("eval --skip-bad: exit %d %s", code, errs)
	}

	checkStopResume(t, args, recs, []string{"step", "tokens", "loss", "lr", "val_loss"})
}
