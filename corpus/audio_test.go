package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavfile"
)

func writeWAV(t *testing.T, path string, f wavfile.Format, ints []int32) {
	t.Helper()
	data, err := wavfile.EncodeInts(f, ints)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := wavfile.New(f, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := wavfile.WriteFile(path, wf); err != nil {
		t.Fatal(err)
	}
}

// Every file is one sequence <s> [<ctl>] samples </s>, tagged by its
// directory; a file of another shape is an error naming it.
func TestLoadAudio(t *testing.T) {
	dir := t.TempDir()
	f := wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 16000, Bits: 16}
	writeWAV(t, filepath.Join(dir, "alice", "a.wav"), f, []int32{0, 100, -100, 32767})
	writeWAV(t, filepath.Join(dir, "bob", "b.wav"), f, []int32{5, 5})
	docs, err := Files([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	shape, err := AudioShape(docs)
	if err != nil || shape != (tokenize.Audio{Rate: 16000, Channels: 2}) {
		t.Fatalf("%v %v", shape, err)
	}
	mu, _ := tokenize.NewMuLaw(shape)
	ctl, _ := ParseControl("parent-dir")
	tags, _ := ctl.Tags(context.Background(), docs, Stream)
	tok, _ := tokenize.WithControls(mu, tags)
	snd := tok.(tokenize.Sound)
	toks, st, err := LoadAudio(context.Background(), docs, snd, AudioOptions{Control: ctl})
	if err != nil {
		t.Fatal(err)
	}
	v := snd.Vocab()
	a, _ := v.Control("alice")
	b, _ := v.Control("bob")
	c := func(x int16) autoreg.Token { return tokenize.MuLawCode(x) }
	want := []autoreg.Token{v.BOS(), a, c(0), c(100), c(-100), c(32767), v.EOS(), v.BOS(), b, c(5), c(5), v.EOS()}
	if len(toks) != len(want) {
		t.Fatalf("tokens %v, want %v", toks, want)
	}
	for i := range want {
		if toks[i] != want[i] {
			t.Fatalf("tokens %v, want %v", toks, want)
		}
	}
	if st.Files != 2 || st.Frames != 3 || st.Samples != 6 || st.Seconds != 3.0/16000 {
		t.Fatalf("stats %+v", st)
	}
	writeWAV(t, filepath.Join(dir, "carol", "c.wav"), wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 16000, Bits: 16}, []int32{1})
	docs, _ = Files([]string{dir}, Options{})
	if _, _, err := LoadAudio(context.Background(), docs, snd, AudioOptions{}); err == nil || !strings.Contains(err.Error(), "c.wav") {
		t.Fatalf("a mono file among stereo ones: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "carol", "c.wav"), []byte("RIFF\x10\x00\x00\x00WAVEfmt "), 0o644)
	if _, _, err := LoadAudio(context.Background(), docs, snd, AudioOptions{}); err == nil || !strings.Contains(err.Error(), "c.wav: ") {
		t.Fatalf("a truncated file: %v", err)
	}
}
