package exact

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
)

// sigmoid64 is the float64 reference σ(t).
func sigmoid64(t float64) float64 {
	if t >= 0 {
		return 1 / (1 + math.Exp(-t))
	}
	e := math.Exp(t)
	return e / (1 + e)
}

func TestLogisticTable(t *testing.T) {
	g := logisticTable
	if g[0] != 1<<31 || g[len(g)-1] != 0 {
		t.Fatalf("G(0) = %d, G(24) = %d; want 2^31 and 0", g[0], g[len(g)-1])
	}
	for k := range len(g) - 1 {
		want := math.Round(LogisticOne * sigmoid64(-float64(k)/logisticPerUnit))
		if math.Abs(float64(g[k])-want) > 1 {
			t.Fatalf("G[%d] = %d, reference %.0f", k, g[k], want)
		}
		if g[k+1] > g[k] {
			t.Fatalf("G increases at %d", k)
		}
	}
}

func TestLogisticFixed(t *testing.T) {
	var worst float64
	prev := uint64(0)
	for u := int64(-logisticTop - 5); u <= logisticTop+5; u += 7 {
		f := LogisticFixed(u)
		if f < prev {
			t.Fatalf("LogisticFixed decreases at %d", u)
		}
		prev = f
		ref := sigmoid64(float64(u) / (1 << logisticFrac))
		worst = max(worst, math.Abs(float64(f)/LogisticOne-ref))
	}
	if worst > 2.5e-7 {
		t.Errorf("LogisticFixed is %.3g from σ at worst, want ≤ 2.5e-7", worst)
	}
	if LogisticFixed(0) != 1<<31 || LogisticFixed(logisticTop) != LogisticOne || LogisticFixed(-logisticTop) != 0 {
		t.Error("LogisticFixed at 0 and ±24 is not ½, 1, 0")
	}
}

func TestLogisticArg(t *testing.T) {
	for _, c := range []struct {
		x, mu, invS float64
		want        int64
	}{
		{1, 0, 1, 1 << 16}, {-0.5, 0, 2, -1 << 16}, {1e9, 0, 1, logisticTop}, {-1e9, 0, 1, -logisticTop},
		{math.NaN(), 0, 1, -logisticTop}, {0, math.Inf(1), 1, -logisticTop}, {3, 1, 0.25, 1 << 15},
	} {
		if got := LogisticArg(c.x, c.mu, c.invS); got != c.want {
			t.Errorf("LogisticArg(%g, %g, %g) = %d, want %d", c.x, c.mu, c.invS, got, c.want)
		}
	}
}

// dlogRef is the float64 reference: the mixture's bin masses of dist's
// DiscretizedLogistic, in the raw parametrization DLogisticMix.Set reads.
func dlogRef(raw []float32, lo, step float64, n, j int) float64 {
	k := len(raw) / 3
	var z float64
	for i := range k {
		z += math.Exp(float64(raw[i]))
	}
	var p float64
	for i := range k {
		w := math.Exp(float64(raw[i])) / z
		mu := float64(raw[k+i])
		s := math.Exp(math.Max(MinLogScale, math.Min(MaxLogScale, float64(raw[2*k+i]))))
		up, down := 1.0, 0.0
		if j < n-1 {
			up = sigmoid64((lo + (float64(j)+0.5)*step - mu) / s)
		}
		if j > 0 {
			down = sigmoid64((lo + (float64(j)-0.5)*step - mu) / s)
		}
		p += w * (up - down)
	}
	return p
}

// TestDLogisticMix checks the table against the float64 mixture: strictly
// increasing, the right total, each bin's frequency within the fixed
// point's error of its mass, the code length within 10⁻⁴ bits of −log₂ p
// for the bins that hold nearly all the mass, and Find inverting Cum.
func TestDLogisticMix(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		k := 1 + trial%5
		n := []int{1, 2, 3, 256, 65536}[trial%5]
		lo, step := -3.0+r.Float64(), 0.01+r.Float64()*0.1
		d := NewDLogisticMix(k, lo, step, n)
		raw := make([]float32, 3*k)
		for i := range k {
			raw[i] = float32(r.NormFloat64())
			raw[k+i] = float32(lo + r.Float64()*float64(n)*step)
			raw[2*k+i] = float32(math.Log(step) + 3*r.Float64() - 1)
		}
		d.Set(raw)
		var sumW uint64
		for _, w := range d.W {
			sumW += w
		}
		if sumW != 1<<16 {
			t.Fatalf("weights sum to %d", sumW)
		}
		tot := float64(d.Total())
		var excess, mass float64
		prev := d.Cum(0)
		for j := range n {
			next := d.Cum(j + 1)
			if next <= prev {
				t.Fatalf("trial %d: Cum(%d) = %d ≤ Cum(%d) = %d", trial, j+1, next, j, prev)
			}
			p := dlogRef(raw, lo, step, n, j)
			q := float64(next-prev) / tot
			if math.Abs(q-p) > 1e-6+p*0.01 {
				t.Fatalf("trial %d bin %d: frequency %.6g, mass %.6g", trial, j, q, p)
			}
			if p > 1e-4 {
				excess += p * (math.Log2(p) - math.Log2(q))
				mass += p
			}
			if j < 50 || j%97 == 0 {
				target := prev + uint32(r.Uint64N(uint64(next-prev)))
				if got := d.Find(target); got != j {
					t.Fatalf("trial %d: Find(%d) = %d, want %d", trial, target, got, j)
				}
			}
			prev = next
		}
		if prev != d.Total() {
			t.Fatalf("Cum(N) = %d, Total %d", prev, d.Total())
		}
		if excess > 1e-4*max(mass, 1e-9) {
			t.Errorf("trial %d: the table costs %.3g bits per value beyond the mixture's entropy", trial, excess)
		}
	}
}

// TestDLogisticMixNaN checks that bad raw outputs still make a valid table.
func TestDLogisticMixNaN(t *testing.T) {
	nan := float32(math.NaN())
	d := NewDLogisticMix(2, 0, 1, 100)
	for _, raw := range [][]float32{{nan, nan, nan, nan, nan, nan}, {1, 2, nan, 3, 100, -100}} {
		d.Set(raw)
		prev := uint32(0)
		for j := 1; j <= 100; j++ {
			c := d.Cum(j)
			if c <= prev {
				t.Fatalf("raw %v: Cum(%d) = %d ≤ %d", raw, j, c, prev)
			}
			prev = c
		}
	}
}

// goldenLogistic hashes the table and a mixture's frequencies: the bits the
// coder of 16-bit samples depends on.
func goldenLogistic() string {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, logisticTable)
	r := rand.New(rand.NewPCG(2028, 1))
	d := NewDLogisticMix(3, -32768, 1, 65536)
	raw := make([]float32, 9)
	for range 20 {
		for i := range 3 {
			raw[i] = float32(r.NormFloat64())
			raw[3+i] = float32(r.NormFloat64() * 3000)
			raw[6+i] = float32(r.Float64()*8 - 2)
		}
		d.Set(raw)
		for j := 0; j <= 65536; j += 1 + int(r.Uint64N(300)) {
			binary.Write(h, binary.LittleEndian, d.Cum(j))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

const goldenLogisticHash = "c092a671bed51c59b583ca3af03d0de63681162ee722b634e9d7f3426ebbf010"

func TestGoldenLogistic(t *testing.T) {
	if got := goldenLogistic(); got != goldenLogisticHash {
		t.Errorf("the logistic CDF hashes to %s, want %s (platform or code changed the bits)", got, goldenLogisticHash)
	}
}
