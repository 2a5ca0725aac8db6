package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Bounds for the nonlinearities, in units of u = 2⁻²³, derived from the exp
// bound E = expMaxErr:
//   - exp: relative E (asserted by a dense sweep; it is the one measured
//     constant, the others follow from it).
//   - sigmoid 1/(1+e): the error of e enters scaled by e/(1+e) ≤ 1, plus two
//     roundings: relative E + 2.
//   - tanh: below 0.5 a Taylor polynomial (a few roundings, relative 3);
//     above, 1 − q with q = 2/(e+1) ≤ 0.54 and tanh ≥ 0.46, so the absolute
//     error (E+1)q + ½ is at most 1.2(E+1) + ½ relative: 2E + 2 covers both.
//   - gelu x·σ(2z): the argument z = √(2/π)(x + 0.044715x³) carries ~3
//     roundings, which the exponential turns into a relative error 2|z|·3;
//     plus sigmoid's E + 2 and one multiply: E + 3 + 6|z|.
//   - gelu' = σ + 2xσ(1−σ)z' has cancelling terms: the same relative error
//     applied to the sum of the terms' magnitudes, plus the final rounding.
//
// Results under the smallest normal float32 get an absolute allowance of
// 2⁻¹⁴⁹·(E+2) (subnormal spacing); for the activations, whose exp may
// overflow to +Inf inside a 1/(1+e) (flushing a result that would be
// subnormal), 2⁻¹²⁶·max(1, |x|).
const subnormalTol = 1.0 / (1 << 126) / (1 << 23) * (expMaxErr + 2)

const minNormal = 1.0 / (1 << 126)

func actInputs(r *rand.Rand, n int, lo, hi float32) []float32 {
	x := randSlice(r, n, lo, hi)
	special := []float32{0, -0, 1e-30, -1e-30, 0.4999, 0.5, -0.5, 88.7, 88.73, -87.4, -103, -104, 200, -200}
	for i := range min(len(special), n) {
		x[i] = special[i]
	}
	return x
}

// TestExpAccuracy asserts the constant every other bound is built on.
func TestExpAccuracy(t *testing.T) {
	forEachPath(t, func(t *testing.T, p path) {
		const n = 1 << 16
		x := make([]float32, n)
		got := guarded(n)
		var worst float64
		for lo := float32(-104); lo < 89; lo += 1 {
			for i := range x {
				x[i] = lo + float32(i)/n
			}
			Exp(got, x)
			checkGuard(t, "Exp", got)
			for i, v := range x {
				want := math.Exp(float64(v))
				if want > math.MaxFloat32 {
					if !math.IsInf(float64(got[i]), 1) && float64(got[i]) < math.MaxFloat32*(1-u) {
						t.Fatalf("exp(%v) = %v, want +Inf", v, got[i])
					}
					continue
				}
				d := math.Abs(float64(got[i]) - want)
				if d > expMaxErr*u*want+subnormalTol {
					t.Fatalf("exp(%v) = %v, want %v (rel err %.3g u)", v, got[i], want, d/want/u)
				}
				if want > 1e-37 {
					worst = max(worst, d/want/u)
				}
			}
		}
		t.Logf("worst relative error of exp over normal results: %.3f u", worst)
		for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			Exp(got[:1], []float32{v})
			want := float32(math.Exp(float64(v)))
			if got[0] != want && !(got[0] != got[0] && want != want) {
				t.Fatalf("exp(%v) = %v, want %v", v, got[0], want)
			}
		}
	})
}

func TestActivations(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	forEachPath(t, func(t *testing.T, p path) {
		for _, n := range vecLens {
			checkActivations(t, actInputs(r, n, -12, 12), randSlice(r, n, -1, 1), randSlice(r, n, -1, 1))
		}
	})
}

// checkActivations compares the current path's Exp, Sigmoid, Tanh, GELU
// and GELUBackward on x with the references, under the bounds above (the
// references round once to float32, which adds one unit to each bound).
func checkActivations(t *testing.T, x, dout, init []float32) {
	t.Helper()
	n := len(x)
	got, want := guarded(n), make([]float32, n)
	check := func(name string, tol func(i int) float64) {
		t.Helper()
		checkGuard(t, name, got)
		for i := range got {
			d := math.Abs(float64(got[i]) - float64(want[i]))
			if !(d <= tol(i)+minNormal*max(1, abs32(x[i]))) && !(got[i] != got[i] && want[i] != want[i]) && got[i] != want[i] {
				t.Fatalf("%s(%v) = %v, want %v (n=%d)", name, x[i], got[i], want[i], n)
			}
		}
	}
	Exp(got, x)
	expRef(want, x)
	check("Exp", func(i int) float64 { return (expMaxErr + 1) * u * abs32(want[i]) })
	Sigmoid(got, x)
	sigmoidRef(want, x)
	check("Sigmoid", func(i int) float64 { return (expMaxErr + 2) * u * abs32(want[i]) })
	Tanh(got, x)
	tanhRef(want, x)
	check("Tanh", func(i int) float64 { return (2*expMaxErr + 2) * u * abs32(want[i]) })
	GELU(got, x)
	geluRef(want, x)
	check("GELU", func(i int) float64 {
		z := geluS * math.Abs(float64(x[i])+geluC*float64(x[i])*float64(x[i])*float64(x[i]))
		return (expMaxErr + 3 + 6*z) * u * abs32(want[i])
	})
	copy(got, init)
	copy(want, init)
	GELUBackward(got, x, dout)
	geluBackwardRef(want, x, dout)
	check("GELUBackward", func(i int) float64 {
		xv := float64(x[i])
		z := geluS * (xv + geluC*xv*xv*xv)
		s := 1 / (1 + math.Exp(-2*z))
		zp := 2 * geluS * (1 + 3*geluC*xv*xv) // d(2z)/dx
		mag := s + math.Abs(xv*s*(1-s)*zp)
		// Where e^(−2z) overflows (σ(2z) < 2⁻¹²⁸), s = 1/(1+e) is 0 and
		// gelu' = s·(1 + x(1−s)·d(2z)/dx) is flushed to 0: an absolute
		// error below 2⁻¹²⁶·(1 + |x·d(2z)/dx|) (about 230·2⁻¹²⁶ at
		// x = −10, beyond the 2⁻¹²⁶·|x| the check allows every activation).
		flush := minNormal * (1 + math.Abs(xv*zp)) * abs32(dout[i])
		return (expMaxErr+3+6*math.Abs(z))*u*mag*abs32(dout[i]) + u*(abs32(init[i])+abs32(want[i])) + flush
	})
	// The overwriting variant: the values accumulated into zeros (equal,
	// except that a zero may keep its sign), whatever dinp held.
	zero := make([]float32, len(x))
	GELUBackward(zero, x, dout)
	copy(got, init)
	GELUBackwardSet(got, x, dout)
	for i := range got {
		if got[i] != zero[i] && !(got[i] != got[i] && zero[i] != zero[i]) {
			t.Fatalf("GELUBackwardSet(%v) = %v, want %v", x[i], got[i], zero[i])
		}
	}
	// GELU and gelu' in one pass: gelu' bit for bit as GELUBackwardSet
	// with dout = 1, gelu within GELU's bound (x·σ(2z): the same
	// roundings, counted the same way).
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	gradWant := make([]float32, n)
	GELUBackwardSet(gradWant, x, ones)
	grad := guarded(n)
	GELUWithGrad(got, grad, x)
	checkGuard(t, "GELUWithGrad grad", grad)
	for i := range grad {
		if grad[i] != gradWant[i] && !(grad[i] != grad[i] && gradWant[i] != gradWant[i]) {
			t.Fatalf("GELUWithGrad(%v) gelu' = %v, GELUBackwardSet gives %v", x[i], grad[i], gradWant[i])
		}
	}
	geluRef(want, x)
	check("GELUWithGrad", func(i int) float64 {
		z := geluS * math.Abs(float64(x[i])+geluC*float64(x[i])*float64(x[i])*float64(x[i]))
		return (expMaxErr + 3 + 6*z) * u * abs32(want[i])
	})
	// In place: gelu' over the input.
	y := append([]float32(nil), x...)
	GELUWithGrad(got, y, y)
	for i := range y {
		if y[i] != grad[i] && !(y[i] != y[i] && grad[i] != grad[i]) {
			t.Fatalf("GELUWithGrad in place differs at %d", i)
		}
	}
	// In place.
	y = append(y[:0], x...)
	Tanh(y, y)
	Tanh(got, x)
	for i := range y {
		if y[i] != got[i] && !(y[i] != y[i]) {
			t.Fatalf("Tanh in place differs at %d", i)
		}
	}
}

// FuzzActivations differentially fuzzes every path's nonlinearities
// against the references on fuzzer-chosen float32 bit patterns (NaN, ±Inf,
// subnormals and huge values included).
func FuzzActivations(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 128, 191, 0, 0, 192, 127})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		x := make([]float32, n)
		for i := range x {
			x[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		ones := make([]float32, n)
		for i := range ones {
			ones[i] = 0.5
		}
		forEachPath(t, func(t *testing.T, p path) {
			checkActivations(t, x, ones, make([]float32, n))
		})
	})
}

// TestGELUGradient is the central-difference check of GELUBackward against
// GELU (in float64, so it checks the formula, not the rounding).
func TestGELUGradient(t *testing.T) {
	for _, x := range []float64{-5, -2, -0.75, -0.1, 0, 0.3, 1, 4} {
		h := 1e-6
		fd := (geluRef64(x+h) - geluRef64(x-h)) / (2 * h)
		if d := math.Abs(fd - geluGradRef64(x)); d > 1e-7 {
			t.Errorf("gelu'(%v): analytic %v, numeric %v", x, geluGradRef64(x), fd)
		}
		d := []float32{0}
		GELUBackward(d, []float32{float32(x)}, []float32{1})
		if math.Abs(float64(d[0])-fd) > 1e-6 {
			t.Errorf("GELUBackward(%v) = %v, numeric %v", x, d[0], fd)
		}
	}
}
