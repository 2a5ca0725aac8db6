package lmzip

import (
	"bytes"
	"context"
	"io"
	"testing"
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
	f.Add([]byte("ARZ\x1a"), uint8(0))
	f.Add([]byte{1, 10, 5, 0xAB, 0xCD, 0xEF, 0x12, 0x34, 0, 0, 0, 0}, uint8(1))
	f.Add([]byte{2, 3, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0}, uint8(2))
	// Valid headers (their CRC is out of the fuzzer's reach) for mode 1
	// (adaptive) and 2 (static), so the block parser and decoders run.
	headers := [][]byte{nil,
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyCM}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, flags: flagTokenFirst, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeStatic, blockLog: minBlockLog, flags: flagTokenFirst | flagLines, modelID: s.ID, path: PathCDF}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyLSTM + " v=2"}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyLSTM}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyGPT + " v=2"}).marshal(),
		(&header{mode: modeAdaptive, blockLog: minBlockLog, config: tinyGPT}).marshal(),
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
			cfg, err := ParseAdaptiveConfig(info.Config)
			if err != nil || cfg.HashBits > 12 || cfg.Match > 0 || len(cfg.Orders) > 3 ||
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
