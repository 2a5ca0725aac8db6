package cm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStatesGolden pins the bit-history state table (generated at start-up)
// by hash: every file of the content-aware engine depends on it.
func TestStatesGolden(t *testing.T) {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, stateNext)
	binary.Write(h, binary.LittleEndian, stateN0)
	binary.Write(h, binary.LittleEndian, stateN1)
	binary.Write(h, binary.LittleEndian, stateLast)
	const want = "8e6227c2785cfbf5f7967edb4bb69ff1dd2d49348b0bad176617ad44a339e03e"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("state table hash %s, want %s (%d states)", got, want, statesUsed)
	}
}

// Every state's successors are states in use, and the counts follow the
// bit: a state after a one has seen at least one one.
func TestStatesConsistent(t *testing.T) {
	for s := 0; s < statesUsed; s++ {
		for bit := 0; bit < 2; bit++ {
			n := int(stateNext[s][bit])
			if n >= statesUsed {
				t.Fatalf("state %d, bit %d: successor %d unused", s, bit, n)
			}
			if bit == 1 && stateN1[n] == 0 || bit == 0 && stateN0[n] == 0 {
				t.Fatalf("state %d, bit %d: successor %d has counts (%d, %d)", s, bit, n, stateN0[n], stateN1[n])
			}
		}
	}
}

// codeCost runs a model of cfg over data as kind and returns the sum of the
// probabilities it gave the coded bits (a fingerprint of every prediction)
// and the bits it would cost.
func codeCost(cfg Config, kind Kind, data []byte) (sum uint64, bits float64) {
	m := NewModel(cfg, nil)
	m.SetKind(kind)
	for _, c := range data {
		for i := 7; i >= 0; i-- {
			b := int(c>>uint(i)) & 1
			p := m.P()
			if p == 0 || p >= 65536 {
				panic("probability out of range")
			}
			if b == 0 {
				p = 65536 - p
			}
			sum = sum*31 + uint64(p)
			bits += log2Approx(p)
			m.Update(b)
		}
	}
	return sum, bits
}

// log2Approx is −log2(p/65536), for a cost estimate.
func log2Approx(p uint32) float64 {
	n := 0.0
	for p < 32768 {
		p <<= 1
		n++
	}
	return n + float64(65536-p)/65536*1.44
}

var smallConfig = Config{HashBits: 12, HistBits: 16, Match: []int{5, 12}, APM: 3, Limit: 255, LR: 6, LR2: 2}

// The model is a function of what it has seen: two models agree on every
// prediction, for every kind; repetitive data becomes cheap.
func TestModelDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	unit := make([]byte, 700)
	for i := range unit {
		unit[i] = "abcdefgh \n"[r.IntN(10)]
	}
	var data []byte
	for range 6 {
		data = append(data, unit...)
	}
	light := smallConfig
	light.Light, light.Match, light.APM = true, []int{6}, 1
	for _, cfg := range []Config{smallConfig, light} {
		for k := Kind(0); k < numKinds; k++ {
			a, bits := codeCost(cfg, k, data)
			b, _ := codeCost(cfg, k, data)
			if a != b {
				t.Fatalf("light %v, kind %d: predictions differ between two models", cfg.Light, k)
			}
			// The first copy costs about 3.3 bits a byte; the five
			// repeats should cost little.
			if per := bits / float64(len(data)); per > 1.2 {
				t.Errorf("light %v, kind %d: %.3f bits per byte on six copies", cfg.Light, k, per)
			}
		}
	}
}

// Switching kinds between bytes keeps the model consistent and usable.
func TestSetKind(t *testing.T) {
	light := smallConfig
	light.Light = true
	for _, cfg := range []Config{smallConfig, light} {
		m := NewModel(cfg, nil)
		for i, c := range []byte("some text, then code") {
			m.SetKind(Kind(i % int(numKinds+1)))
			for j := 7; j >= 0; j-- {
				if p := m.P(); p == 0 || p >= 65536 {
					t.Fatalf("probability %d", p)
				}
				m.Update(int(c>>uint(j)) & 1)
			}
		}
	}
}

func TestConfigMemory(t *testing.T) {
	small, big := smallConfig, smallConfig
	big.HashBits, big.HistBits = 22, 24
	if small.Memory() >= big.Memory() || big.Memory() < 256<<20 {
		t.Fatalf("memory %d, %d", small.Memory(), big.Memory())
	}
}

// The fast profile's code path (fast.go) computes what the generic path
// computes for the same configuration: the same probability for every
// bit of text, repeats, random bytes and aligned words, in every kind,
// with kinds switching between bytes, and with 0 to 3 SSE stages.
func TestFastPathAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	var data []byte
	data = append(data, []byte(strings.Repeat("the quick brown fox, jumps over the lazy dog.\n", 40))...)
	for range 3000 {
		data = append(data, byte(r.IntN(256)))
	}
	for i := range 2000 { // aligned words with a call-like pattern
		data = append(data, 0x94, byte(i), byte(i>>8), byte(r.IntN(4)))
	}
	data = append(data, data[:5000]...)
	for apm := 0; apm <= 3; apm++ {
		cfg := smallConfig
		cfg.Light, cfg.Fast, cfg.Match, cfg.APM = true, true, []int{6}, apm
		fast, ref := NewModel(cfg, nil), NewModel(cfg, nil)
		if !fast.fast {
			t.Fatal("the fast configuration does not take the fast path")
		}
		ref.fast = false
		ref.predict()
		for i, c := range data {
			if i%1500 == 0 {
				k := Kind(i / 1500 % int(numKinds))
				fast.SetKind(k)
				ref.SetKind(k)
			}
			for j := 7; j >= 0; j-- {
				if a, b := fast.P(), ref.P(); a != b {
					t.Fatalf("%d SSE stages, byte %d, bit %d: fast path %d, generic path %d", apm, i, 7-j, a, b)
				}
				bit := int(c>>uint(j)) & 1
				fast.Update(bit)
				ref.Update(bit)
			}
		}
	}
}
