package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// cli runs one command line and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const tinyText = "the quick brown fox jumps over the lazy dog\nthe dog sleeps\nthe fox runs over the hill\n"

func TestHelpAndUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"help"}, 0, "commands:"},
		{nil, 2, "usage: autoreg"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"train", "--help"}, 0, "--discount-fallback"},
		{[]string{"help", "sample"}, 0, "--top-p"},
		{[]string{"eval", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"eval"}, 2, "--model is required"},
		{[]string{"version"}, 0, "autoreg"},
	} {
		code, out, errs := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%q: exit %d, output %q; want exit %d and %q", tc.args, code, out+errs, tc.code, tc.want)
		}
	}
}

// TestBadInput checks the bad inputs users meet: one line naming the
// problem, the right exit code, no output file.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", []byte(tinyText))
	empty := writeFile(t, dir, "empty.txt", nil)
	badUTF8 := writeFile(t, dir, "bad.txt", []byte("abc\n\xff\xfe oops\n"))
	garbage := writeFile(t, dir, "garbage.arpa", []byte("\\data\\\nngram 1=zz\n"))
	truncArpa := writeFile(t, dir, "trunc.arpa", []byte("\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<s>\n"))
	model := filepath.Join(dir, "m.arm")
	if code, _, errs := cli(t, "train", "--order", "3", "--data", good, "--out", model); code != 0 {
		t.Fatalf("training failed: %s", errs)
	}
	raw, _ := os.ReadFile(model)
	truncModel := writeFile(t, dir, "trunc.arm", raw[:len(raw)/2])
	out := filepath.Join(dir, "out.arm")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing data", []string{"train", "--data", filepath.Join(dir, "nope.txt"), "--out", out}, 1, "nope.txt: no such file or directory"},
		{"empty corpus", []string{"train", "--data", empty, "--out", out}, 1, "no characters"},
		{"empty corpus, byte", []string{"train", "--tokenizer", "byte", "--data", empty, "--out", out}, 1, "no tokens"},
		{"order 0", []string{"train", "--order", "0", "--data", good, "--out", out}, 2, "--order 0"},
		{"order 100", []string{"train", "--order", "100", "--data", good, "--out", out}, 2, "--order 100"},
		{"invalid UTF-8", []string{"train", "--data", badUTF8, "--out", out}, 1, "bad.txt: byte 4: invalid UTF-8"},
		{"unwritable out", []string{"train", "--data", good, "--out", filepath.Join(dir, "no", "such", "m.arm")}, 1, "cannot create"},
		{"bad tokenizer", []string{"train", "--tokenizer", "bpe9", "--data", good, "--out", out}, 2, "--tokenizer"},
		{"bad mode", []string{"train", "--mode", "para", "--data", good, "--out", out}, 2, "--mode"},
		{"bad prune", []string{"train", "--prune", "x", "--data", good, "--out", out}, 2, "--prune"},
		{"garbage ARPA", []string{"eval", "--model", garbage, "--data", good}, 1, "garbage.arpa"},
		{"truncated ARPA", []string{"eval", "--model", truncArpa, "--data", good}, 1, "trunc.arpa"},
		{"truncated model", []string{"eval", "--model", truncModel, "--data", good}, 1, "trunc.arm"},
		{"model is text", []string{"sample", "--model", good}, 1, "good.txt: not an autoreg model file"},
		{"missing model", []string{"export", "--model", filepath.Join(dir, "x.arm"), "--arpa", filepath.Join(dir, "x.arpa")}, 1, "x.arm: no such file"},
		{"eval invalid UTF-8", []string{"eval", "--model", model, "--data", badUTF8}, 1, "bad.txt: byte 4: invalid UTF-8"},
	} {
		code, _, errs := cli(t, tc.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		errLine := lines[len(lines)-1]
		if tc.code == 2 { // usage errors add a hint line
			errLine = lines[0]
		}
		if code != tc.code || !strings.Contains(errLine, tc.want) || !strings.HasPrefix(errLine, "autoreg ") || strings.Contains(errs, "panic") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q on the error line", tc.name, code, errs, tc.code, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: left an output file", tc.name)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestTrainEvalSampleExport(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "d.txt", []byte(strings.Repeat(tinyText, 5)))
	model := filepath.Join(dir, "m.arm")
	for _, tok := range []string{"byte", "char", "word"} {
		if code, _, errs := cli(t, "train", "--tokenizer", tok, "--order", "4", "--mode", "lines", data, "--out", model); code != 0 {
			t.Fatalf("%s: %s", tok, errs)
		}
		code, out, errs := cli(t, "eval", "--json", "--model", model, "--data", data)
		if code != 0 {
			t.Fatalf("%s eval: %s", tok, errs)
		}
		res := jsonNumbers(t, out)
		for _, k := range []string{"tokens", "oov", "nll_nats", "ppl", "ppl_excl_oov", "bits_per_token", "bits_per_char", "bits_per_byte"} {
			if _, ok := res[k]; !ok {
				t.Fatalf("%s: --json lacks %q: %s", tok, k, out)
			}
		}
		if res["bits_per_char"]*res["chars"] != res["bits_per_byte"]*res["bytes"] || res["chars"] != float64(len(tinyText)*5) {
			t.Fatalf("%s: inconsistent figures %v", tok, res)
		}
		// ARPA export and reload give the same likelihood.
		arpa := filepath.Join(dir, "m.arpa.gz")
		if code, _, errs := cli(t, "export", "--model", model, "--arpa", arpa); code != 0 {
			t.Fatalf("%s export: %s", tok, errs)
		}
		_, out2, errs := cli(t, "eval", "--json", "--model", arpa, "--data", data)
		res2 := jsonNumbers(t, out2+errs)
		if math.Abs(res2["nll_nats"]-res["nll_nats"]) > 1e-3*res["nll_nats"] || res2["tokens"] != res["tokens"] {
			t.Fatalf("%s: ARPA round trip changes NLL %v → %v", tok, res["nll_nats"], res2["nll_nats"])
		}
		// Sampling: reproducible, and top-k 1 is greedy.
		s := func(extra ...string) string {
			code, out, errs := cli(t, append([]string{"sample", "--model", model, "--prompt", "the", "--max-tokens", "40"}, extra...)...)
			if code != 0 {
				t.Fatalf("%s sample: %s", tok, errs)
			}
			return out
		}
		if a, b := s("--seed", "5"), s("--seed", "5"); a != b {
			t.Fatalf("%s: same seed, different samples:\n%s\n%s", tok, a, b)
		}
		if a, b := s("--top-k", "1", "--seed", "3"), s("--temperature", "0", "--seed", "9"); a != b {
			t.Fatalf("%s: top-k 1 differs from greedy:\n%s\n%s", tok, a, b)
		}
	}
}

// TestReferenceNumbers runs the reference figures through the whole
// command-line pipeline (tokenizer, corpus modes, estimation, scoring).
func TestReferenceNumbers(t *testing.T) {
	ptb := testutil.SharedFile(t, "data/ptb/ptb.train.txt")
	ptbTest := testutil.SharedFile(t, "data/ptb/ptb.test.txt")
	shakes := testutil.SharedFile(t, "data/tinyshakespeare/input.txt")
	dir := t.TempDir()
	text, err := os.ReadFile(shakes)
	if err != nil {
		t.Fatal(err)
	}
	n := int(0.9 * float64(len(text)))
	train := writeFile(t, dir, "train.txt", text[:n])
	valid := writeFile(t, dir, "valid.txt", text[n:])
	evalJSON := func(model, data string) map[string]float64 {
		code, out, errs := cli(t, "eval", "--json", "--model", model, "--data", data)
		if code != 0 {
			t.Fatal(errs)
		}
		return jsonNumbers(t, out)
	}
	for _, tc := range []struct {
		order int
		want  float64
	}{{3, 148.28}, {5, 141.19}} {
		model := filepath.Join(dir, "ptb.arm")
		if code, _, errs := cli(t, "train", "--tokenizer", "word", "--mode", "lines", "--order", itoa(tc.order), "--data", ptb, "--out", model); code != 0 {
			t.Fatal(errs)
		}
		res := evalJSON(model, ptbTest)
		if res["tokens"] != 82430 || res["oov"] != 0 || math.Abs(res["ppl"]-tc.want) > 0.05 {
			t.Errorf("PTB order %d: %v tokens, %v OOV, perplexity %.3f; want 82430, 0, %.2f ± 0.05", tc.order, res["tokens"], res["oov"], res["ppl"], tc.want)
		}
	}
	for _, tc := range []struct {
		order int
		want  float64
	}{{3, 2.940}, {5, 2.252}, {8, 2.192}} {
		model := filepath.Join(dir, "shakes.arm")
		if code, _, errs := cli(t, "train", "--tokenizer", "char", "--order", itoa(tc.order), "--data", train, "--out", model); code != 0 {
			t.Fatal(errs)
		}
		if res := evalJSON(model, valid); math.Abs(res["bits_per_char"]-tc.want) > 0.003 {
			t.Errorf("Shakespeare order %d: %.4f bits/char, want %.3f ± 0.003", tc.order, res["bits_per_char"], tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// jsonNumbers decodes a JSON object, keeping its numeric fields.
func jsonNumbers(t *testing.T, s string) map[string]float64 {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatalf("%v: %q", err, s)
	}
	out := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out
}
