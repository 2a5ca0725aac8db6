package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// styleText writes n characters of random "words" over a two-letter
// alphabet, so each style has characters of its own.
func styleText(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	for b.Len() < n {
		for range 1 + r.IntN(6) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(8) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// styleShare is the fraction of the letters of s (spaces and newlines
// aside) that belong to alphabet.
func styleShare(s, alphabet string) float64 {
	in, all := 0, 0
	for _, c := range s {
		if c == ' ' || c == '\n' {
			continue
		}
		all++
		if strings.ContainsRune(alphabet, c) {
			in++
		}
	}
	if all == 0 {
		return 0
	}
	return float64(in) / float64(all)
}

// TestControlCodes runs control codes through the command line: an n-gram
// trained with --control-from glob:... on files of two styles writes each
// style under its tag; eval conditions on a file's tag; bad tags are
// usage errors. (scripts/control-codes.sh measures the same with a GPT on
// the demo corpus.)
func TestControlCodes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		writeFile(t, data, fmt.Sprintf("ab%d.txt", i), []byte(styleText(r, "ab", 400)))
		writeFile(t, data, fmt.Sprintf("xy%d.txt", i), []byte(styleText(r, "xy", 400)))
	}
	model := filepath.Join(dir, "m.arm")
	rule := "glob:ab*.txt=ab,xy*.txt=xy"
	code, _, errs := cli(t, "train", "--order", "4", "--control-from", rule, "--data", data, "--out", model)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "control codes ("+rule+"): ab, xy") {
		t.Errorf("train does not report the control codes: %s", errs)
	}

	// Sampling under each tag writes that tag's style. Kneser-Ney smoothing
	// gives the other style's letters a little mass (backing off to the
	// unigram); --min-p cuts that tail, so a sample cannot drift into the
	// other style and only the control code decides the style. Were the
	// code ignored, each sample would pick a style by chance.
	checkStyles(t, model, "--min-p", "0.1")

	// The same with a tiny GPT: every training window starts with <s> and
	// its file's code (train.Options.ControlWindows), and past the context
	// the sliding window keeps them (package gpt), so a 100-character
	// sample keeps to its style although the context is 32. --min-p again
	// cuts the tail, where a briefly trained model leaves a little mass on
	// the other style's letters.
	gptModel := filepath.Join(dir, "gpt.arm")
	code, _, errs = cli(t, "train", "--arch", "gpt", "--layers", "1", "--dim", "32", "--heads", "2", "--context", "32",
		"--batch", "8", "--steps", "600", "--lr", "1e-2", "--control-from", rule, "--data", data, "--out", gptModel)
	if code != 0 {
		t.Fatalf("train gpt: exit %d: %s", code, errs)
	}
	checkStyles(t, gptModel, "--min-p", "0.1")

	// eval reads a file's tag from its name through the rule stored in the
	// model, conditions on it and does not score it: the same text costs
	// far less under its own tag, and both count the same tokens (its
	// characters and </s>).
	text := styleText(r, "ab", 500)
	own := writeFile(t, dir, "ab-held.txt", []byte(text))
	other := writeFile(t, dir, "xy-held.txt", []byte(text))
	evalJSON := func(path string) map[string]float64 {
		code, out, errs := cli(t, "eval", "--json", "--model", model, "--data", path)
		if code != 0 {
			t.Fatalf("eval %s: exit %d: %s", path, code, errs)
		}
		return jsonNumbers(t, out)
	}
	a, x := evalJSON(own), evalJSON(other)
	if a["tokens"] != float64(len(text)+1) || x["tokens"] != a["tokens"] {
		t.Errorf("eval counts %v and %v tokens; want %d (characters and </s>, not the control code)", a["tokens"], x["tokens"], len(text)+1)
	}
	if !(a["nll_nats"] > 0 && a["nll_nats"] < x["nll_nats"]) {
		t.Errorf("NLL under its own tag %v, under the other %v: want 0 < own < other", a["nll_nats"], x["nll_nats"])
	}

	// An empty tagged file is one sequence, <s> <ctl:ab> </s>: </s> is
	// scored, and the per-character figures (no characters) are null.
	empty := writeFile(t, dir, "ab-empty.txt", nil)
	code, out, errs := cli(t, "eval", "--json", "--model", model, "--data", empty)
	if e := jsonNumbers(t, out); code != 0 || e["tokens"] != 1 || !(e["nll_nats"] > 0) || !strings.Contains(out, `"bits_per_char":null`) {
		t.Errorf("eval --json of an empty file: exit %d, %s%s", code, out, errs)
	}

	// Bad tags: clean usage errors (exit 2, one line naming the problem).
	plain := filepath.Join(dir, "plain.arm")
	if code, _, errs := cli(t, "train", "--order", "3", "--data", own, "--out", plain); code != 0 {
		t.Fatalf("train plain: %s", errs)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown tag", []string{"sample", "--model", model, "--control", "zz"}, 2, `--control "zz": the model has no such control code (it has 2: ab, xy)`},
		{"model without codes", []string{"sample", "--model", plain, "--control", "ab"}, 2, `--control "ab": the model has no such control code (it has 0`},
		{"bad rule", []string{"train", "--control-from", "glob:*.txt", "--data", data, "--out", filepath.Join(dir, "bad.arm")}, 2, `"*.txt" is not PATTERN=TAG`},
		{"rule tags nothing", []string{"train", "--control-from", "glob:*.md=doc", "--data", data, "--out", filepath.Join(dir, "bad.arm")}, 1, "no training example has a tag"},
	} {
		code, out, errs := cli(t, tc.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		errLine := lines[len(lines)-1]
		if tc.code == 2 { // usage errors add a hint line
			errLine = lines[0]
		}
		if code != tc.code || !strings.HasPrefix(errLine, "autoreg ") || !strings.Contains(errLine, tc.want) || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.name, code, out, errs, tc.code, tc.want)
		}
	}
}

// checkStyles samples five seeds under each tag of a model trained on the
// "ab" and "xy" styles and checks that each sample keeps to its tag's.
func checkStyles(t *testing.T, model string, flags ...string) {
	t.Helper()
	for _, tag := range []string{"ab", "xy"} {
		for seed := 1; seed <= 5; seed++ {
			args := append([]string{"sample", "--model", model, "--control", tag, "--seed", fmt.Sprint(seed),
				"--max-tokens", "100", "--ignore-eos"}, flags...)
			code, out, errs := cli(t, args...)
			if code != 0 {
				t.Fatalf("%s sample --control %s: exit %d: %s", model, tag, code, errs)
			}
			if strings.Contains(out, "<") || strings.Contains(out, ">") {
				t.Errorf("%s sample --control %s prints a special token: %q", model, tag, out)
			}
			if share := styleShare(out, tag); share < 0.95 {
				t.Errorf("%s sample --control %s --seed %d: %.0f%% of letters in its style, want ≥ 95%%: %q", filepath.Base(model), tag, seed, 100*share, out)
			}
		}
	}
}

// TestDemoListFiles checks the demo's file list, which
// scripts/control-codes.sh trains on: Go files only, training and held-out
// sets disjoint, the same list on every call.
func TestDemoListFiles(t *testing.T) {
	if _, err := goRoot(context.Background()); err != nil {
		t.Skipf("no Go installation: %v", err)
	}
	code, out, errs := cli(t, "demo", "--list-files")
	if code != 0 {
		t.Fatalf("demo --list-files: exit %d: %s", code, errs)
	}
	seen := map[string]string{}
	n := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		set, path, ok := strings.Cut(line, "\t")
		if !ok || (set != "train" && set != "held-out") || !strings.HasSuffix(path, ".go") {
			t.Fatalf("bad line %q", line)
		}
		if prev, dup := seen[path]; dup {
			t.Fatalf("%s listed twice (%s, %s)", path, prev, set)
		}
		seen[path] = set
		n[set]++
	}
	if n["train"] < 100 || n["held-out"] < 5 {
		t.Errorf("%d training and %d held-out files; want a real selection", n["train"], n["held-out"])
	}
	if _, again, _ := cli(t, "demo", "--list-files"); again != out {
		t.Error("two calls list different files")
	}
	if code, _, errs := cli(t, "demo", "--list-files", "--data", "x"); code != 2 || !strings.Contains(errs, "takes no --data") {
		t.Errorf("--list-files --data: exit %d, %q; want a usage error", code, errs)
	}
}

// TestClassifierFreeGuidance runs `sample --cfg-scale` on an n-gram
// trained with control codes on two styles: guided samples run, repeat for a
// seed, keep to their tag's style, and bad settings are usage errors.
func TestClassifierFreeGuidance(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20 {
		writeFile(t, data, fmt.Sprintf("ab%d.txt", i), []byte(styleText(r, "ab", 400)))
		writeFile(t, data, fmt.Sprintf("xy%d.txt", i), []byte(styleText(r, "xy", 400)))
	}
	model := filepath.Join(dir, "m.arm")
	if code, _, errs := cli(t, "train", "--order", "4", "--control-from", "glob:ab*.txt=ab,xy*.txt=xy", "--data", data, "--out", model); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	sample := func(args ...string) string {
		t.Helper()
		args = append([]string{"sample", "--model", model, "--max-tokens", "100", "--ignore-eos"}, args...)
		code, out, errs := cli(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}

	// An n-gram sees its control code only in its first N−1 contexts, so
	// guidance acts on the first characters, and the style they set then
	// carries on (--min-p cuts the smoothing's tail, as in checkStyles).
	// γ = 2 away from the other tag keeps to the tag's style; γ = 0.05
	// samples almost from the negative branch: the other tag's style, which
	// shows that the negative branch is conditioned on its own tag.
	for seed := 1; seed <= 3; seed++ {
		for _, tc := range []struct {
			ctl, neg, gamma, style string
		}{{"ab", "xy", "2", "ab"}, {"xy", "ab", "2", "xy"}, {"ab", "xy", "0.05", "xy"}} {
			flags := []string{"--control", tc.ctl, "--cfg-scale", tc.gamma, "--cfg-negative-control", tc.neg,
				"--seed", fmt.Sprint(seed), "--min-p", "0.1"}
			out := sample(flags...)
			if again := sample(flags...); again != out {
				t.Fatalf("%v: two runs differ:\n%q\n%q", flags, out, again)
			}
			if strings.ContainsAny(out, "<>") {
				t.Errorf("%v prints a special token: %q", flags, out)
			}
			if share := styleShare(out, tc.style); share < 0.95 {
				t.Errorf("%v: %.0f%% of letters in the %s style, want ≥ 95%%: %q", flags, 100*share, tc.style, out)
			}
		}
	}
	// --cfg-scale 1 is off: the plain sample, byte for byte.
	if a, b := sample("--control", "ab", "--seed", "4"), sample("--control", "ab", "--seed", "4", "--cfg-scale", "1"); a != b {
		t.Errorf("--cfg-scale 1 changes the sample:\n%q\n%q", a, b)
	}
	// A negative prompt, and the untagged model as the negative branch.
	sample("--prompt", "ab ", "--control", "ab", "--cfg-scale", "1.5", "--cfg-negative-prompt", "xy ")
	sample("--control", "ab", "--cfg-scale", "1.5", "--rerank", "3")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown negative tag", []string{"--control", "ab", "--cfg-scale", "2", "--cfg-negative-control", "zz"},
			`--cfg-negative-control "zz": the model has no such control code (it has 2: ab, xy)`},
		{"negative tag, no scale", []string{"--control", "ab", "--cfg-negative-control", "xy"}, `--cfg-negative-control "xy" needs --cfg-scale`},
		{"negative prompt, no scale", []string{"--cfg-negative-prompt", "xy"}, "--cfg-negative-prompt needs --cfg-scale"},
		{"negative scale", []string{"--cfg-scale", "-1", "--cfg-negative-control", "xy"}, "--cfg-scale -1: must be ≥ 0"},
		{"nothing to push from", []string{"--cfg-scale", "2"}, "the negative branch would be the prompt itself"},
		{"beams", []string{"--control", "ab", "--cfg-scale", "2", "--cfg-negative-control", "xy", "--beams", "3"}, "--cfg-scale and --beams exclude each other"},
	} {
		code, out, errs := cli(t, append([]string{"sample", "--model", model}, tc.args...)...)
		if line, _, _ := strings.Cut(errs, "\n"); code != 2 || !strings.HasPrefix(line, "autoreg ") || !strings.Contains(line, tc.want) || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.name, code, out, errs, tc.want)
		}
	}
}
