package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vaeText is sentences of a few words in lines mode.
func vaeText(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"the", "cat", "dog", "sat", "ran", "on", "a", "mat", "log", "red"}
	var b strings.Builder
	for range n {
		for i := range 2 + rng.IntN(5) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// A sentence VAE end to end: train with every fix, validation, log (the
// ELBO's terms), chart; eval's bounds and latent measures; sample from the
// prior, --reconstruct, --interpolate, --latent-from; info; a stopped
// run resumed exactly.
func TestTrainVAE(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "train.txt", []byte(vaeText(200, 1)))
	valid := writeFile(t, dir, "valid.txt", []byte(vaeText(30, 2)))
	out := filepath.Join(dir, "v.arm")
	args := []string{"train", "--arch", "vae", "--tokenizer", "word", "--mode", "lines", "--layers", "1", "--dim", "16",
		"--latent", "4", "--context", "12", "--batch", "8", "--steps", "30", "--lr", "1e-2", "--eval-every", "10",
		"--kl-anneal", "cyclical:2", "--free-bits", "0.1", "--word-dropout", "0.3", "--dropout", "0.1",
		"--data", data, "--valid", valid, "--out", out, "--log", filepath.Join(dir, "a.jsonl")}
	code, _, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	for _, f := range []string{"v.arm", "v.best.arm", "v.loss.png", "a.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	recs := readLog(t, filepath.Join(dir, "a.jsonl"))
	for _, k := range []string{"loss", "rec", "kl", "kl_weight"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("log record lacks %q: %v", k, recs[0])
		}
	}
	if _, ok := recs[9]["val_kl"]; !ok {
		t.Errorf("no val_kl on the evaluation step: %v", recs[9])
	}

	code, stdout, errs := cli(t, "eval", "--model", out, "--data", valid, "--iw-samples", "20", "--recon-accuracy", "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, errs)
	}
	res := jsonNumbers(t, stdout)
	if res["sequences"] != 30 || !(res["ppl_iw"] > 1) || !(res["ppl_elbo"] >= res["ppl_iw"]) || res["iw_samples"] != 20 ||
		!(res["reconstruction_accuracy"] >= 0) || res["latent_dim"] != 4 {
		t.Errorf("eval: %v", res)
	}
	code, stdout, errs = cli(t, "eval", "--model", out, "--data", valid, "--iw-samples", "5")
	if code != 0 || !strings.Contains(stdout, "IW bound") || !strings.Contains(stdout, "active") {
		t.Errorf("eval: exit %d: %s %s", code, stdout, errs)
	}

	for _, c := range [][]string{
		{"--num-return", "3"},
		{"--reconstruct", "the cat sat"},
		{"--interpolate", "the cat sat", "--to", "a red dog ran on a log", "--steps", "4"},
		{"--reconstruct", "the cat sat", "--beams", "3"},
		{"--interpolate", "the cat sat", "--to", "a red dog ran on a log", "--steps", "4", "--beams", "2"},
		{"--latent-from", "the dog", "--prompt", "a"},
	} {
		code, stdout, errs := cli(t, append([]string{"sample", "--model", out, "--max-tokens", "10"}, c...)...)
		// One line per text (a barely trained model may end a text at
		// once).
		lines := strings.Count(stdout, "\n")
		want := map[string]int{"--num-return": 3, "--reconstruct": 1, "--interpolate": 4, "--latent-from": 1}[c[0]]
		if code != 0 || lines != want {
			t.Errorf("sample %v: exit %d, %d lines %q, stderr %s", c, code, lines, stdout, errs)
		}
	}
	if code, _, _ := cli(t, "sample", "--model", out, "--interpolate", "the cat"); code != 2 {
		t.Errorf("--interpolate without --to: exit %d", code)
	}
	code, stdout, _ = cli(t, "info", "--model", out)
	if code != 0 || !strings.Contains(stdout, "a code of 4 dimensions") {
		t.Errorf("info: %s", stdout)
	}

	checkStopResume(t, args, recs, []string{"step", "tokens", "loss", "rec", "kl", "kl_weight", "val_loss"})
}

// The --sentences flag trains a sentence-level LSTM (each line from a
// zero state); the latent flags refuse models without a code.
func TestTrainSentences(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "train.txt", []byte(vaeText(100, 1)))
	out := filepath.Join(dir, "l.arm")
	code, _, errs := cli(t, "train", "--arch", "lstm", "--sentences", "--tokenizer", "word", "--mode", "lines", "--layers", "1",
		"--dim", "16", "--context", "12", "--batch", "8", "--steps", "5", "--data", data, "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if code, _, errs := cli(t, "sample", "--model", out, "--reconstruct", "the cat"); code != 2 {
		t.Errorf("--reconstruct on an LSTM: exit %d %s", code, errs)
	}
	code, _, errs = cli(t, "train", "--arch", "lstm", "--sentences", "--tokenizer", "word", "--mode", "lines", "--layers", "1",
		"--dim", "16", "--context", "3", "--batch", "8", "--steps", "5", "--data", data, "--out", out)
	if code == 0 || !strings.Contains(errs, "context") {
		t.Errorf("a context shorter than a sentence: exit %d: %s", code, errs)
	}
}
