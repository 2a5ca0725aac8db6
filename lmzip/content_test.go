package lmzip

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/arith"
)

// x86Like is machine-code-like bytes: calls (E8) among other bytes, the
// targets drawn from a few functions, so that absolute targets repeat.
func x86Like(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	funcs := []uint32{0x1000, 0x2340, 0x5F00, 0x9000, 0x12000}
	var b []byte
	for len(b) < n {
		switch r.IntN(4) {
		case 0:
			target := funcs[r.IntN(len(funcs))]
			b = append(b, 0xE8)
			b = binary.LittleEndian.AppendUint32(b, target-uint32(len(b)+4))
		case 1:
			b = append(b, 0x48, 0x89, byte(0xC0+r.IntN(64)))
		default:
			b = append(b, 0x48, 0x8B, 0x45, byte(r.IntN(16)*8))
		}
	}
	return b[:n]
}

// arm64Like is ARM64-like words: BL to a few functions, RET, other words
// from a small set.
func arm64Like(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	funcs := []uint32{0x400, 0x1234, 0x8000}
	ops := []uint32{0xA9BF7BFD, 0x910003FD, 0xF9400BE0, 0xAA0003E1, 0xD65F03C0, 0xD503201F}
	var b []byte
	for len(b) < n {
		if r.IntN(5) == 0 {
			pc := uint32(len(b) / 4)
			b = binary.LittleEndian.AppendUint32(b, 0x94000000|(funcs[r.IntN(len(funcs))]-pc)&(1<<26-1))
		} else {
			b = binary.LittleEndian.AppendUint32(b, ops[r.IntN(len(ops))])
		}
	}
	return b[:n]
}

func TestAnalyze(t *testing.T) {
	utf := bytes.Repeat([]byte("naïve café, 東京 — "), 300)
	tar := append(sampleText(6000, 9), make([]byte, 1500)...)
	for _, tc := range []struct {
		name string
		b    []byte
		want byte
	}{
		{"text", sampleText(8000, 1), contentText},
		{"utf8", utf, contentText},
		{"text and padding", tar, contentText},
		{"random", randomBytes(8000, 2), contentCompressed},
		{"x86", x86Like(8000, 3), contentX86},
		{"arm64", arm64Like(8000, 4), contentARM64},
		{"zeros", make([]byte, 8000), contentBinary},
		{"empty", nil, contentBinary},
	} {
		if got := analyze(tc.b); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, contentNames[got], contentNames[tc.want])
		}
	}
}

// kindsInput has a 4 KiB block of every content kind, twice, and a short
// tail.
func kindsInput() []byte {
	var b []byte
	for i := uint64(0); i < 2; i++ {
		b = append(b, sampleText(4096, 10+i)...)
		b = append(b, x86Like(4096, 20+i)...)
		b = append(b, arm64Like(4096, 30+i)...)
		b = append(b, randomBytes(4096, 40+i)...)
		z := make([]byte, 4096)
		for j := range z {
			z[j] = byte(j*j>>7) & 0x3F
		}
		b = append(b, z...)
	}
	return append(b, "end\n"...)
}

// Every kind round-trips, whether its block is coded or stored, and the
// transforms pay: machine code with repeated targets shrinks more with
// the content-aware engine than the same code scrambled.
func TestContentRoundTrip(t *testing.T) {
	in := kindsInput()
	comp := roundTrip(t, in, Options{Adaptive: tinyCM2, BlockSize: 4096}, ReaderOptions{})
	t.Logf("%d -> %d bytes", len(in), len(comp))
	x := x86Like(1<<15, 7)
	a := roundTrip(t, x, Options{Adaptive: tinyCM2, BlockSize: 4096}, ReaderOptions{})
	b := roundTrip(t, x, Options{Adaptive: "cm o=1,2,3,4 w=0 m=6 h=10 l=255 r=6 x=1 a=1", BlockSize: 4096}, ReaderOptions{})
	t.Logf("x86-like %d bytes: engine 2 %d, engine 1 %d", len(x), len(a), len(b))
	if len(a) >= len(b) {
		t.Errorf("x86-like code: engine 2 %d bytes, engine 1 %d", len(a), len(b))
	}
	for _, n := range []int{0, 1, 5, 4095, 4097} {
		roundTrip(t, in[:n], Options{Adaptive: tinyCM2, BlockSize: 4096}, ReaderOptions{})
	}
}

// A coded block naming a kind that does not exist is refused.
func TestContentBadKind(t *testing.T) {
	c := &contentCodec{}
	var buf bytes.Buffer
	enc := arith.NewEncoder(&buf)
	enc.Encode(numContents, 1, 256)
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.decode(arith.NewDecoder(bytes.NewReader(buf.Bytes())), make([]byte, 4)); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

// Engine 2 streams carry format version 2; a version 1 header naming
// engine 2, and versions this build does not know, are refused.
func TestContentVersion(t *testing.T) {
	comp := compress(t, []byte("some text"), Options{Adaptive: tinyCM2})
	if comp[4] != versionContent {
		t.Fatalf("version %d", comp[4])
	}
	if old := compress(t, []byte("some text"), Options{Adaptive: tinyCM}); old[4] != 1 {
		t.Fatalf("engine 1 written as version %d", old[4])
	}
	for _, v := range []byte{1, maxVersion + 1} {
		h := (&header{version: v, mode: modeAdaptive, blockLog: minBlockLog, config: tinyCM2}).marshal()
		if _, err := NewReader(context.Background(), bytes.NewReader(h), ReaderOptions{}); err == nil {
			t.Errorf("version %d header with engine 2 accepted", v)
		}
	}
	// The light profile needs version 3.
	if comp := compress(t, []byte("some text"), Options{Adaptive: tinyLight}); comp[4] != versionProfile {
		t.Fatalf("light profile written as version %d", comp[4])
	}
	for _, v := range []byte{1, versionContent} {
		h := (&header{version: v, mode: modeAdaptive, blockLog: minBlockLog, config: tinyLight}).marshal()
		if _, err := NewReader(context.Background(), bytes.NewReader(h), ReaderOptions{}); err == nil {
			t.Errorf("version %d header with the light profile accepted", v)
		}
	}
	// The fast profile needs version 4; a reader of version 3 names the
	// version instead of rejecting the configuration.
	if comp := compress(t, []byte("some text"), Options{Adaptive: tinyFast}); comp[4] != versionFast {
		t.Fatalf("fast profile written as version %d", comp[4])
	}
	for _, v := range []byte{1, versionContent, versionProfile} {
		h := (&header{version: v, mode: modeAdaptive, blockLog: minBlockLog, config: tinyFast}).marshal()
		if _, err := NewReader(context.Background(), bytes.NewReader(h), ReaderOptions{}); err == nil {
			t.Errorf("version %d header with the fast profile accepted", v)
		}
	}
}

// TestContentGolden pins engine 2 on every content kind and transform
// (small tables: the cross-architecture runs under qemu stay short), as
// TestGolden pins the presets.
func TestContentGolden(t *testing.T) {
	in := kindsInput()
	checkGolden(t, "adaptive-cm2-kinds", in, compress(t, in, Options{Adaptive: tinyCM2, BlockSize: 1 << 12}), ReaderOptions{})
	checkGolden(t, "adaptive-light-kinds", in, compress(t, in, Options{Adaptive: tinyLight, BlockSize: 1 << 12}), ReaderOptions{})
	checkGolden(t, "adaptive-fast-kinds", in, compress(t, in, Options{Adaptive: tinyFast, BlockSize: 1 << 12}), ReaderOptions{})
}

// The fast profile codes every kind and round-trips, over block
// boundaries and in stored blocks.
func TestFastRoundTrip(t *testing.T) {
	in := kindsInput()
	for _, n := range []int{0, 1, 4097, len(in)} {
		roundTrip(t, in[:n], Options{Adaptive: tinyFast, BlockSize: 4096}, ReaderOptions{})
	}
}

// The light profile codes every kind and round-trips, and its ARM64
// contexts, aligned to the instruction words, beat the full profile's on
// ARM64-like code.
func TestLightRoundTrip(t *testing.T) {
	in := kindsInput()
	for _, n := range []int{0, 1, 4097, len(in)} {
		roundTrip(t, in[:n], Options{Adaptive: tinyLight, BlockSize: 4096}, ReaderOptions{})
	}
	a := arm64Like(1<<15, 9)
	light := roundTrip(t, a, Options{Adaptive: tinyLight, BlockSize: 4096}, ReaderOptions{})
	full := roundTrip(t, a, Options{Adaptive: tinyCM2, BlockSize: 4096}, ReaderOptions{})
	t.Logf("ARM64-like %d bytes: light %d, full %d", len(a), len(light), len(full))
}
