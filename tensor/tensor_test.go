package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestArena(t *testing.T) {
	var b Builder
	w := b.Add("w", true, 3, 5)
	bias := b.Add("b", false, 5)
	a := b.Build()
	if w.Off != 0 || bias.Off != Align || a.Len() != 2*Align || a.Count() != 20 {
		t.Fatalf("layout: w %+v b %+v len %d count %d", w, bias, a.Len(), a.Count())
	}
	for i, d := range a.Decay {
		want := uint8(0)
		if i < 15 {
			want = 1
		}
		if d != want {
			t.Fatalf("decay[%d] = %d", i, d)
		}
	}
	w.Data(a)[2] = 7
	if a.Params[2] != 7 || len(w.Grad(a)) != 15 {
		t.Fatal("views do not alias the arena")
	}
	if v, ok := a.View("b"); !ok || v.Off != bias.Off {
		t.Fatal("View lookup")
	}
}

// TestPadded: an arena's length is the sum of its views' Padded sizes,
// which is how model files predict it before building.
func TestPadded(t *testing.T) {
	var b Builder
	var want int64
	for i, n := range []int{1, 15, 16, 17, 0, 33, 100} {
		b.Add(fmt.Sprint("v", i), false, n)
		want += Padded(int64(n))
	}
	if a := b.Build(); int64(a.Len()) != want {
		t.Fatalf("arena of %d floats, Padded sums to %d", a.Len(), want)
	}
	if Padded(0) != 0 || Padded(1) != Align || Padded(Align) != Align || Padded(Align+1) != 2*Align {
		t.Fatal("Padded does not round up to Align")
	}
}

func TestNormal(t *testing.T) {
	x := make([]float32, 100001)
	Normal(x, 2, rand.New(rand.NewPCG(1, 2)))
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	m := s / float64(len(x))
	sd := math.Sqrt(s2/float64(len(x)) - m*m)
	if math.Abs(m) > 0.03 || math.Abs(sd-2) > 0.03 {
		t.Fatalf("mean %g sd %g", m, sd)
	}
}

func Example() {
	var b Builder
	w := b.Add("fc.weight", true, 4, 3) // matrices decay
	bias := b.Add("fc.bias", false, 4)  // biases do not
	a := b.Build()
	copy(bias.Data(a), []float32{1, 2, 3, 4})
	fmt.Println(a.Count(), len(w.Data(a)), bias.Off, bias.Data(a))
	// Output: 16 12 16 [1 2 3 4]
}
