package tokenize

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/wavfile"
)

// The golden codes of the data README's μ-law anchors.
func TestMuLawGolden(t *testing.T) {
	for v, want := range map[int16]autoreg.Token{-32768: 0, -16384: 16, -1024: 77, -32: 122, -1: 127, 0: 128, 1: 128,
		32: 133, 1024: 178, 16384: 239, 32767: 255} {
		if got := MuLawCode(v); got != want {
			t.Errorf("code of %d = %d, want %d", v, got, want)
		}
	}
}

// Every code decodes to a value inside its own interval, the codes are
// monotone, and no table entry lies within 1e-9 of a rounding boundary
// (so a logarithm one ulp off on another platform builds the same
// tables).
func TestMuLawTables(t *testing.T) {
	prev := autoreg.Token(0)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		c := MuLawCode(int16(v))
		if c < prev || c > prev+1 {
			t.Fatalf("codes jump from %d to %d at %d", prev, c, v)
		}
		prev = c
		if x := muCode(float64(v)); v != 0 && math.Abs(x-math.Round(x)) < 1e-9 {
			t.Errorf("sample %d lies %g from a code boundary", v, math.Abs(x-math.Round(x)))
		}
	}
	if prev != 255 {
		t.Fatalf("the largest code is %d", prev)
	}
	for k := range 256 {
		s := MuLawSample(autoreg.Token(k))
		if MuLawCode(s) != autoreg.Token(k) {
			t.Errorf("code %d decodes to %d, whose code is %d", k, s, MuLawCode(s))
		}
		if c := muCentre(k); c < 32767 && math.Abs(c-math.Floor(c)-0.5) < 1e-9 {
			t.Errorf("centre of code %d (%v) is within 1e-9 of a half", k, c)
		}
	}
}

// On the speech clip the codes hash as the data README lists, and the
// round trip's SNR is its 37.8 dB.
func TestMuLawSpeech(t *testing.T) {
	wf, err := wavfile.ReadFile(testutil.SharedFile(t, "data/audio/speech-8k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	mu, _ := NewMuLaw(Audio{Rate: 8000, Channels: 1})
	toks, err := mu.AppendWAV(nil, wf)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(toks))
	for i, c := range toks {
		b[i] = byte(c)
	}
	if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != "86473098e9cfb585d978c11d069e0fe8e9c7e4c46910bcf1f04b18e7d63effcd" {
		t.Fatalf("μ-law codes of the speech clip hash to %x", s)
	}
	ints, _ := wf.Ints(nil)
	var sig, noise float64
	for i, v := range ints {
		d := float64(MuLawSample(toks[i])) - float64(v)
		sig += float64(v) * float64(v)
		noise += d * d
	}
	if snr := 10 * math.Log10(sig/noise); math.Abs(snr-37.8) > 0.05 {
		t.Fatalf("round-trip SNR %.2f dB, the README says 37.8", snr)
	}
	// The decoded file is 16-bit PCM of μ-law values: lossless for the
	// tokenizer, unlike the clip itself.
	back, err := mu.WAV(toks)
	if err != nil {
		t.Fatal(err)
	}
	if err := mu.Lossless(back); err != nil {
		t.Fatal(err)
	}
	if err := mu.Lossless(wf); err == nil || !strings.Contains(err.Error(), "lossy") {
		t.Fatalf("the 16-bit clip is lossless for μ-law: %v", err)
	}
	again, _ := mu.AppendWAV(nil, back)
	for i := range toks {
		if again[i] != toks[i] {
			t.Fatalf("token %d: %d, then %d", i, toks[i], again[i])
		}
	}
}

// Other encodings read through the 16-bit scale; shapes must match.
func TestMuLawEncodings(t *testing.T) {
	mu, _ := NewMuLaw(Audio{Rate: 8000, Channels: 2})
	want := []autoreg.Token{MuLawCode(-32768), MuLawCode(256), MuLawCode(1024), MuLawCode(32767)}
	for _, c := range []struct {
		f    wavfile.Format
		ints []int32
	}{
		{wavfile.Format{Encoding: wavfile.PCM, Bits: 8}, []int32{-128, 1, 4, 127}},
		{wavfile.Format{Encoding: wavfile.PCM, Bits: 24}, []int32{-1 << 23, 256 << 8, 1024<<8 + 255, 1<<23 - 1}},
		{wavfile.Format{Encoding: wavfile.PCM, Bits: 32}, []int32{math.MinInt32, 256 << 16, 1024 << 16, math.MaxInt32}},
	} {
		c.f.Channels, c.f.SampleRate = 2, 8000
		data, err := wavfile.EncodeInts(c.f, c.ints)
		if err != nil {
			t.Fatal(err)
		}
		wf, _ := wavfile.New(c.f, data)
		got, err := mu.AppendWAV(nil, wf)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%d-bit: token %d = %d, want %d", c.f.Bits, i, got[i], want[i])
			}
		}
	}
	mono, _ := wavfile.New(wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 8000, Bits: 16}, []byte{0, 0})
	if _, err := mu.AppendWAV(nil, mono); err == nil || !strings.Contains(err.Error(), "8000 Hz mono, the tokenizer reads 8000 Hz stereo") {
		t.Fatalf("shape mismatch: %v", err)
	}
}

// G.711 files are tokens as they are; other files are refused.
func TestG711U(t *testing.T) {
	g, _ := NewG711U(Audio{Rate: 8000, Channels: 1})
	f := wavfile.Format{Encoding: wavfile.MuLaw, Channels: 1, SampleRate: 8000, Bits: 8}
	wf, _ := wavfile.New(f, []byte{0xFF, 0x00, 0x7F, 0x80})
	toks, err := g.AppendWAV(nil, wf)
	if err != nil || len(toks) != 4 || toks[1] != 0 || toks[2] != 0x7F {
		t.Fatalf("%v %v", toks, err)
	}
	back, err := g.WAV(append(toks, autoreg.Vocab{Base: 256}.EOS()))
	if err != nil || string(back.Data()) != string(wf.Data()) || back.Format != wf.Format {
		t.Fatalf("%v: %+v", err, back)
	}
	pcm, _ := wavfile.New(wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 8000, Bits: 16}, []byte{0, 0})
	if err := g.Lossless(pcm); err == nil || !strings.Contains(err.Error(), "reads G.711 μ-law files") {
		t.Fatalf("PCM accepted: %v", err)
	}
}

// Marshal keeps the shape; a version-1 stream cannot hold an audio kind.
func TestAudioMarshal(t *testing.T) {
	mu, _ := NewMuLaw(Audio{Rate: 16000, Channels: 3})
	b, err := Marshal(mu)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil || back.(Sound).Audio() != mu.Audio() || back.Kind() != KindMuLaw {
		t.Fatalf("%v %v", back, err)
	}
	b[4] = 1
	if _, err := Unmarshal(b); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("a mulaw tokenizer in version 1: %v", err)
	}
	byteTok, _ := Marshal(NewByte())
	if byteTok[4] != 1 {
		t.Fatal("the byte tokenizer is no longer written as version 1")
	}
}
