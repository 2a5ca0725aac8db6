package arith

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// zipfCDF builds a skewed table over n symbols with the given total scale.
func zipfCDF(n int, s float64) []uint32 {
	w := make([]uint64, n)
	for i := range w {
		w[i] = uint64(1e12 / math.Pow(float64(i+1), s))
	}
	cdf := make([]uint32, n+1)
	BuildCDF(cdf, w)
	return cdf
}

// sample draws a symbol from cdf.
func sample(r *rand.Rand, cdf []uint32) int {
	t := uint32(r.Uint64N(uint64(cdf[len(cdf)-1])))
	for s := 0; ; s++ {
		if cdf[s+1] > t {
			return s
		}
	}
}

func TestRoundTripSymbols(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tables := [][]uint32{
		{0, 1},
		{0, 1, 2},
		{0, 1, MaxTotal},            // a nearly impossible symbol and a near-certain one
		{0, MaxTotal - 1, MaxTotal}, // the reverse
		zipfCDF(256, 1.2),
		zipfCDF(50000, 1.0),
		{0, 3, 4, 1000, 1001},
	}
	for ti, cdf := range tables {
		var syms []int
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		for i := 0; i < 20000; i++ {
			s := sample(r, cdf)
			if i%97 == 0 { // force rare symbols too
				s = r.IntN(len(cdf) - 1)
			}
			syms = append(syms, s)
			enc.EncodeSymbol(cdf, s)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		dec := NewDecoder(bytes.NewReader(buf.Bytes()))
		for i, want := range syms {
			if got := dec.DecodeSymbol(cdf); got != want {
				t.Fatalf("table %d symbol %d: got %d want %d", ti, i, got, want)
			}
		}
		if dec.Err() != nil || dec.Overrun() > MaxOverrun {
			t.Fatalf("table %d: err %v overrun %d", ti, dec.Err(), dec.Overrun())
		}
	}
}

func TestRoundTripBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var bitsIn []int
	var ps []uint32
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for i := 0; i < 200000; i++ {
		var p uint32
		switch i % 4 {
		case 0:
			p = 1
		case 1:
			p = 1<<ProbBits - 1
		default:
			p = uint32(r.IntN(1 << ProbBits))
		}
		b := 0
		if r.Uint32N(1<<ProbBits) < p {
			b = 1
		}
		if i%1000 == 0 {
			b ^= 1 // the unlikely outcome, too
		}
		bitsIn, ps = append(bitsIn, b), append(ps, p)
		enc.EncodeBit(b, p)
		if i%5 == 0 { // interleave multi-symbol coding
			enc.Encode(uint32(i%7), 1, 7)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(bytes.NewReader(buf.Bytes()))
	for i := range bitsIn {
		if got := dec.DecodeBit(ps[i]); got != bitsIn[i] {
			t.Fatalf("bit %d: got %d want %d", i, got, bitsIn[i])
		}
		if i%5 == 0 {
			if tg := dec.Target(7); tg != uint32(i%7) {
				t.Fatalf("symbol after bit %d: got %d", i, tg)
			}
			dec.Consume(uint32(i%7), 1, 7)
		}
	}
}

// TestOverrunBound checks MaxOverrun over many short streams, including
// ones that end in zero bytes (which Close drops).
func TestOverrunBound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	worst := int64(0)
	for trial := 0; trial < 20000; trial++ {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		n := r.IntN(40)
		var bs []int
		var ps []uint32
		for i := 0; i < n; i++ {
			p := uint32(1 + r.IntN(1<<ProbBits-1))
			if trial%3 == 0 {
				p = 1<<ProbBits - 1 // long runs of the likely bit: low stays near 0
			}
			b := 0
			if r.Uint32N(1<<ProbBits) < p {
				b = 1
			}
			bs, ps = append(bs, b), append(ps, p)
			enc.EncodeBit(b, p)
		}
		enc.Close()
		dec := NewDecoder(bytes.NewReader(buf.Bytes()))
		for i := range bs {
			if dec.DecodeBit(ps[i]) != bs[i] {
				t.Fatalf("trial %d: bit %d differs", trial, i)
			}
		}
		worst = max(worst, dec.Overrun())
	}
	t.Logf("worst overrun %d bytes", worst)
	if worst > MaxOverrun {
		t.Fatalf("overrun %d > MaxOverrun", worst)
	}
}

func TestEmptyAndTiny(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	if err := enc.Close(); err != nil || buf.Len() != 0 {
		t.Fatalf("empty stream: %d bytes, err %v", buf.Len(), err)
	}
	for s := 0; s < 4; s++ {
		buf.Reset()
		enc := NewEncoder(&buf)
		enc.Encode(uint32(s), 1, 4)
		enc.Close()
		if buf.Len() > 2 {
			t.Errorf("one symbol: %d bytes", buf.Len())
		}
		dec := NewDecoder(bytes.NewReader(buf.Bytes()))
		if got := dec.Target(4); got != uint32(s) {
			t.Errorf("one symbol %d decoded as %d", s, got)
		}
	}
}

// TestOverhead measures the coder's output against the ideal code length
// Σ −log2(freq/total) of the symbols it was given and fails above 0.1%;
// the 64-bit state keeps it orders of magnitude lower.
func TestOverhead(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name string
		cdf  []uint32
	}{
		{"zipf256", zipfCDF(256, 1.1)},
		{"zipf65k", zipfCDF(65536, 1.0)},
		{"skewed", zipfCDF(4, 8)}, // ≈ 0.004 bits/symbol: the hard case for overhead
	} {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		ideal := 0.0
		total := float64(tc.cdf[len(tc.cdf)-1])
		for i := 0; i < 300000; i++ {
			s := sample(r, tc.cdf)
			ideal -= math.Log2(float64(tc.cdf[s+1]-tc.cdf[s]) / total)
			enc.EncodeSymbol(tc.cdf, s)
		}
		enc.Close()
		got := float64(buf.Len() * 8)
		over := (got - ideal) / ideal
		t.Logf("%s: ideal %.0f bits, coded %.0f bits, overhead %.5f%%", tc.name, ideal, got, 100*over)
		if over > 0.001 {
			t.Errorf("%s: overhead %.4f%% > 0.1%%", tc.name, 100*over)
		}
	}
	// The bit coder, with probabilities spread over the whole range.
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	ideal := 0.0
	for i := 0; i < 1000000; i++ {
		p := uint32(1 + r.IntN(1<<ProbBits-1))
		b := 0
		if r.Uint32N(1<<ProbBits) < p {
			b = 1
		}
		q := float64(p) / (1 << ProbBits)
		if b == 0 {
			q = 1 - q
		}
		ideal -= math.Log2(q)
		enc.EncodeBit(b, p)
	}
	enc.Close()
	over := (float64(buf.Len()*8) - ideal) / ideal
	t.Logf("bits: ideal %.0f bits, coded %d bits, overhead %.5f%%", ideal, buf.Len()*8, 100*over)
	if over > 0.001 {
		t.Errorf("bit coder overhead %.4f%% > 0.1%%", 100*over)
	}
}

func TestBuildCDF(t *testing.T) {
	for _, w := range [][]uint64{
		{0},
		{0, 0, 0},
		{1, 2, 3},
		{^uint64(0), ^uint64(0), 5},
		{1 << 40, 0, 1},
	} {
		cdf := make([]uint32, len(w)+1)
		total := BuildCDF(cdf, w)
		if cdf[0] != 0 || total != cdf[len(w)] || total > MaxTotal {
			t.Fatalf("%v: bad cdf %v", w, cdf)
		}
		for i := range w {
			if cdf[i+1] <= cdf[i] {
				t.Fatalf("%v: symbol %d impossible: %v", w, i, cdf)
			}
		}
	}
	// A large vocabulary with the floor still adds up below MaxTotal.
	w := make([]uint64, 1<<20)
	for i := range w {
		w[i] = ^uint64(0) >> 1
	}
	cdf := make([]uint32, len(w)+1)
	if total := BuildCDF(cdf, w); total > MaxTotal {
		t.Fatalf("total %d", total)
	}
}

func TestEncodeMisuse(t *testing.T) {
	enc := NewEncoder(&bytes.Buffer{})
	enc.Encode(3, 2, 4)
	if enc.Err() != ErrTotal {
		t.Fatalf("want ErrTotal, got %v", enc.Err())
	}
	dec := NewDecoder(bytes.NewReader(nil))
	dec.Target(0)
	if dec.Err() != ErrTotal {
		t.Fatalf("want ErrTotal, got %v", dec.Err())
	}
}
