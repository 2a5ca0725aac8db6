package arith

import (
	"bytes"
	"testing"
)

// FuzzDecoder drives the decoder over arbitrary bytes with tables derived
// from the input: it must never panic or loop, whatever it is fed.
func FuzzDecoder(f *testing.F) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for i := 0; i < 50; i++ {
		enc.Encode(uint32(i%5), 1, 5)
		enc.EncodeBit(i&1, 30000)
	}
	enc.Close()
	f.Add(buf.Bytes(), uint8(5))
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		dec := NewDecoder(bytes.NewReader(data))
		n := int(k)%300 + 1
		cdf := make([]uint32, n+1)
		for i := 1; i <= n; i++ {
			step := uint32(1)
			if i-1 < len(data) {
				step += uint32(data[i-1]) << (uint(i) % 24)
			}
			cdf[i] = cdf[i-1] + step
		}
		for i := 0; i < 200; i++ {
			s := dec.DecodeSymbol(cdf)
			if s < 0 || s >= n {
				t.Fatalf("symbol %d out of range", s)
			}
			dec.DecodeBit(uint32(i * 331))
			tg := dec.Target(MaxTotal)
			dec.Consume(tg, 1, MaxTotal)
		}
		// Misuse must not panic either.
		dec.Consume(5, 0, 3)
		dec.DecodeSymbol([]uint32{0})
		dec.DecodeSymbol([]uint32{0, 0, 0})
	})
}
