package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg/tensor"
)

func TestGlobalNormDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := make([]float32, 5*normChunk+123)
	for i := range g {
		g[i] = float32(rng.NormFloat64())
	}
	var want float64
	for _, v := range g {
		want += float64(v) * float64(v)
	}
	want = math.Sqrt(want)
	prev := runtime.GOMAXPROCS(1)
	n1 := GlobalNorm(g)
	runtime.GOMAXPROCS(prev)
	n2 := GlobalNorm(g)
	if n1 != n2 {
		t.Fatalf("norm depends on GOMAXPROCS: %v vs %v", n1, n2)
	}
	if math.Abs(n1-want) > 1e-9*want {
		t.Fatalf("norm %v, want %v", n1, want)
	}
	ClipGlobalNorm(g, 1)
	if n := GlobalNorm(g); math.Abs(n-1) > 1e-5 {
		t.Fatalf("clipped norm %v", n)
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Peak: 1, Min: 0.1, Warmup: 10, Total: 110}
	if s.LR(0) != 0.1 || s.LR(9) != 1 || s.LR(10) != 1 {
		t.Fatalf("warmup: %v %v %v", s.LR(0), s.LR(9), s.LR(10))
	}
	if math.Abs(s.LR(60)-0.55) > 1e-12 || s.LR(110) != 0.1 || s.LR(500) != 0.1 {
		t.Fatalf("cosine: %v %v", s.LR(60), s.LR(110))
	}
	for i := 10; i < 110; i++ {
		if s.LR(i+1) > s.LR(i) {
			t.Fatalf("not decreasing at %d", i)
		}
	}
}

// AdamW minimizes a quadratic; decay touches only flagged views.
func TestAdamW(t *testing.T) {
	var b tensor.Builder
	w := b.Add("w", true, 4)
	c := b.Add("c", false, 4)
	a := b.Build()
	o := NewAdamW(a, 0.5)
	for range 2000 {
		for i, p := range a.Params {
			a.Grads[i] = 2 * (p - 3)
		}
		o.Update(a, 0.01)
	}
	// Without decay the minimum is 3; with decoupled decay λ the fixed
	// point of the update is where the normalized gradient balances λp.
	for _, p := range c.Data(a) {
		if math.Abs(float64(p)-3) > 0.02 {
			t.Fatalf("undecayed parameter at %v, want 3", p)
		}
	}
	for _, p := range w.Data(a) {
		if p > 2.9 {
			t.Fatalf("decayed parameter at %v, want pulled below 3", p)
		}
	}
	st, _ := o.MarshalBinary()
	o2 := NewAdamW(a, 0)
	if err := o2.UnmarshalBinary(st); err != nil {
		t.Fatal(err)
	}
	if o2.Step != o.Step || o2.M[1] != o.M[1] || o2.V[3] != o.V[3] || o2.WeightDecay != 0.5 {
		t.Fatal("state round trip")
	}
	if o2.UnmarshalBinary(st[:len(st)-4]) == nil {
		t.Fatal("truncated state accepted")
	}
}

func FuzzAdamWState(f *testing.F) {
	var b tensor.Builder
	b.Add("w", true, 3)
	a := b.Build()
	st, _ := NewAdamW(a, 0.1).MarshalBinary()
	f.Add(st)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = NewAdamW(a, 0).UnmarshalBinary(data)
	})
}

func ExampleSchedule() {
	s := Schedule{Peak: 1e-3, Min: 1e-4, Warmup: 100, Total: 1000}
	for _, step := range []int{0, 99, 550, 999} {
		fmt.Printf("%.2e\n", s.LR(step))
	}
	// Output:
	// 1.00e-05
	// 1.00e-03
	// 5.50e-04
	// 1.00e-04
}
