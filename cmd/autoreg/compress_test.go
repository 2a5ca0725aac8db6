package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompressDecompress(t *testing.T) {
	dir := t.TempDir()
	text := []byte(strings.Repeat(tinyText, 40))
	in := writeFile(t, dir, "in.txt", text)
	model := filepath.Join(dir, "m.arm")
	if code, _, errs := cli(t, "train", "--order", "4", "--data", in, "--out", model); code != 0 {
		t.Fatal(errs)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	binary := make([]byte, 5000)
	for i := range binary {
		binary[i] = byte(rng.Uint32())
	}
	bin := writeFile(t, dir, "bin.dat", binary)
	for _, tc := range []struct {
		name, input string
		cflags      []string
		dflags      []string
	}{
		{"adaptive", in, []string{"--adaptive"}, nil},
		{"mix", in, []string{"--adaptive-arch", "mix"}, nil},
		{"lstm", in, []string{"--adaptive-arch", "lstm"}, nil},
		{"gpt", in, []string{"--adaptive-arch", "gpt"}, nil},
		{"static", in, []string{"--model", model}, []string{"--model", model}},
		{"static, unseen bytes", bin, []string{"--model", model}, []string{"--model", model}},
	} {
		arz := filepath.Join(dir, tc.name+".arz")
		back := filepath.Join(dir, tc.name+".back")
		if code, _, errs := cli(t, append(append([]string{"compress", "--out", arz}, tc.cflags...), tc.input)...); code != 0 {
			t.Fatalf("%s: compress: %s", tc.name, errs)
		}
		if code, _, errs := cli(t, append([]string{"decompress", arz, "--out", back}, tc.dflags...)...); code != 0 {
			t.Fatalf("%s: decompress: %s", tc.name, errs)
		}
		want, _ := os.ReadFile(tc.input)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, want) {
			t.Fatalf("%s: round trip differs", tc.name)
		}
	}
	// Default names, refusal to overwrite, missing model, corrupt input.
	if code, _, errs := cli(t, "compress", "--adaptive", in); code != 0 || !fileExists(in+".arz") {
		t.Fatalf("default output name: %s", errs)
	}
	if code, _, errs := cli(t, "compress", "--adaptive", in); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("overwrite: exit %d, %s", code, errs)
	}
	static := filepath.Join(dir, "static.arz")
	if code, _, errs := cli(t, "decompress", static, "--out", filepath.Join(dir, "x")); code != 1 || !strings.Contains(errs, "sha256:") || fileExists(filepath.Join(dir, "x")) {
		t.Fatalf("missing model: exit %d, %s", code, errs)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "adaptive.arz"))
	for _, bad := range [][]byte{raw[:len(raw)/2], flip(raw, len(raw)/2), []byte("not compressed")} {
		p := writeFile(t, dir, "bad.arz", bad)
		out := filepath.Join(dir, "bad.out")
		code, _, errs := cli(t, "decompress", p, "--out", out)
		if code != 1 || !strings.Contains(errs, "bad.arz") || strings.Contains(errs, "panic") || fileExists(out) {
			t.Fatalf("corrupt input: exit %d, %q, output left: %v", code, errs, fileExists(out))
		}
	}
	for _, args := range [][]string{
		{"compress", "--adaptive", "--model", model, in},
		{"compress", "--adaptive-arch", "nonsense", in},
		{"decompress", in},
		{"compress", "--adaptive"},
	} {
		if code, _, _ := cli(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x10
	return c
}

// Like gzip, compress needs no flag: it codes with the default adaptive
// model (the same bytes as --adaptive), and decompress needs none either.
func TestCompressDefault(t *testing.T) {
	dir := t.TempDir()
	text := []byte(strings.Repeat(tinyText, 20))
	in := writeFile(t, dir, "in.txt", text)
	ctx := context.Background()
	var errb bytes.Buffer
	if err := runCompress(ctx, []string{in}, io.Discard, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "in.txt: "+thousands(int64(len(text)))+" -> ") {
		t.Errorf("compress: stderr %q", errb.String())
	}
	explicit := filepath.Join(dir, "explicit.arz")
	if err := runCompress(ctx, []string{"--adaptive", "--out", explicit, in}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(in + ".arz")
	b, _ := os.ReadFile(explicit)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("default and --adaptive differ (%d and %d bytes)", len(a), len(b))
	}
	if err := os.Remove(in); err != nil {
		t.Fatal(err)
	}
	if err := runDecompress(ctx, []string{in + ".arz"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, text) {
		t.Fatal("round trip differs")
	}
}
