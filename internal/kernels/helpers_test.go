package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// u is one unit in the last place of 1.0 in float32, 2⁻²³ (twice the unit
// roundoff): the currency of every error bound in these tests.
const u = 1.0 / (1 << 23)

// path is one instruction-set path the dispatchers can take.
type path struct {
	name           string
	avx2, avx512   bool
	gemm           *gemmImpl
	availableOnCPU bool
}

func allPaths() []path {
	return []path{
		{"generic", false, false, gemmGeneric, true},
		{"avx2", true, false, gemmAVX2, cpuAVX2},
		{"avx512", true, true, gemmAVX512, cpuAVX512},
	}
}

// forEachPath runs f once per path this CPU can take, with the dispatch
// flags set to reach it. It changes package state: callers must not be
// parallel tests.
func forEachPath(t *testing.T, f func(t *testing.T, p path)) {
	t.Helper()
	defer func() { useAVX2, useAVX512 = cpuAVX2, cpuAVX512 }()
	for _, p := range allPaths() {
		if !p.availableOnCPU {
			t.Logf("path %s: not supported by this CPU/build, skipped", p.name)
			continue
		}
		useAVX2, useAVX512 = p.avx2, p.avx512
		t.Run(p.name, func(t *testing.T) { f(t, p) })
	}
}

func randSlice(r *rand.Rand, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

// guarded returns a slice of length n whose backing array continues with
// guard cells holding a sentinel; checkGuard verifies them.
const guardLen = 16

var sentinel = float32(math.Float32frombits(0x7fc0dead)) // a NaN with a payload

func guarded(n int) []float32 {
	s := make([]float32, n+guardLen)
	for i := n; i < len(s); i++ {
		s[i] = sentinel
	}
	return s[:n]
}

func checkGuard(t *testing.T, name string, s []float32) {
	t.Helper()
	g := s[len(s) : len(s)+guardLen]
	for i, v := range g {
		if math.Float32bits(v) != math.Float32bits(sentinel) {
			t.Fatalf("%s: guard cell %d past the end was overwritten with %v", name, i, v)
		}
	}
}

func abs32(x float32) float64 { return math.Abs(float64(x)) }
