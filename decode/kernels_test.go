package decode

import (
	"math"
	"slices"
	"testing"
)

func TestExpfAgainstMathExp(t *testing.T) {
	worst := 0.0
	for x := float32(-87.3); x <= 10; x += 0.000731 {
		got := float64(expf(x))
		want := math.Exp(float64(x))
		if r := math.Abs(got-want) / want; r > worst {
			worst = r
		}
	}
	if worst > 1.0/(1<<22) {
		t.Fatalf("expf relative error %.3g > 2^-22", worst)
	}
	for _, x := range []float32{negInf, float32(math.NaN()), -88, -1e30} {
		if e := expf(x); e != 0 {
			t.Errorf("expf(%v) = %v, want 0", x, e)
		}
	}
	if expf(0) != 1 {
		t.Errorf("expf(0) = %v", expf(0))
	}
}

func TestSumExpAgainstReference(t *testing.T) {
	r := NewRand(3)
	for _, n := range []int{0, 1, 3, 4, 5, 17, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = -float32(r.Float64() * 20)
			if r.IntN(7) == 0 {
				x[i] = negInf
			}
		}
		m := maxDense(x)
		if n == 0 {
			m = 0
		}
		var ref float64
		ids := make([]int32, n)
		for i, v := range x {
			ref += math.Exp(float64(v) - float64(m))
			ids[i] = int32(i)
		}
		got := sumExpDense(x, m)
		if math.Abs(got-ref) > 1e-6*max(ref, 1) {
			t.Errorf("n=%d: sumExpDense %v, reference %v", n, got, ref)
		}
		if g2 := sumExpIDs(x, ids, m); math.Abs(g2-ref) > 1e-6*max(ref, 1) {
			t.Errorf("n=%d: sumExpIDs %v, reference %v", n, g2, ref)
		}
	}
}

func TestTopKDenseAgainstSort(t *testing.T) {
	r := NewRand(5)
	for trial := range 200 {
		n := 1 + r.IntN(300)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(20)) - 30 // many ties
			if r.IntN(10) == 0 {
				x[i] = negInf
			}
		}
		k := 1 + r.IntN(n+5)
		got := topKDense(make([]pair, 0, n), x, k)
		want := topKRef(x, k)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d n=%d k=%d: heap %v\nsort %v", trial, n, k, got, want)
		}
	}
}

func TestSelectTopAndCutByMass(t *testing.T) {
	r := NewRand(9)
	for trial := range 100 {
		n := 1 + r.IntN(3000)
		ps := make([]pair, n)
		for i := range ps {
			ps[i] = pair{float32(r.IntN(50)), int32(i)}
			if trial%2 == 1 {
				ps[i].v = float32(r.NormFloat64()) // few ties
			}
		}
		r.Shuffle(n, func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		want := slices.Clone(ps)
		sortPairs(want)
		k := r.IntN(n + 1)
		sel := slices.Clone(ps)
		selectTop(sel, k)
		head := slices.Clone(sel[:k])
		sortPairs(head)
		if !slices.Equal(head, want[:k]) {
			t.Fatalf("trial %d: selectTop(%d) of %d wrong", trial, k, n)
		}
		// cutByMass finds the same boundary as a full sort, and ps[:k] holds
		// the same set.
		ws := make([]float32, n)
		total := 0.0
		for i := range ws {
			ws[i] = float32(r.Float64())
			total += float64(ws[i])
		}
		target := r.Float64() * total * 1.05
		ref := slices.Clone(ps)
		kr := cutByMassRef(ref, ws, target)
		got := slices.Clone(ps)
		kc := cutByMass(got, ws, target)
		if kc != kr {
			t.Fatalf("trial %d: cutByMass %d, reference %d", trial, kc, kr)
		}
		head = slices.Clone(got[:kc])
		sortPairs(head)
		if !slices.Equal(head, ref[:kc]) {
			t.Fatalf("trial %d: cutByMass kept a different set", trial)
		}
	}
}

// Adversarial inputs for quickselect stay fast (the sort fallback bounds
// the work): all equal, sorted, reverse sorted, organ pipe.
func TestSelectTopAdversarial(t *testing.T) {
	n := 50000
	mk := map[string]func(i int) float32{
		"equal":   func(int) float32 { return 1 },
		"sorted":  func(i int) float32 { return float32(i) },
		"reverse": func(i int) float32 { return float32(-i) },
		"organ":   func(i int) float32 { return float32(min(i, n-i)) },
	}
	for name, f := range mk {
		ps := make([]pair, n)
		for i := range ps {
			ps[i] = pair{f(i), int32(i)}
		}
		want := slices.Clone(ps)
		sortPairs(want)
		selectTop(ps, 100)
		head := ps[:100]
		sortPairs(head)
		if !slices.Equal(head, want[:100]) {
			t.Errorf("%s: wrong top 100", name)
		}
	}
}

func TestExpShiftMatchesExpf(t *testing.T) {
	r := NewRand(13)
	x := make([]float32, 1001)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 30)
	}
	x[3], x[7] = negInf, float32(math.NaN())
	m := float32(2.5)
	dst := make([]float32, len(x))
	var lanes [4]float64
	for i, v := range x {
		lanes[i&3] += float64(expf(v - m))
	}
	want := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
	if got := expShift(dst, x, m); got != want {
		t.Fatalf("sum %v, want %v", got, want)
	}
	for i, v := range x {
		if dst[i] != expf(v-m) {
			t.Fatalf("term %d: %v, expf %v", i, dst[i], expf(v-m))
		}
	}
}

func TestRankKeyOrder(t *testing.T) {
	vals := []float32{negInf, -1e30, -3, -1, -0.5, float32(math.Copysign(0, -1)), 0, 0.5, 2, 1e30, float32(math.Inf(1))}
	for _, a := range vals {
		for _, b := range vals {
			for _, ia := range []int32{0, 5} {
				for _, ib := range []int32{0, 5, 7} {
					pa, pb := pair{a, ia}, pair{b, ib}
					if better(pa, pb) != (rankKey(pa) > rankKey(pb)) {
						t.Fatalf("%v vs %v: better %v, keys %x %x", pa, pb, better(pa, pb), rankKey(pa), rankKey(pb))
					}
				}
			}
		}
	}
}

func TestGatherAbove(t *testing.T) {
	r := NewRand(21)
	for trial := range 50 {
		n := 1 + r.IntN(500)
		lp := make([]float32, n)
		for i := range lp {
			lp[i] = -float32(r.Float64() * 10)
			if r.IntN(5) == 0 {
				lp[i] = negInf
			}
		}
		th := []float32{negInf, -5, -20, 1}[trial%4]
		c := NewCandidates(n)
		c.Reset(slices.Clone(lp), false)
		got := slices.Clone(c.gatherAbove(th))
		var want []pair
		for i, v := range lp {
			if v >= th && v > negInf {
				want = append(want, pair{v, int32(i)})
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d th %v: got %d pairs, want %d", trial, th, len(got), len(want))
		}
	}
}

func TestWeighMatchesExpf(t *testing.T) {
	r := NewRand(14)
	n := 1001
	lp := make([]float32, n)
	for i := range lp {
		lp[i] = float32(r.NormFloat64() * 30)
	}
	lp[3] = negInf
	var ps []pair
	for i := range lp {
		if i%3 != 1 {
			ps = append(ps, pair{float32(r.NormFloat64()), int32(i)})
		}
	}
	ps = append(ps, pair{float32(math.Copysign(0, -1)), 1}, pair{0, 4})
	r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	m, scale := float32(2.5), float32(0.75)
	ks := make([]uint64, len(ps))
	for i, q := range ps {
		ks[i] = rankKey(q)
		if u := unRankKey(ks[i]); rankKey(u) != ks[i] || u.id != q.id || u.v != q.v {
			t.Fatalf("unRankKey(rankKey(%v)) = %v", q, u)
		}
	}
	ws := make([]float32, n)
	got := weigh(ws, lp, ks, m, scale)
	want := 0.0
	for _, q := range ps {
		w := expf(lp[q.id]-m) * scale
		want += float64(w)
		if ws[q.id] != w {
			t.Fatalf("weight of %d: %v, want %v", q.id, ws[q.id], w)
		}
	}
	if got != want {
		t.Fatalf("sum %v, want %v", got, want)
	}
}
