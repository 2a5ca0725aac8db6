package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// The exact kernels must give the same bits on every path (generic Go,
// AVX2 assembly) and every platform. The first property is tested by
// comparing the paths here; the second by the golden hash of
// internal/exact (TestGolden there, over these kernels and the pieces
// built on them), computed on linux/amd64, which the arm64 and ARMv7 runs
// under qemu (scripts/test-lmzip-crossarch.sh) and the noasm build must
// reproduce.

var exactSizes = []int{1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 128, 200, 256, 257, 1024}

func bitsEqual(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestExactPathsAgree(t *testing.T) {
	type result struct{ dot, mv, axpy, outer, mtv, p, m, v, sum []float32 }
	run := func(n int) result {
		rr := rand.New(rand.NewPCG(uint64(n), 7))
		x, y := testutil.SpreadFloats(rr, n), testutil.SpreadFloats(rr, n)
		var res result
		res.dot = []float32{ExactDot(x, y)}
		rows := 5
		w := testutil.SpreadFloats(rr, rows*n)
		res.mv = guarded(rows)
		ExactMatVec(res.mv, w, x)
		res.axpy = append(guarded(n)[:0], y...)
		ExactAxpy(-0.37, x, res.axpy)
		g := testutil.SpreadFloats(rr, rows)
		res.outer = guarded(rows * n)
		ExactOuterSum(res.outer, testutil.SpreadFloats(rr, 3*rows), testutil.SpreadFloats(rr, 3*n), 3)
		res.mtv = append([]float32(nil), y...)
		ExactMatTVecAdd(res.mtv, w, g)
		res.p, res.m = testutil.SpreadFloats(rr, n), testutil.SpreadFloats(rr, n)
		res.v = make([]float32, n)
		for i, a := range testutil.SpreadFloats(rr, n) {
			res.v[i] = a * a
		}
		res.sum = []float32{ExactSum(w)}
		grad := testutil.SpreadFloats(rr, n)
		grad[n/2] = float32(math.NaN())
		ExactAdam(res.p, grad, res.m, res.v, 0.9, 0.1, 0.999, 0.001, 0.003, 1e-8, 0.5)
		for i, a := range grad {
			if a != 0 {
				t.Fatalf("ExactAdam left g[%d] = %v", i, a)
			}
		}
		return res
	}
	for _, n := range exactSizes {
		useAVX2, useAVX512 = false, false
		want := run(n)
		forEachPath(t, func(t *testing.T, p path) {
			got := run(n)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{
				{"ExactDot", got.dot, want.dot}, {"ExactMatVec", got.mv, want.mv},
				{"ExactAxpy", got.axpy, want.axpy}, {"ExactOuterSum", got.outer, want.outer},
				{"ExactMatTVecAdd", got.mtv, want.mtv}, {"ExactAdam p", got.p, want.p},
				{"ExactAdam m", got.m, want.m}, {"ExactAdam v", got.v, want.v},
				{"ExactSum", got.sum, want.sum},
			} {
				if i := bitsEqual(c.got, c.want); i >= 0 {
					t.Errorf("n=%d %s: element %d is %x, generic %x", n, c.name, i,
						math.Float32bits(c.got[i]), math.Float32bits(c.want[i]))
				}
			}
			checkGuard(t, "ExactMatVec", got.mv)
			checkGuard(t, "ExactAxpy", got.axpy)
			checkGuard(t, "ExactOuterSum", got.outer)
		})
	}
}

// TestExactDotOrder checks the specified summation order against a direct
// transcription of the specification, and the accuracy bound of DESIGN.md.
func TestExactDotOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	forEachPath(t, func(t *testing.T, p path) {
		for _, n := range exactSizes {
			x, y := testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n)
			var s [exactLanes]float32
			for k := range x {
				prod := float32(x[k] * y[k])
				s[k%exactLanes] = s[k%exactLanes] + prod
			}
			for h := exactLanes / 2; h >= 1; h /= 2 {
				for i := 0; i < h; i++ {
					s[i] = s[i] + s[i+h]
				}
			}
			got := ExactDot(x, y)
			if math.Float32bits(got) != math.Float32bits(s[0]) {
				t.Errorf("n=%d: ExactDot %v, specification %v", n, got, s[0])
			}
			var exact, mag float64
			for k := range x {
				exact += float64(x[k]) * float64(y[k])
				mag += math.Abs(float64(x[k]) * float64(y[k]))
			}
			if d := math.Abs(float64(got) - exact); d > math.Sqrt(float64(n))*u*mag+1e-30 {
				t.Errorf("n=%d: ExactDot %v, exact %v: error %g over the bound", n, got, exact, d)
			}
		}
	})
}

func TestExactFunctionsAccuracy(t *testing.T) {
	worst := map[string]float64{}
	for x := float32(-30); x <= 30; x += 0.00137 {
		for _, c := range []struct {
			name string
			got  float32
			want float64
		}{
			{"exp", ExactExp(x), math.Exp(float64(x))},
			{"sigmoid", ExactSigmoid(x), 1 / (1 + math.Exp(-float64(x)))},
			{"tanh", ExactTanh(x), math.Tanh(float64(x))},
		} {
			e := math.Abs(float64(c.got)-c.want) / math.Max(math.Abs(c.want), 1e-30) / u
			switch c.name {
			case "sigmoid", "tanh": // absolute error for the bounded functions
				e = math.Abs(float64(c.got)-c.want) / u
			}
			worst[c.name] = math.Max(worst[c.name], e)
		}
	}
	// ln over every binade, subnormals included, densely around 1.
	for i := 0; i < 200000; i++ {
		x := math.Float32frombits(uint32(i) * 10651)
		if i%2 == 1 {
			x = 1 + float32(i-100000)*1e-6
		}
		if x > math.MaxFloat32 || x != x || x <= 0 {
			continue
		}
		want := math.Log(float64(x))
		// relative error, or absolute in units of 2⁻²⁴·(x's relative ulp)
		// near 1, where ln x is small
		e := math.Abs(float64(ExactLog(x))-want) / math.Max(math.Abs(want), 0.5) / u
		worst["log"] = math.Max(worst["log"], e)
	}
	for name, bound := range map[string]float64{"exp": 2, "sigmoid": 2, "tanh": 3, "log": 2} {
		if worst[name] > bound {
			t.Errorf("Exact %s: worst error %.2f units of 2⁻²³, bound %v", name, worst[name], bound)
		}
		t.Logf("Exact %s: worst error %.2f units of 2⁻²³", name, worst[name])
	}
	for _, c := range []struct {
		got, want float32
	}{
		{ExactExp(100), float32(math.Inf(1))}, {ExactExp(-200), 0}, {ExactExp(0), 1},
		{ExactTanh(0), 0}, {ExactTanh(50), 1}, {ExactTanh(-50), -1}, {ExactSigmoid(-200), 0},
		{ExactLog(1), 0}, {ExactLog(0), float32(math.Inf(-1))}, {ExactLog(float32(math.Inf(1))), float32(math.Inf(1))},
		{ExactLog(2), float32(math.Ln2)},
	} {
		if c.got != c.want {
			t.Errorf("special value: got %v, want %v", c.got, c.want)
		}
	}
	if v := ExactExp(float32(math.NaN())); v == v {
		t.Errorf("ExactExp(NaN) = %v", v)
	}
	if v := ExactLog(-1); v == v {
		t.Errorf("ExactLog(-1) = %v", v)
	}
}

// TestExactSum checks ExactSum against a direct transcription of its
// specified order.
func TestExactSum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range exactSizes {
		x := testutil.SpreadFloats(r, n)
		var lanes [exactLanes]float32
		for k, v := range x {
			lanes[k%exactLanes] += v
		}
		for h := exactLanes / 2; h >= 1; h /= 2 {
			for i := 0; i < h; i++ {
				lanes[i] += lanes[i+h]
			}
		}
		if got := ExactSum(x); math.Float32bits(got) != math.Float32bits(lanes[0]) {
			t.Errorf("n=%d: ExactSum %v, specification %v", n, got, lanes[0])
		}
	}
}

func TestExactSlicesAgree(t *testing.T) {
	var in []float32
	for x := float32(-120); x <= 100; x += 0.0131 {
		in = append(in, x)
	}
	in = append(in, 0, float32(math.Copysign(0, -1)), 0.5, -0.5, 88.72283935546875, 88.8, -103.9, -104,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-30, -1e-30, 0.49999997, 17)
	for _, f := range []struct {
		name   string
		slice  func(dst, src []float32)
		scalar func(float32) float32
	}{
		{"exp", ExactExpSlice, ExactExp}, {"sigmoid", ExactSigmoidSlice, ExactSigmoid}, {"tanh", ExactTanhSlice, ExactTanh},
	} {
		forEachPath(t, func(t *testing.T, p path) {
			for _, n := range []int{len(in), len(in) - 3, 9, 8, 7, 1} {
				got := guarded(n)
				f.slice(got, in[:n])
				for i := 0; i < n; i++ {
					want := f.scalar(in[i])
					if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
						t.Fatalf("%s(%v): slice %v (%#x), scalar %v (%#x)", f.name, in[i], got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
					}
				}
				checkGuard(t, f.name, got)
			}
			// in place
			buf := append([]float32(nil), in...)
			f.slice(buf, buf)
			for i := range buf {
				if want := f.scalar(in[i]); math.Float32bits(buf[i]) != math.Float32bits(want) && !(want != want && buf[i] != buf[i]) {
					t.Fatalf("%s in place (%v): %v, want %v", f.name, in[i], buf[i], want)
				}
			}
		})
	}
}
