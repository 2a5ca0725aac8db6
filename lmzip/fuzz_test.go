package lmzip

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/autoreg/autoreg/wavfile"
)

// Small adaptive configurations with each online network, for the
// fuzzer (both revisions of the networks decode through them).
const (
	tinyLSTM = tinyCM + " n=32,4,50"
	tinyGPT  = tinyCM + " g=32,2,1,8,10"
)

// FuzzReader feeds arbitrary bytes to the container reader and decoders
// (static, adaptive, and the adaptive LSTM and GPT in both revisions):
// never a panic, and a clean error for anything that is not a valid stream.
func FuzzReader(f *testing.F) {
	s := toyStatic(2, "the ")
	orig := *s
	orig.originalLiterals = true
	data := []byte("the quick brown fox, the lazy dog.\n\x00\xff the end")
	for _, opts := range []Options{
		{Adaptive: tinyCM, BlockSize: 4096},
		{Adaptive: tinyCM2, BlockSize: 4096},
		{Static: s, BlockSize: 4096},
		{Static: &orig, BlockSize: 4096},
		{Adaptive: tinyLSTM, BlockSize: 4096},
		{Adaptive: tinyLSTM, BlockSize: 4096, legacyNets: true},
		{Adaptive: tinyGPT, BlockSize: 4096},
		{Adaptive: tinyGPT, BlockSize: 4096, legacyNets: true},
	} {
		var buf bytes.Buffer
		if _, err := Compress(context.Background(), &buf, bytes.NewReader(data), opts); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), uint8(0))
		f.Add(buf.Bytes()[:buf.Len()/2], uint8(0))
	}
	// A WAV file through the PCM codec.
	wav := testWAV(f, wavfile.Format{Encoding: wavfile.PCM, Channels: 2, SampleRate: 8000, Bits: 16}, 600, 1)
	var wbuf bytes.Buffer
	if _, err := Compress(context.Background(), &wbuf, bytes.NewReader(wav), Options{Adaptive: tinyCM, BlockSize: 4096}); err != nil {
		f.Fatal(err)
	}
	f.Add(wbuf.Bytes(), uint8(0))
	f.Add(wbuf.Bytes()[:wbuf.Len()/2], uint8(0))
	// Every content kind and transform of engine 2, coded and stored
	// blocks, in every profile.
	for _, cfg := range []string{tinyCM2, tinyLight, tinyFast} {
		var kinds bytes.Buffer
		if _, err := Compress(context.Background(), &kinds, bytes.NewReader(kindsInput()), Options{Adaptive: cfg, BlockSize: 4096}); err != nil {
			f.Fatal(err)
		}
		f.Add(kinds.Bytes(), uint8(0))
	}
	f.Add([]byte("ARZ\x1a"), uint8(0))
	f.Add([]byte{1, 10, 5, 0xAB, 0xCD, 0xEF, 0x12, 0x34, 0, 0, 0, 0}, uint8(1))
	f.Add([]byte{2, 3, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0}, uint8(2))
	// Valid headers (their CRC is out of the fuzzer's reach) for mode 1
	// (adaptive) and 2 (static), so the block parser and decoders run.
	headers := [][]byte{nil,
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyCM}).marshal(),
		(&header{version: versionContent, mode: modeAdaptive, blockLog: minBlockLog, config: tinyCM2}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, flags: flagTokenFirst, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, flags: flagTokenFirst | flagLines, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyLSTM + " v=2"}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyLSTM}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyGPT + " v=2"}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyGPT}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyCM + mediaSep + "media wav 1 80 2400"}).marshal(),
	}
	for _, n := range []int{80, 200} { // a media header and the start of the WAV file's bytes it needs
		f.Add(wav[:n], uint8(len(headers)-1))
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		if h := headers[int(mode)%len(headers)]; h != nil {
			in = append(append([]byte(nil), h...), in...)
		}
		info, err := ReadInfo(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		// Keep each run fast: big blocks or big models are valid but slow.
		if info.BlockSize > 1<<16 {
			return
		}
		if !info.Static {
			text, _, err := splitMedia(info.Config)
			if err != nil {
				return
			}
			cfg, err := ParseAdaptiveConfig(text)
			if err != nil || cfg.HashBits > 12 || cfg.HistBits > 18 || cfg.Match > 0 || len(cfg.Orders) > 3 ||
				cfg.LSTM > 64 || cfg.Horizon > 16 || cfg.GPT > 64 || cfg.GPTLayers > 1 || cfg.GPTWindow > 16 {
				return
			}
			for _, o := range cfg.Orders {
				if o == 2 {
					return
				}
			}
		}
		r, err := NewReader(context.Background(), bytes.NewReader(in), ReaderOptions{Static: s, Name: "fuzz"})
		if err != nil {
			return
		}
		io.Copy(io.Discard, r)
	})
}

// FuzzMediaRoundTrip compresses WAV files of every format the PCM codec
// takes, with arbitrary samples, a body cut anywhere (a partial last
// frame), bytes after the file, and a RIFF size that may lie, in blocks
// small enough that frames straddle them: every byte comes back.
func FuzzMediaRoundTrip(f *testing.F) {
	f.Add(uint8(0), []byte("\x00\x01\x02\x03\xff\xfe\x80\x7f"), []byte(nil))
	f.Add(uint8(5), bytes.Repeat([]byte{0x12, 0x80, 0x7f}, 3001), []byte("tail"))
	f.Add(uint8(0x8a), bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 1500), []byte{0})
	formats := []wavfile.Format{
		{Encoding: wavfile.PCM, Channels: 1, Bits: 16},
		{Encoding: wavfile.PCM, Channels: 2, Bits: 16},
		{Encoding: wavfile.PCM, Channels: 1, Bits: 8},
		{Encoding: wavfile.PCM, Channels: 3, Bits: 24},
		{Encoding: wavfile.MuLaw, Channels: 1, Bits: 8},
		{Encoding: wavfile.ALaw, Channels: 2, Bits: 8},
		{Encoding: wavfile.PCM, Channels: 2, Bits: 24},
		{Encoding: wavfile.PCM, Channels: 5, Bits: 16},
	}
	f.Fuzz(func(t *testing.T, sel uint8, body, tail []byte) {
		if len(body) > 1<<16 {
			return
		}
		fm := formats[int(sel)%len(formats)]
		fm.SampleRate = 8000 << (sel >> 3 & 3)
		wf, err := wavfile.New(fm, body[:len(body)/fm.BlockAlign()*fm.BlockAlign()])
		if err != nil {
			t.Fatal(err)
		}
		wav, err := wf.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if sel&0x40 != 0 { // cut the body short: a partial last frame
			wav = wav[:len(wav)-min(len(wav)-44, len(body)%fm.BlockAlign()+1)]
		}
		if sel&0x80 != 0 { // a RIFF size that lies
			wav[4] ^= 0x10
		}
		wav = append(wav, tail...)
		roundTrip(t, wav, Options{Adaptive: tinyCM, BlockSize: 4096, Level: 1 + int(sel>>5&1)}, ReaderOptions{})
	})
}
