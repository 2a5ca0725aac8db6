package lmzip

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/wavfile"
)

// testWAV returns a WAV file of a decaying chord with a little noise in
// format f, frames long, with extra chunks before and after the data.
func testWAV(t testing.TB, f wavfile.Format, frames int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	var ints []int32
	full := math.Ldexp(1, f.Bits-1)
	if f.Encoding != wavfile.PCM {
		full = 32768
	}
	for i := range frames {
		for c := range f.Channels {
			x := 0.3*math.Sin(float64(i)*0.031*float64(c+1)) + 0.2*math.Sin(float64(i)*0.0071)
			x *= math.Exp(-float64(i%5000) / 4000)
			x += 0.002 * rng.NormFloat64()
			ints = append(ints, int32(max(-full, min(full-1, math.Round(x*full)))))
		}
	}
	data, err := wavfile.EncodeInts(f, ints)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := wavfile.New(f, data)
	if err != nil {
		t.Fatal(err)
	}
	wf.Chunks = append([]wavfile.Chunk{{ID: "LIST", Data: []byte("INFOISFT\x05\x00\x00\x00test\x00")}}, wf.Chunks...)
	wf.Chunks = append(wf.Chunks, wavfile.Chunk{ID: "cue ", Data: []byte("odd")})
	b, err := wf.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compressedMedia reports whether a compressed stream's header records a
// media body.
func compressedMedia(t testing.TB, comp []byte) bool {
	info, err := ReadInfo(bytes.NewReader(comp), "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(info.Config, mediaSep)
}

// WAV files of every supported encoding, width and channel count come back
// byte for byte through the PCM codec, with blocks small enough that the
// samples cross many of them; float and 32-bit files go through the byte
// model.
func TestMediaWAVRoundTrip(t *testing.T) {
	cases := []struct {
		f     wavfile.Format
		media bool
	}{
		{wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 8000, Bits: 16}, true},
		{wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 44100, Bits: 16}, true},
		{wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 11025, Bits: 8}, true},
		{wavfile.Format{Encoding: wavfile.PCM, Channels: 3, SampleRate: 48000, Bits: 24}, true},
		{wavfile.Format{Encoding: wavfile.MuLaw, Channels: 1, SampleRate: 8000, Bits: 8}, true},
		{wavfile.Format{Encoding: wavfile.ALaw, Channels: 2, SampleRate: 8000, Bits: 8}, true},
		{wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 44100, Bits: 32}, false},
	}
	for _, c := range cases {
		wav := testWAV(t, c.f, 6000, 1)
		plain := compress(t, wav, Options{BlockSize: 4096, NoMedia: true})
		for _, level := range []int{1, 2} {
			comp := roundTrip(t, wav, Options{BlockSize: 4096, Level: level}, ReaderOptions{})
			if got := compressedMedia(t, comp); got != c.media {
				t.Errorf("%+v: media %v, want %v", c.f, got, c.media)
			}
			if c.media && len(comp) >= len(plain) {
				t.Errorf("%+v level %d: %d bytes through the PCM codec, %d through the byte model", c.f, level, len(comp), len(plain))
			}
		}
	}
}

// Unusual files: a data chunk that claims more than the file holds (the
// last frame cut short), noise that is stored rather than coded, an empty
// data chunk, a file whose header is cut before the samples, a non-WAV
// file; all come back exactly.
func TestMediaOddFiles(t *testing.T) {
	f := wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 22050, Bits: 16}
	wav := testWAV(t, f, 5000, 2)
	wf, _ := wavfile.Decode(wav)
	off := int(wf.DataOffset())
	truncated := wav[:off+4*3000+3] // mid-frame, the data chunk claims 5000 frames
	noise := append([]byte(nil), wav...)
	for i := off; i < off+4*5000; i++ {
		noise[i] = byte(rand.Uint32())
	}
	empty, _ := wavfile.New(f, nil)
	emptyB, _ := empty.Encode()
	for name, b := range map[string][]byte{
		"truncated": truncated, "noise": noise, "empty data": emptyB,
		"header only": wav[:off-3], "text": []byte(strings.Repeat("not a wav file ", 500)),
	} {
		for _, bs := range []int{4096, 1 << 20} {
			comp := roundTrip(t, b, Options{BlockSize: bs}, ReaderOptions{})
			if want := name != "header only" && name != "text"; compressedMedia(t, comp) != want {
				t.Errorf("%s: media %v", name, !want)
			}
		}
	}
}

// The start of each shared clip, as a WAV file of its own: through the
// PCM codec at both levels, every byte back, no bigger than when the
// levels were tuned (whole clips against FLAC and WavPack:
// scripts/bench-audio.sh).
func TestMediaSharedClips(t *testing.T) {
	for _, c := range []struct {
		name    string
		seconds int
		bits    [2]float64 // bits per sample of the whole compressed file, levels 1 and 2
	}{{"speech-8k.wav", 8, [2]float64{9.3718, 9.3546}}, {"music-44k.wav", 2, [2]float64{9.2811, 9.2591}}} {
		wf, err := wavfile.ReadFile(testutil.SharedFile(t, "data/audio/"+c.name))
		if err != nil {
			t.Fatal(err)
		}
		n := c.seconds * wf.Format.SampleRate * wf.Format.BlockAlign()
		if wf, err = wavfile.New(wf.Format, wf.Data()[:n]); err != nil {
			t.Fatal(err)
		}
		wav, err := wf.Encode()
		if err != nil {
			t.Fatal(err)
		}
		samples := float64(c.seconds * wf.Format.SampleRate * wf.Format.Channels)
		for level := 1; level <= 2; level++ {
			comp := roundTrip(t, wav, Options{Level: level}, ReaderOptions{})
			bps := 8 * float64(len(comp)) / samples
			t.Logf("%s, first %d s, level %d: %d bytes, %.4f bits/sample", c.name, c.seconds, level, len(comp), bps)
			if !compressedMedia(t, comp) || bps > c.bits[level-1]+0.001 {
				t.Errorf("%s, first %d s, level %d: %.4f bits/sample, was %.4f", c.name, c.seconds, level, bps, c.bits[level-1])
			}
		}
	}
}

// A stream whose media header disagrees with the file it holds is corrupt,
// never a panic.
func TestMediaCorruptHeader(t *testing.T) {
	wav := testWAV(t, wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 8000, Bits: 16}, 3000, 4)
	comp := compress(t, wav, Options{BlockSize: 4096})
	i := bytes.Index(comp, []byte("media wav 1 "))
	if i < 0 {
		t.Fatal("no media description in the header")
	}
	bad := append([]byte(nil), comp...)
	bad[i+len("media wav 1 ")]++ // the body's offset
	// Fix the header checksum, so the media check is what fails.
	n, k := binary.Uvarint(comp[8:])
	hlen := 8 + k + int(n) + 4
	binary.LittleEndian.PutUint32(bad[hlen-4:], crc32.Checksum(bad[:hlen-4], castagnoli))
	if _, err := decompress(bad, ReaderOptions{}); err == nil {
		t.Fatal("a stream whose body offset disagrees with its WAV header decodes")
	}
}

// integerWAV is a WAV file of two decaying integer resonators and LCG
// noise in format f: built with integer arithmetic only, so it is the
// same on every platform (golden files depend on it).
func integerWAV(t testing.TB, f wavfile.Format, frames int) []byte {
	t.Helper()
	full := int64(1) << (f.Bits - 1)
	if f.Encoding != wavfile.PCM {
		full = 32768
	}
	var ints []int32
	seed := uint32(12345)
	type osc struct{ y1, y2, k int64 }
	oscs := []osc{{0, full / 3, 16000}, {0, full / 5, 15200}} // 2cos(ω) in Q13
	for i := range frames {
		var s int64
		for j := range oscs {
			o := &oscs[j]
			y := (o.k*o.y1)>>13 - o.y2
			if i%4000 == 0 {
				y, o.y1 = full/(3+int64(j)*2), 0
			}
			o.y2, o.y1 = o.y1, y
			s += y
		}
		for c := range f.Channels {
			seed = seed*1664525 + 1013904223
			v := s/int64(c+1) + int64(seed>>24) - 128
			ints = append(ints, int32(max(-full, min(full-1, v))))
		}
	}
	data, err := wavfile.EncodeInts(f, ints)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := wavfile.New(f, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wf.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMediaGolden pins the compressed bytes of WAV files through the PCM
// codec at both levels (16-bit stereo, 24-bit mono, μ-law): integer
// arithmetic end to end, so they are the same under -tags noasm, on arm64
// and on 32-bit ARM (scripts/test-lmzip-crossarch.sh).
func TestMediaGolden(t *testing.T) {
	for _, c := range []struct {
		name   string
		f      wavfile.Format
		frames int
	}{
		{"wav16", wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 22050, Bits: 16}, 6000},
		{"wav24", wavfile.Format{Encoding: wavfile.PCM, Channels: 1, SampleRate: 48000, Bits: 24}, 4000},
		{"wavmulaw", wavfile.Format{Encoding: wavfile.MuLaw, Channels: 1, SampleRate: 8000, Bits: 8}, 6000},
	} {
		in := integerWAV(t, c.f, c.frames)
		for _, level := range []int{1, 2} {
			name := fmt.Sprintf("media-%s-level%d", c.name, level)
			t.Run(name, func(t *testing.T) {
				// The byte model of the WAV header is ngram's, the
				// default level's when the files were written.
				comp := compress(t, in, Options{Adaptive: "ngram", BlockSize: 4096, Level: level})
				if !compressedMedia(t, comp) {
					t.Fatal("not coded as media")
				}
				checkGolden(t, name, in, comp, ReaderOptions{})
			})
		}
	}
}
