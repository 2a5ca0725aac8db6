package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/wavfile"
)

// writeTone writes a WAV file of a decaying tone with a little noise:
// something a tiny model learns in a few steps.
func writeTone(t *testing.T, path string, rate, frames int, f0 float64) {
	t.Helper()
	ints := make([]int32, frames)
	seed := uint32(1)
	for i := range ints {
		seed = seed*1664525 + 1013904223
		x := 12000*math.Sin(2*math.Pi*f0*float64(i)/float64(rate))*math.Exp(-float64(i%4000)/3000) + float64(int32(seed>>20)-2048)/8
		ints[i] = int32(x)
	}
	f := wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: rate, Bits: 16}
	data, err := wavfile.EncodeInts(f, ints)
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := wavfile.New(f, data)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := wavfile.WriteFile(path, wf); err != nil {
		t.Fatal(err)
	}
}

// A small WaveNet end to end: train on WAV files with speaker codes,
// eval the tail of a file, sample a conditioned WAV with its spectrogram.
func TestWaveNetAudio(t *testing.T) {
	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "data", "low", "a.wav"), 8000, 6000, 220)
	writeTone(t, filepath.Join(dir, "data", "high", "b.wav"), 8000, 6000, 880)
	out := filepath.Join(dir, "w.arm")
	code, _, errs := cli(t, "train", "--arch", "wavenet", "--data", filepath.Join(dir, "data"), "--out", out,
		"--layers", "4", "--stacks", "1", "--dim", "8", "--context", "256", "--batch", "4", "--steps", "30",
		"--lr", "3e-3", "--control-from", "parent-dir", "--valid-split", "0.1")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "8000 Hz mono audio in 2 files") {
		t.Errorf("train's opening line: %s", errs)
	}
	code, stdout, errs := cli(t, "eval", "--model", out, "--data", filepath.Join(dir, "data", "low", "a.wav"), "--tail", "0.5", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	res := jsonNumbers(t, stdout)
	if res["samples"] != 3000 || res["context_samples"] != 3000 || !(res["bits_per_sample"] > 0 && res["bits_per_sample"] < 8) {
		t.Errorf("eval: %v", res)
	}
	gen, spec := filepath.Join(dir, "gen.wav"), filepath.Join(dir, "spec.png")
	code, _, errs = cli(t, "sample", "--model", out, "--seconds", "0.25", "--out", gen, "--plot", spec, "--control", "high", "--seed", "2")
	if code != 0 {
		t.Fatalf("sample: exit %d: %s", code, errs)
	}
	wf, err := wavfile.ReadFile(gen)
	if err != nil || wf.Frames() != 2000 || wf.Format.SampleRate != 8000 || wf.Format.Bits != 16 {
		t.Fatalf("generated file: %v %+v", err, wf)
	}
	if fi, err := os.Stat(spec); err != nil || fi.Size() < 1000 {
		t.Fatalf("spectrogram: %v", err)
	}
	code, _, errs = cli(t, "sample", "--model", out, "--seconds", "0.25")
	if code != 2 || !strings.Contains(errs, "--out") {
		t.Errorf("sample without --out: exit %d: %s", code, errs)
	}
	// A 16-bit file whose samples are not μ-law values is refused; the
	// generated one (decoded μ-law codes) is coded with the model's exact
	// state and comes back byte for byte.
	code, _, errs = cli(t, "compress", "--model", out, "--out", filepath.Join(dir, "a.arz"), filepath.Join(dir, "data", "low", "a.wav"))
	if code != 1 || !strings.Contains(errs, "not a μ-law value") {
		t.Errorf("compress of a 16-bit file with a μ-law model: exit %d: %s", code, errs)
	}
	arz, back := filepath.Join(dir, "gen.arz"), filepath.Join(dir, "back.wav")
	if code, _, errs = cli(t, "compress", "--model", out, "--out", arz, gen); code != 0 {
		t.Fatalf("compress --model of generated sound: exit %d: %s", code, errs)
	}
	if code, _, errs = cli(t, "decompress", "--model", out, "--out", back, arz); code != 0 {
		t.Fatalf("decompress --model: exit %d: %s", code, errs)
	}
	a, _ := os.ReadFile(gen)
	b, _ := os.ReadFile(back)
	fi, _ := os.Stat(arz)
	if string(a) != string(b) || fi.Size() > int64(len(a))/2+150 { // at most raw μ-law and the container
		t.Errorf("round trip equal %v, %d bytes coded in %d", string(a) == string(b), len(a), fi.Size())
	}
}

// A real-valued network trains on a WAV file's 16-bit samples with the
// discretized-logistic head over all 65,536 levels: the file is one
// series, a dimension per channel.
func TestRealModelOnWAV(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(dir, "tone.wav")
	writeTone(t, wav, 8000, 3000, 440)
	out := filepath.Join(dir, "dl.arm")
	code, _, errs := cli(t, "train", "--arch", "gru", "--head", "dlogistic:2", "--grid", "-32768,1,65536", "--data", wav,
		"--test-split", "0.2", "--layers", "1", "--dim", "8", "--context", "32", "--batch", "2", "--steps", "3", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	f, err := modelfile.ReadAny(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Meta.Columns) != 1 || f.Meta.Columns[0] != "sample" {
		t.Errorf("columns %v, want [sample]", f.Meta.Columns)
	}
	code, _, errs = cli(t, "train", "--arch", "gru", "--head", "dlogistic:2", "--grid", "-32768,1,65536", "--data", wav,
		"--column", "l", "--column", "r", "--steps", "1", "--out", filepath.Join(dir, "x.arm"))
	if code == 0 || !strings.Contains(errs, "1 channel(s) of samples; 2 columns") {
		t.Errorf("two columns for a mono file: exit %d: %s", code, errs)
	}

	// eval scores the whole file by its NLL alone; compress --model codes
	// it in that many bits plus the container's and the header's bytes.
	code, outs, errs := cli(t, "eval", "--model", out, "--test-split", "1", "--json", wav)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	var ev struct {
		Points int
		Bits   float64
	}
	if err := json.Unmarshal([]byte(outs), &ev); err != nil || ev.Points != 3000 {
		t.Fatalf("eval --json: %v: %s", err, outs)
	}
	arz := filepath.Join(dir, "tone.arz")
	if code, _, errs = cli(t, "compress", "--model", out, "--out", arz, wav); code != 0 {
		t.Fatalf("compress --model: exit %d: %s", code, errs)
	}
	back := filepath.Join(dir, "back.wav")
	if code, _, errs = cli(t, "decompress", "--model", out, "--out", back, arz); code != 0 {
		t.Fatalf("decompress --model: exit %d: %s", code, errs)
	}
	a, _ := os.ReadFile(wav)
	b, _ := os.ReadFile(back)
	if string(a) != string(b) {
		t.Fatal("the WAV file did not come back byte for byte")
	}
	fi, _ := os.Stat(arz)
	if got := float64(8 * fi.Size()); got < ev.Bits || got > ev.Bits*1.001+8*200 { // the container header is about 120 bytes
		t.Errorf("compressed to %.0f bits, the model's NLL is %.0f bits", got, ev.Bits)
	}
	if code, _, errs = cli(t, "compress", "--model", out, "--no-media", "--out", arz+"2", wav); code == 0 || !strings.Contains(errs, "WAV") {
		t.Errorf("--no-media with a real-valued model: exit %d: %s", code, errs)
	}
}
