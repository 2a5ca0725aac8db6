package exefilter

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// The same call target from two places becomes the same bytes.
func TestX86SameTarget(t *testing.T) {
	b := make([]byte, 64)
	// call at 0 (next instruction at 5) and at 20 (next at 25) to 1000.
	b[0], b[20] = 0xE8, 0xE8
	binary.LittleEndian.PutUint32(b[1:], uint32(1000-5))
	binary.LittleEndian.PutUint32(b[21:], uint32(1000-25))
	orig := bytes.Clone(b)
	X86Encode(b, 0)
	if !bytes.Equal(b[1:5], b[21:25]) || binary.LittleEndian.Uint32(b[1:]) != 1000 {
		t.Fatalf("targets not made absolute: % x", b[:25])
	}
	X86Decode(b, 0)
	if !bytes.Equal(b, orig) {
		t.Fatal("decode does not undo encode")
	}
}

func TestARM64SameTarget(t *testing.T) {
	b := make([]byte, 64)
	// BL at byte 8 (word 2) and at byte 24 (word 6) to word 100; stream
	// position 4096 (word 1024).
	target := uint32(100)
	binary.LittleEndian.PutUint32(b[8:], 0x94000000|(target-1026)&(1<<26-1))
	binary.LittleEndian.PutUint32(b[24:], 0x94000000|(target-1030)&(1<<26-1))
	orig := bytes.Clone(b)
	ARM64Encode(b, 4096)
	if !bytes.Equal(b[8:12], b[24:28]) || binary.LittleEndian.Uint32(b[8:]) != 0x94000000|100 {
		t.Fatalf("targets not made absolute: % x", b[8:28])
	}
	ARM64Decode(b, 4096)
	if !bytes.Equal(b, orig) {
		t.Fatal("decode does not undo encode")
	}
}

// roundTrip checks both transforms on b at pos, and that they change
// nothing outside b.
func roundTrip(t *testing.T, b []byte, pos uint32) {
	for _, f := range []struct {
		name     string
		enc, dec func([]byte, uint32)
	}{{"x86", X86Encode, X86Decode}, {"arm64", ARM64Encode, ARM64Decode}} {
		c := bytes.Clone(b)
		f.enc(c, pos)
		f.dec(c, pos)
		if !bytes.Equal(c, b) {
			t.Fatalf("%s: round trip at position %d changed % x to % x", f.name, pos, b, c)
		}
	}
}

// Random data dense in opcodes and qualifying fields, at every alignment.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		b := make([]byte, r.IntN(200))
		for i := range b {
			switch r.IntN(6) {
			case 0:
				b[i] = 0xE8 | byte(r.IntN(2))
			case 1:
				b[i] = 0xFF
			case 2:
				b[i] = 0
			case 3:
				b[i] = 0x94 | byte(r.IntN(4))
			default:
				b[i] = byte(r.Uint32())
			}
		}
		roundTrip(t, b, r.Uint32())
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0xE8, 1, 0, 0, 0, 0xE9, 0xFF, 0xFF, 0xFF, 0xFF}, uint32(0))
	f.Add([]byte{0, 0, 0, 0x94, 1, 0, 0, 0x97}, uint32(4093))
	f.Fuzz(func(t *testing.T, b []byte, pos uint32) { roundTrip(t, b, pos) })
}
