package exact

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// Each piece against a float64 transcription of its formula. Bounds are in
// units of u = 2⁻²³ times the magnitude of the terms: the exact kernels'
// dot products are within √K·u·Σ|aₖbₖ| (DESIGN.md), ExactExp, ExactSigmoid
// and ExactLog within 2u (relative, absolute for the sigmoid), ExactTanh
// within 3u absolute (internal/kernels' accuracy tests), and every other
// operation adds one rounding, u/2 relative.
const u = 1.0 / (1 << 23)

func sig64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func abs(x float32) float64 { return math.Abs(float64(x)) }

// normals returns n draws of N(0, sd²).
func normals(r *rand.Rand, n int, sd float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * sd)
	}
	return s
}

// logSumExp64 returns ln Σ e^x[k] in float64, the largest term factored out.
func logSumExp64(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	var z float64
	for _, v := range x {
		z += math.Exp(v - mx)
	}
	return mx + math.Log(z)
}

func check(t *testing.T, what string, i int, got float32, want, tol float64) {
	t.Helper()
	if d := math.Abs(float64(got) - want); !(d <= tol) {
		t.Fatalf("%s[%d] = %v, reference %v: error %.3g over the bound %.3g", what, i, got, want, d, tol)
	}
}

func TestLinearReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, C := range []int{1, 5, 32, 33, 100, 700} {
		n, OC := 3, 9
		x, w, b := testutil.SpreadFloats(r, n*C), testutil.SpreadFloats(r, OC*C), testutil.SpreadFloats(r, OC)
		out := make([]float32, n*OC)
		Linear(out, x, w, b, n, C, OC)
		for i := range n {
			one := make([]float32, OC)
			Linear(one, x[i*C:(i+1)*C], w, b, 1, C, OC)
			for j := range OC {
				if math.Float32bits(one[j]) != math.Float32bits(out[i*OC+j]) {
					t.Fatalf("C=%d: row %d alone gives other bits than in a batch", C, i)
				}
				var s, mag float64
				for k := range C {
					p := float64(w[j*C+k]) * float64(x[i*C+k])
					s += p
					mag += math.Abs(p)
				}
				want := s + float64(b[j])
				check(t, "Linear", i*OC+j, out[i*OC+j], want, math.Sqrt(float64(C))*u*mag+u*(mag+abs(b[j])))
			}
		}
	}
}

func TestLSTMCellReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const H = 45
	pre, cPrev := normals(r, 4*H, 2), normals(r, H, 2)
	gates := append([]float32(nil), pre...)
	h, c, tc := make([]float32, H), make([]float32, H), make([]float32, H)
	LSTMCell(h, c, tc, gates, cPrev)
	for j := range H {
		i, f := sig64(float64(pre[j])), sig64(float64(pre[H+j]))
		g, o := math.Tanh(float64(pre[2*H+j])), sig64(float64(pre[3*H+j]))
		check(t, "σi", j, gates[j], i, 2*u)
		check(t, "σf", j, gates[H+j], f, 2*u)
		check(t, "tanh g", j, gates[2*H+j], g, 3*u)
		check(t, "σo", j, gates[3*H+j], o, 2*u)
		cv := f*float64(cPrev[j]) + i*g
		// each factor within 3u, two products and a sum rounded
		tolC := 5 * u * (math.Abs(f*float64(cPrev[j])) + math.Abs(i*g))
		check(t, "c", j, c[j], cv, tolC)
		// tanh's error plus c's, passed through tanh' ≤ 1; then a product
		check(t, "h", j, h[j], o*math.Tanh(cv), 3*u+tolC+3*u)
	}
}

func TestGRUCellReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const H = 45
	xg, hg, hPrev := normals(r, 3*H, 2), normals(r, 3*H, 2), normals(r, H, 1)
	gates, h := make([]float32, 3*H), make([]float32, H)
	GRUCell(h, gates, xg, hg, hPrev)
	for j := range H {
		rv := sig64(float64(xg[j]) + float64(hg[j]))
		z := sig64(float64(xg[H+j]) + float64(hg[H+j]))
		arg := float64(xg[2*H+j]) + rv*float64(hg[2*H+j])
		n := math.Tanh(arg)
		// a rounded sum moves the argument by u/2 relative, σ' ≤ ¼
		check(t, "r", j, gates[j], rv, 2*u+u*math.Abs(float64(xg[j])+float64(hg[j])))
		check(t, "z", j, gates[H+j], z, 2*u+u*math.Abs(float64(xg[H+j])+float64(hg[H+j])))
		tolN := 3*u + 3*u*(math.Abs(float64(xg[2*H+j]))+math.Abs(rv*float64(hg[2*H+j])))
		check(t, "n", j, gates[2*H+j], n, tolN)
		check(t, "h", j, h[j], (1-z)*n+z*float64(hPrev[j]), tolN+4*u*(1+math.Abs(float64(hPrev[j]))))
	}
}

func TestLayerNormReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 7, 32, 33, 257, 1024} {
		x, w, b := testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n)
		out, xhat := make([]float32, n), make([]float32, n)
		rstd := LayerNorm(out, xhat, x, w, b, 1e-5)
		var mean, v float64
		for _, a := range x {
			mean += float64(a)
		}
		mean /= float64(n)
		for _, a := range x {
			v += (float64(a) - mean) * (float64(a) - mean)
		}
		rs := 1 / math.Sqrt(v/float64(n)+1e-5)
		check(t, "rstd", 0, rstd, rs, (math.Sqrt(float64(n))+8)*u*rs)
		for k := range x {
			xh := (float64(x[k]) - mean) * rs
			// x̂'s error: the mean's and rstd's, relative (√n + 8)u of
			// max(|x̂|, 1) for inputs of unit scale
			tol := (math.Sqrt(float64(n)) + 8) * 4 * u * math.Max(math.Abs(xh), 1)
			check(t, "xhat", k, xhat[k], xh, tol)
			check(t, "LayerNorm", k, out[k], xh*float64(w[k])+float64(b[k]), tol*abs(w[k])+u*(abs(b[k])+abs(out[k])))
		}
	}
}

func TestActivationsReference(t *testing.T) {
	var x []float32
	for v := float32(-12); v <= 12; v += 0.00731 {
		x = append(x, v)
	}
	n := len(x)
	y, s := make([]float32, n), make([]float32, n)
	GELU(y, s, x)
	y2 := append([]float32(nil), x...)
	GELU(y2, nil, y2)
	for k, v := range x {
		if math.Float32bits(y[k]) != math.Float32bits(y2[k]) {
			t.Fatalf("GELU(%v): %v keeping the sigmoid, %v in place", v, y[k], y2[k])
		}
		xv := float64(v)
		z := 0.7978845608028654 * (xv + 0.044715*xv*xv*xv)
		// the argument's ~3 roundings become a relative error 2|z|·3u in
		// σ(2z); σ's own 2u relative (e^−2z's, scaled by ≤ 1) plus two
		// roundings; one product. A result that would be subnormal may
		// flush: 2⁻¹²⁶·max(1, |x|) absolute.
		want := xv * sig64(2*z)
		check(t, "GELU", k, y[k], want, (5+6*math.Abs(z))*u*math.Abs(want)+0x1p-126*math.Max(1, math.Abs(xv)))
	}
	a, b := normals(rand.New(rand.NewPCG(9, 10)), 500, 3), normals(rand.New(rand.NewPCG(11, 12)), 500, 3)
	out, th, sg := make([]float32, 500), make([]float32, 500), make([]float32, 500)
	GatedTanh(out, th, sg, a, b)
	for k := range a {
		want := math.Tanh(float64(a[k])) * sig64(float64(b[k]))
		check(t, "GatedTanh", k, out[k], want, 6*u)
	}
}

func TestSoftmaxReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 2, 7, 32, 33, 256, 1000} {
		x := normals(r, n, 4)
		sm := append([]float32(nil), x...)
		Softmax(sm)
		lsm := make([]float32, n)
		LogSoftmax(lsm, x)
		ref := make([]float64, n)
		for k, v := range x {
			ref[k] = float64(v)
		}
		lse := logSumExp64(ref)
		for k, v := range x {
			want := float64(v) - lse
			// x − m rounded (u/2 of |x − m|, which exp turns relative), the
			// exp's 2u, the sum's √n·u, the log's 2u
			tol := (math.Sqrt(float64(n)) + 4) * u * math.Max(1, math.Abs(want))
			check(t, "LogSoftmax", k, lsm[k], want, tol)
			check(t, "Softmax", k, sm[k], math.Exp(want), tol*math.Exp(want)+1e-38)
		}
	}
}

func TestAttentionStepReference(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, hs := range []int{1, 8, 32, 48} {
		for _, n := range []int{1, 2, 17, 64} {
			stride := 3 * hs
			q, k, v := normals(r, hs, 1), normals(r, n*stride, 1), normals(r, n*stride, 1)
			scale := float32(1 / math.Sqrt(float64(hs)))
			y, p := make([]float32, hs), make([]float32, n)
			AttentionStep(y, p, q, k, v, stride, scale)
			s := make([]float64, n)
			for i := range n {
				for j := range hs {
					s[i] += float64(q[j]) * float64(k[i*stride+j])
				}
				s[i] *= float64(scale)
			}
			lse := logSumExp64(s)
			for i := range s {
				s[i] = math.Exp(s[i] - lse)
			}
			// a score's error (√hs·u of Σ|qk|, times scale) becomes a
			// relative error of the weights; the sums add √n·u
			scoreTol := (math.Sqrt(float64(hs)) + 2) * u * float64(hs) * 4 * float64(scale)
			wTol := 2*scoreTol + (math.Sqrt(float64(n))+6)*u
			for i := range n {
				check(t, "p", i, p[i], s[i], wTol*s[i]+1e-38)
			}
			for j := range hs {
				var want, mag float64
				for i := range n {
					want += s[i] * float64(v[i*stride+j])
					mag += s[i] * math.Abs(float64(v[i*stride+j]))
				}
				check(t, "y", j, y[j], want, (wTol+2*u)*mag)
			}
		}
	}
}
