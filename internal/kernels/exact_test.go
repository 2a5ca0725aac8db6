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

// dotSpec is ExactDot's specification transcribed: lane k mod 32 adds the
// rounded products in increasing k from +0, then the lanes combine
// pairwise. y nil means all ones (ExactSum's order).
func dotSpec(x, y []float32) float32 {
	var s [exactLanes]float32
	for k := range x {
		prod := x[k]
		if y != nil {
			prod = float32(x[k] * y[k])
		}
		s[k%exactLanes] = s[k%exactLanes] + prod
	}
	for h := exactLanes / 2; h >= 1; h /= 2 {
		for i := 0; i < h; i++ {
			s[i] = s[i] + s[i+h]
		}
	}
	return s[0]
}

// TestExactDotOrder checks the specified summation order against a direct
// transcription of the specification, and the accuracy bound of DESIGN.md.
func TestExactDotOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	forEachPath(t, func(t *testing.T, p path) {
		for _, n := range exactSizes {
			x, y := testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n)
			got, want := ExactDot(x, y), dotSpec(x, y)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("n=%d: ExactDot %v, specification %v", n, got, want)
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
		if got, want := ExactSum(x), dotSpec(x, nil); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("n=%d: ExactSum %v, specification %v", n, got, want)
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

// sameBits reports whether a and b are the same float32 bits, any two NaNs
// counting as the same (a NaN's payload is not specified).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// FuzzExactKernels differentially fuzzes the exact kernels on fuzzer-chosen
// float32 bit patterns (NaN, ±Inf, subnormals, huge values): every path
// this CPU can take (AVX2 assembly, generic Go) against the specifications
// transcribed (dotSpec, and the elementwise rules of ExactAxpy,
// ExactMatTVecAdd and ExactOuterSum), bit for bit, and the paths against
// each other for ExactAdam and the exp, sigmoid and tanh slices.
func FuzzExactKernels(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 128, 191, 0, 0, 192, 127, 1, 2, 3, 4}, uint8(3))
	f.Add(make([]byte, 4*200), uint8(5))
	seed := make([]byte, 4*97)
	for i := range seed {
		seed[i] = byte(i*37 + i>>3)
	}
	f.Add(seed, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, shape uint8) {
		v := make([]float32, len(data)/4)
		for i := range v {
			v[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		// rows×cols matrix w, vectors x (cols) and g (rows); rows from shape
		rows := 1 + int(shape)%6
		cols := (len(v) - rows) / (rows + 1)
		if cols <= 0 {
			return
		}
		w, x, g := v[:rows*cols], v[rows*cols:rows*cols+cols], v[rows*cols+cols:rows*cols+cols+rows]
		type result struct{ dot, sum, mv, axpy, mtv, outer, p, m, vv, exp, sig, tanh []float32 }
		run := func() result {
			var r result
			r.dot = []float32{ExactDot(w[:cols], x)}
			r.sum = []float32{ExactSum(w)}
			r.mv = make([]float32, rows)
			ExactMatVec(r.mv, w, x)
			r.axpy = append([]float32(nil), x...)
			ExactAxpy(g[0], w[:cols], r.axpy)
			r.mtv = append([]float32(nil), x...)
			ExactMatTVecAdd(r.mtv, w, g)
			r.outer = make([]float32, rows*cols)
			ExactOuterSum(r.outer, g, x, 1)
			r.p, r.m, r.vv = append([]float32(nil), w...), append([]float32(nil), w...), make([]float32, len(w))
			for i, a := range w {
				r.vv[i] = float32(a * a)
			}
			ExactAdam(r.p, append([]float32(nil), w...), r.m, r.vv, 0.9, 0.1, 0.999, 0.001, 0.003, 1e-8, 2)
			r.exp, r.sig, r.tanh = make([]float32, len(v)), make([]float32, len(v)), make([]float32, len(v))
			ExactExpSlice(r.exp, v)
			ExactSigmoidSlice(r.sig, v)
			ExactTanhSlice(r.tanh, v)
			return r
		}
		// The specifications, transcribed.
		spec := result{dot: []float32{dotSpec(w[:cols], x)}, sum: []float32{dotSpec(w, nil)}, mv: make([]float32, rows)}
		for i := range rows {
			spec.mv[i] = dotSpec(w[i*cols:(i+1)*cols], x)
		}
		spec.axpy, spec.mtv, spec.outer = make([]float32, cols), append([]float32(nil), x...), make([]float32, rows*cols)
		for k := range x {
			spec.axpy[k] = x[k] + float32(g[0]*w[k])
		}
		for i := range rows {
			for k := range cols {
				spec.mtv[k] = spec.mtv[k] + float32(g[i]*w[i*cols+k])
				spec.outer[i*cols+k] = 0 + float32(g[i]*x[k])
			}
		}
		useAVX2, useAVX512 = false, false
		generic := run()
		forEachPath(t, func(t *testing.T, p path) {
			got := run()
			for _, c := range []struct {
				name           string
				got, gen, spec []float32
			}{
				{"ExactDot", got.dot, generic.dot, spec.dot}, {"ExactSum", got.sum, generic.sum, spec.sum},
				{"ExactMatVec", got.mv, generic.mv, spec.mv}, {"ExactAxpy", got.axpy, generic.axpy, spec.axpy},
				{"ExactMatTVecAdd", got.mtv, generic.mtv, spec.mtv}, {"ExactOuterSum", got.outer, generic.outer, spec.outer},
				{"ExactAdam p", got.p, generic.p, nil}, {"ExactAdam m", got.m, generic.m, nil}, {"ExactAdam v", got.vv, generic.vv, nil},
				{"ExactExpSlice", got.exp, generic.exp, nil}, {"ExactSigmoidSlice", got.sig, generic.sig, nil},
				{"ExactTanhSlice", got.tanh, generic.tanh, nil},
			} {
				for i := range c.got {
					if !sameBits(c.got[i], c.gen[i]) {
						t.Fatalf("%s[%d] (rows %d, cols %d): %v, generic %v", c.name, i, rows, cols, c.got[i], c.gen[i])
					}
					if c.spec != nil && !sameBits(c.got[i], c.spec[i]) {
						t.Fatalf("%s[%d] (rows %d, cols %d): %v, specification %v", c.name, i, rows, cols, c.got[i], c.spec[i])
					}
				}
			}
		})
	})
}
