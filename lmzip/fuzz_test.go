package lmzip

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the container reader and decoders:
// never a panic, and a clean error for anything that is not a valid stream.
func FuzzReader(f *testing.F) {
	s := toyStatic(2, "the ")
	data := []byte("the quick brown fox, the lazy dog.\n\x00\xff the end")
	for _, opts := range []Options{
		{Adaptive: tinyCM, BlockSize: 4096},
		{Static: s, BlockSize: 4096},
	} {
		var buf bytes.Buffer
		if _, err := Compress(context.Background(), &buf, bytes.NewReader(data), opts); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
	}
	f.Add([]byte("ARZ\x1a"))
	f.Fuzz(func(t *testing.T, in []byte) {
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
			if err != nil || cfg.HashBits > 12 || cfg.Match > 0 || len(cfg.Orders) > 3 {
				return
			}
			for _, o := range cfg.Orders {
				if o == 2 {
					return
				}
			}
		}
		r, err := NewReader(bytes.NewReader(in), ReaderOptions{Static: s, Name: "fuzz"})
		if err != nil {
			return
		}
		io.Copy(io.Discard, r)
	})
}
