package wavfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The decoders agree with sox on every code: testdata/*-all.wav hold the
// 256 codes in order, *-all-s16.wav what `sox IN -e signed -b 16 OUT` made
// of them.
func TestG711AgainstSox(t *testing.T) {
	for _, c := range []struct {
		name string
		dec  func(byte) int16
	}{{"mulaw", MuLawToLinear}, {"alaw", ALawToLinear}} {
		codes, err := Decode(readTestdata(t, c.name+"-all.wav"))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := Decode(readTestdata(t, c.name+"-all-s16.wav"))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ref.Ints(nil)
		got, err := codes.Ints(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 256 || len(want) != 256 {
			t.Fatalf("%s: %d and %d samples", c.name, len(got), len(want))
		}
		for i := range 256 {
			if got[i] != want[i] || int32(c.dec(byte(i))) != want[i] {
				t.Errorf("%s code %#02x: %d, sox %d", c.name, i, got[i], want[i])
			}
		}
	}
}

// Encoding inverts decoding on every code (μ-law's negative zero 0x7F
// becomes 0xFF), maps every 16-bit value to the code whose interval holds
// it, and is monotone.
func TestG711Encode(t *testing.T) {
	for _, c := range []struct {
		name string
		dec  func(byte) int16
		enc  func(int16) byte
		step func(int32) int32 // the quantization step around a magnitude
	}{
		{"mulaw", MuLawToLinear, LinearToMuLaw, func(m int32) int32 { return muStep(m) }},
		{"alaw", ALawToLinear, LinearToALaw, func(m int32) int32 { return aStep(m) }},
	} {
		for i := range 256 {
			b := byte(i)
			want := b
			if c.name == "mulaw" && b == 0x7F {
				want = 0xFF
			}
			if got := c.enc(c.dec(b)); got != want {
				t.Errorf("%s: encode(decode(%#02x) = %d) = %#02x", c.name, b, c.dec(b), got)
			}
		}
		prev := int16(math.MinInt16)
		for v := math.MinInt16; v <= math.MaxInt16; v++ {
			d := c.dec(c.enc(int16(v)))
			if d < prev {
				t.Fatalf("%s: not monotone at %d: %d after %d", c.name, v, d, prev)
			}
			prev = d
			m := int32(math.Abs(float64(v)))
			// The step, and the few units the floor of the standard's
			// shift adds below zero.
			if e := int32(math.Abs(float64(int32(d) - int32(v)))); m < 32000 && e > c.step(m)+8 {
				t.Fatalf("%s: %d decodes as %d, %d away (step %d)", c.name, v, d, e, c.step(m))
			}
		}
	}
}

// muStep and aStep are the widths of the code intervals at a 16-bit
// magnitude: the bound on the coding error away from clipping.
func muStep(m int32) int32 {
	for e := int32(0); e < 8; e++ {
		if (m>>2)+33 < 64<<e {
			return 8 << e
		}
	}
	return 1024
}

func aStep(m int32) int32 {
	for e := int32(1); e < 8; e++ {
		if m>>3 < 32<<e {
			return 16 << max(0, e-1)
		}
	}
	return 1024
}

// Every testdata file (made by sox, or by hand for the G.711 tables) comes
// back byte for byte.
func TestTestdataRoundTrip(t *testing.T) {
	want := map[string]Format{
		"src16.wav":     {Encoding: PCM, Channels: 1, SampleRate: 8000, Bits: 16},
		"pcm8.wav":      {Encoding: PCM, Channels: 1, SampleRate: 11025, Bits: 8},
		"pcm24-6ch.wav": {Encoding: PCM, Channels: 6, SampleRate: 44100, Bits: 24, Extensible: true, ChannelMask: 0x3F},
		"float32.wav":   {Encoding: Float, Channels: 2, SampleRate: 22050, Bits: 32},
		"mulaw-all.wav": {Encoding: MuLaw, Channels: 1, SampleRate: 8000, Bits: 8},
		"alaw-all.wav":  {Encoding: ALaw, Channels: 1, SampleRate: 8000, Bits: 8},
	}
	for name, f := range want {
		b := readTestdata(t, name)
		wf, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if wf.Format != f {
			t.Errorf("%s: format %+v, want %+v", name, wf.Format, f)
		}
		out, err := wf.Encode()
		if err != nil || !bytes.Equal(out, b) {
			t.Errorf("%s: does not encode back to its bytes (%v)", name, err)
		}
		if off := wf.DataOffset(); !bytes.Equal(b[off:off+int64(len(wf.Data()))], wf.Data()) {
			t.Errorf("%s: DataOffset %d is not where the samples are", name, off)
		}
	}
	// sox's float file and its 8-bit file hold the same kind of sine: the
	// scaled samples stay in [−1, 1).
	for _, name := range []string{"float32.wav", "pcm8.wav", "pcm24-6ch.wav"} {
		wf, _ := Decode(readTestdata(t, name))
		xs := wf.Floats(nil)
		if len(xs) != wf.Frames()*wf.Format.Channels || len(xs) == 0 {
			t.Fatalf("%s: %d floats for %d frames", name, len(xs), wf.Frames())
		}
		peak := 0.0
		for _, x := range xs {
			peak = max(peak, math.Abs(float64(x)))
		}
		if peak > 1 || peak < 0.3 {
			t.Errorf("%s: peak %v", name, peak)
		}
	}
}

// Files written by New in every format read back with the same samples.
func TestWriteRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range []Format{
		{Encoding: PCM, Bits: 8}, {Encoding: PCM, Bits: 16}, {Encoding: PCM, Bits: 24}, {Encoding: PCM, Bits: 32},
		{Encoding: PCM, Bits: 24, ValidBits: 20}, {Encoding: PCM, Bits: 16, Extensible: true},
		{Encoding: MuLaw, Bits: 8}, {Encoding: ALaw, Bits: 8}, {Encoding: Float, Bits: 32}, {Encoding: Float, Bits: 64},
	} {
		for _, ch := range []int{1, 2, 3, 8} {
			f.Channels, f.SampleRate = ch, 8000+1000*ch
			frames := 1 + rng.IntN(50)
			var data []byte
			var ints []int32
			if f.Encoding == Float {
				data = make([]byte, frames*f.BlockAlign())
				for i := 0; i < len(data); i += f.Bits / 8 {
					if f.Bits == 32 {
						binary.LittleEndian.PutUint32(data[i:], math.Float32bits(rng.Float32()*2-1))
					} else {
						binary.LittleEndian.PutUint64(data[i:], math.Float64bits(rng.Float64()*2-1))
					}
				}
			} else {
				bits := f.Bits
				if f.Encoding != PCM {
					bits = 16
				}
				for range frames * ch {
					ints = append(ints, int32(rng.Uint32())>>(32-bits))
				}
				var err error
				if data, err = EncodeInts(f, ints); err != nil {
					t.Fatal(err)
				}
			}
			wf, err := New(f, data)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			b, err := wf.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(b)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			wantF := f
			wantF.Extensible = f.Extensible || f.needsExtensible()
			if back.Format != wantF {
				t.Errorf("format %+v read back as %+v", wantF, back.Format)
			}
			if back.Frames() != frames || !bytes.Equal(back.Data(), data) {
				t.Errorf("%+v: data differs", f)
			}
			if f.Encoding == Float {
				continue
			}
			got, err := back.Ints(nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				want := ints[i]
				switch f.Encoding {
				case MuLaw:
					want = int32(MuLawToLinear(LinearToMuLaw(int16(want))))
				case ALaw:
					want = int32(ALawToLinear(LinearToALaw(int16(want))))
				}
				if v != want {
					t.Fatalf("%+v: sample %d = %d, want %d", f, i, v, want)
				}
			}
		}
	}
}

// wavBytes builds a file from raw chunks (IDs and bodies), with the RIFF
// size computed unless riff is non-negative.
func wavBytes(riff int64, chunks ...string) []byte {
	var body []byte
	for i := 0; i+1 < len(chunks); i += 2 {
		body = append(body, chunks[i]...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(chunks[i+1])))
		body = append(body, chunks[i+1]...)
		if len(chunks[i+1])%2 == 1 {
			body = append(body, 0)
		}
	}
	if riff < 0 {
		riff = int64(4 + len(body))
	}
	b := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(riff))
	return append(append(b, "WAVE"...), body...)
}

var fmt16 = string((Format{Encoding: PCM, Channels: 1, SampleRate: 8000, Bits: 16}).Chunk())

// Chunks the package does not know, odd sizes with their pad bytes (even a
// non-zero one), extension bytes in the fmt chunk and bytes after the RIFF
// chunk all come back exactly.
func TestUnknownChunksExact(t *testing.T) {
	b := wavBytes(-1, "LIST", "INFOISFT\x03\x00\x00\x00ab\x00", "fmt ", fmt16+"\x00\x00", "junk", "odd",
		"data", "\x01\x02\x03\x04", "cue ", "xyz")
	b[len(b)-1] = 0x7E // the last chunk's pad byte
	b = append(b, "ID3trailer"...)
	wf, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(wf.Chunks) != 5 || string(wf.Trailer) != "ID3trailer" || wf.Chunks[4].Pad != 0x7E {
		t.Fatalf("chunks %v, trailer %q", wf.Chunks, wf.Trailer)
	}
	out, _ := wf.Encode()
	if !bytes.Equal(out, b) {
		t.Fatalf("not byte-exact:\n%q\n%q", out, b)
	}
	if ints, _ := wf.Ints(nil); len(ints) != 2 || ints[0] != 0x0201 || ints[1] != 0x0403 {
		t.Fatalf("samples %v", ints)
	}
}

// Bad files are errors that say what is wrong; every prefix of a good file
// is an error and never a panic.
func TestErrors(t *testing.T) {
	data := "\x00\x00\x01\x00"
	cases := map[string][]byte{
		"not a WAV file":             []byte("hello, world"),
		"RF64":                       append([]byte("RF64"), make([]byte, 20)...),
		"no fmt chunk":               wavBytes(-1, "LIST", "ab"),
		"data chunk before the fmt":  wavBytes(-1, "data", data, "fmt ", fmt16),
		"a second data chunk":        wavBytes(-1, "fmt ", fmt16, "data", data, "data", data),
		"a second fmt chunk":         wavBytes(-1, "fmt ", fmt16, "fmt ", fmt16, "data", data),
		"no data chunk":              wavBytes(-1, "fmt ", fmt16),
		"whole number of 2-byte":     wavBytes(-1, "fmt ", fmt16, "data", "\x00\x00\x01"),
		"block align":                wavBytes(-1, "fmt ", strings.Replace(fmt16, "\x02\x00\x10\x00", "\x03\x00\x10\x00", 1), "data", data),
		"unsupported format code":    wavBytes(-1, "fmt ", "\x55\x00"+fmt16[2:], "data", data),
		"12-bit float":               wavBytes(-1, "fmt ", "\x03\x00"+fmt16[2:14]+"\x0c\x00", "data", data),
		"overruns the RIFF chunk":    wavBytes(20, "fmt ", fmt16, "data", data),
		"truncated":                  wavBytes(1000, "fmt ", fmt16, "data", data),
		"fmt chunk of 10 bytes":      wavBytes(-1, "fmt ", fmt16[:10], "data", data),
		"0 channels":                 wavBytes(-1, "fmt ", fmt16[:2]+"\x00\x00"+fmt16[4:], "data", data),
		"EXTENSIBLE fmt chunk short": wavBytes(-1, "fmt ", "\xfe\xff"+fmt16[2:]+"\x00\x00", "data", data),
	}
	for want, b := range cases {
		_, err := Decode(b)
		if err == nil {
			t.Errorf("%s: no error", want)
			continue
		}
		msg := err.Error()
		if want == "12-bit float" {
			want = "float"
		}
		if !strings.HasPrefix(msg, "wavfile: ") || !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	good := readTestdata(t, "pcm24-6ch.wav")
	for n := range len(good) {
		if n > 200 && n < len(good)-10 && n%97 != 0 {
			continue
		}
		if _, err := Decode(good[:n]); err == nil {
			t.Fatalf("a %d-byte prefix of a %d-byte file decodes", n, len(good))
		}
	}
}

// A size field that promises gigabytes costs no memory beyond the bytes
// present.
func TestLyingSizes(t *testing.T) {
	b := wavBytes(maxRIFF, "fmt ", fmt16)
	b = append(b, "data\x00\xff\xff\xff\x00\x00"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(b)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("error %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Fatalf("decoding %d bytes allocated %d", len(b), d)
	}
}

// The clips of the shared folder read with the frames and PCM the data
// README lists.
func TestSharedClips(t *testing.T) {
	for _, c := range []struct {
		name           string
		rate, ch, n    int
		sha256, pcmSHA string
	}{
		{"speech-8k.wav", 8000, 1, 521125, "6be8b7c3c197b3a1d142c95593bb0cc61c0427909199fc9b0b6b4efb9da6bdf5", "0080301c887cb0c246a7808c9661810ceb5cbaae395557e09551ffa3e410dd14"},
		{"music-44k.wav", 44100, 2, 1323000, "264f7bf3afb63031b56d449f792bf18bc0c642d4b05e6c32f1b55e7254619baf", "abf6c8853b407aa0bc44c8aeb0d671b4fd2b099791532ca359bbc142bb479aa7"},
	} {
		p := testutil.SharedFile(t, "data/audio/"+c.name)
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(raw); hex.EncodeToString(s[:]) != c.sha256 {
			t.Fatalf("%s: not the README's file", c.name)
		}
		wf, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := wf.Format
		if f.SampleRate != c.rate || f.Channels != c.ch || f.Bits != 16 || f.Encoding != PCM || wf.Frames() != c.n {
			t.Fatalf("%s: %+v, %d frames", c.name, f, wf.Frames())
		}
		if s := sha256.Sum256(wf.Data()); hex.EncodeToString(s[:]) != c.pcmSHA {
			t.Fatalf("%s: PCM data hash differs", c.name)
		}
		if wf.DataOffset() != 44 {
			t.Fatalf("%s: data at %d", c.name, wf.DataOffset())
		}
		out, _ := wf.Encode()
		if !bytes.Equal(out, raw) {
			t.Fatalf("%s: does not encode back to its bytes", c.name)
		}
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.wav")
	data, _ := EncodeInts(Format{Encoding: PCM, Channels: 2, SampleRate: 48000, Bits: 16}, []int32{1, -1, 32767, -32768})
	wf, _ := New(Format{Encoding: PCM, Channels: 2, SampleRate: 48000, Bits: 16}, data)
	if err := WriteFile(p, wf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(p)
	if err != nil || back.Frames() != 2 {
		t.Fatalf("%v, %d frames", err, back.Frames())
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Fatal("a missing file reads")
	}
	if err := os.WriteFile(p, []byte("RIFF\x04\x00\x00\x00WAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name the file", err)
	}
	if _, err := EncodeInts(Format{Encoding: PCM, Channels: 1, SampleRate: 8000, Bits: 8}, []int32{128}); err == nil {
		t.Fatal("an 8-bit sample of 128 encodes")
	}
}

// Layout finds the samples from the header alone, as Read does from the
// whole file.
func TestLayout(t *testing.T) {
	for _, name := range []string{"src16.wav", "pcm24-6ch.wav", "float32.wav", "mulaw-all.wav"} {
		b := readTestdata(t, name)
		wf, _ := Decode(b)
		f, off, n, err := Layout(b[:wf.DataOffset()])
		if err != nil || f != wf.Format || off != wf.DataOffset() || n != int64(len(wf.Data())) {
			t.Errorf("%s: %+v %d %d %v; Read: %+v %d %d", name, f, off, n, err, wf.Format, wf.DataOffset(), len(wf.Data()))
		}
		if _, _, _, err := Layout(b[:wf.DataOffset()-1]); err == nil {
			t.Errorf("%s: a prefix without the data chunk's size has a layout", name)
		}
	}
	if _, _, _, err := Layout(wavBytes(-1, "data", "\x00\x00", "fmt ", fmt16)); err == nil {
		t.Error("data before fmt has a layout")
	}
}
