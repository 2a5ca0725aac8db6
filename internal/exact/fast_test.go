package exact

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
)

// The fast kernels of training and inference (nn and internal/kernels:
// FMA, other summation orders, parallel rows) compute the same pieces as
// this package. Each is tied to the piece here: both are within their
// error bounds of the exact values (internal/kernels' tests for the fast
// ones, reference_test.go for these), so they differ by at most the sum of
// the two bounds, stated per piece below. Backward passes are given the
// same saved activations, so only their own roundings count. These tests
// run on the path this build dispatches to (the noasm build and CI's
// -tags noasm run cover the portable one).

// fastActTol bounds a fast activation's error: (2E + 2)u with E = 2, the
// exp bound of internal/kernels (its gates_test.go); the exact ones are
// within 3u.
const fastActTol = 6*u + 3*u

func TestFastLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, C := range []int{1, 17, 64, 200} {
		n, OC := 5, 33
		x, w, b := normals(r, n*C, 1), normals(r, OC*C, 1), normals(r, OC, 1)
		fast, ex := make([]float32, n*OC), make([]float32, n*OC)
		nn.LinearForward(fast, x, w, b, n, C, OC)
		Linear(ex, x, w, b, n, C, OC)
		for i := range n {
			for j := range OC {
				var mag float64
				for k := range C {
					mag += math.Abs(float64(x[i*C+k]) * float64(w[j*C+k]))
				}
				// √C·u·Σ|wx| each (DESIGN.md's bound), and the bias
				check(t, "Linear", i*OC+j, fast[i*OC+j], float64(ex[i*OC+j]), 2*(math.Sqrt(float64(C))*u*mag+u*(mag+abs(b[j]))))
			}
		}
	}
}

func TestFastLSTMCell(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	const H = 70
	pre, cPrev := normals(r, 4*H, 2), normals(r, H, 2)
	gf, ge := append([]float32(nil), pre...), append([]float32(nil), pre...)
	hf, cf, tf := make([]float32, H), make([]float32, H), make([]float32, H)
	he, ce, te := make([]float32, H), make([]float32, H), make([]float32, H)
	kernels.LSTMCell(hf, cf, tf, gf, cPrev, 1, H)
	LSTMCell(he, ce, te, ge, cPrev)
	for k := range ge {
		check(t, "LSTM gates", k, gf[k], float64(ge[k]), fastActTol)
	}
	for j := range H {
		tolC := (fastActTol + 4*u) * (abs(ge[H+j]*cPrev[j]) + abs(ge[j]*ge[2*H+j]))
		check(t, "LSTM c", j, cf[j], float64(ce[j]), tolC)
		check(t, "LSTM h", j, hf[j], float64(he[j]), 2*fastActTol+tolC)
	}
	// Backward from the exact forward's activations.
	dh, dc := normals(r, H, 1), normals(r, H, 1)
	dgf, dcf := make([]float32, 4*H), make([]float32, H)
	dge, dce := make([]float32, 4*H), make([]float32, H)
	kernels.LSTMCellBackwardSet(dgf, dcf, dh, dc, ge, cPrev, te, 1, H)
	LSTMCellBackward(dge, dce, dh, dc, ge, cPrev, te)
	// about six roundings per output, on products of factors of magnitude
	// up to |cPrev|, |dh|, |dc| (all within 4 here): 8u·(|fast|+|exact|+4)
	for k := range dge {
		check(t, "LSTM dgates", k, dgf[k], float64(dge[k]), 8*u*(abs(dgf[k])+abs(dge[k])+4))
	}
	for j := range dce {
		check(t, "LSTM dcPrev", j, dcf[j], float64(dce[j]), 8*u*(abs(dcf[j])+abs(dce[j])+4))
	}
}

func TestFastGRUCell(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	const H = 70
	xg, hg, hPrev := normals(r, 3*H, 2), normals(r, 3*H, 2), normals(r, H, 1)
	gf, ge := make([]float32, 3*H), make([]float32, 3*H)
	hf, he := make([]float32, H), make([]float32, H)
	kernels.GRUCell(hf, gf, xg, hg, hPrev, 1, H)
	GRUCell(he, ge, xg, hg, hPrev)
	for j := range H {
		// the activations, after sums that each round once (u/2 of the
		// terms, times the derivative ≤ 1)
		tolR := fastActTol + u*(abs(xg[j])+abs(hg[j]))
		tolZ := fastActTol + u*(abs(xg[H+j])+abs(hg[H+j]))
		tolN := fastActTol + 3*u*(abs(xg[2*H+j])+abs(hg[2*H+j])) + tolR*abs(hg[2*H+j])
		check(t, "GRU r", j, gf[j], float64(ge[j]), tolR)
		check(t, "GRU z", j, gf[H+j], float64(ge[H+j]), tolZ)
		check(t, "GRU n", j, gf[2*H+j], float64(ge[2*H+j]), tolN)
		check(t, "GRU h", j, hf[j], float64(he[j]), tolN+tolZ*(abs(hPrev[j])+1)+4*u*(abs(hPrev[j])+1))
	}
	dh := normals(r, H, 1)
	dxf, dhf, dpf := make([]float32, 3*H), make([]float32, 3*H), make([]float32, H)
	dxe, dhe, dpe := make([]float32, 3*H), make([]float32, 3*H), make([]float32, H)
	kernels.GRUCellBackward(dxf, dhf, dpf, dh, ge, hg, hPrev, 1, H)
	GRUCellBackward(dxe, dhe, dpe, dh, ge, hg, hPrev)
	for k := range dxe {
		check(t, "GRU dxg", k, dxf[k], float64(dxe[k]), 8*u*(abs(dxf[k])+abs(dxe[k])+4))
		check(t, "GRU dhg", k, dhf[k], float64(dhe[k]), 8*u*(abs(dhf[k])+abs(dhe[k])+4))
	}
	for j := range dpe {
		check(t, "GRU dhPrev", j, dpf[j], float64(dpe[j]), 2*u*abs(dpe[j]))
	}
}

func TestFastLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	for _, n := range []int{1, 7, 64, 257, 768} {
		x, w, b := normals(r, n, 1), normals(r, n, 1), normals(r, n, 1)
		of, mean, rstd := make([]float32, n), make([]float32, 1), make([]float32, 1)
		oe, xhat := make([]float32, n), make([]float32, n)
		kernels.LayerNorm(of, mean, rstd, x, w, b, 1, n, nn.LayerNormEps)
		rs := LayerNorm(oe, xhat, x, w, b, nn.LayerNormEps)
		// each within (√n + 8)·4u of max(|x̂|, 1) in x̂ (reference_test.go)
		xtol := 2 * (math.Sqrt(float64(n)) + 8) * 4 * u
		check(t, "LayerNorm rstd", 0, rstd[0], float64(rs), xtol*float64(rs))
		for k := range x {
			check(t, "LayerNorm", k, of[k], float64(oe[k]), xtol*math.Max(abs(xhat[k]), 1)*abs(w[k])+2*u*(abs(b[k])+abs(oe[k])))
		}
		dy := normals(r, n, 1)
		dxf, dwf, dbf := make([]float32, n), make([]float32, n), make([]float32, n)
		dxe, dwe, dbe := make([]float32, n), make([]float32, n), make([]float32, n)
		kernels.LayerNormBackward(dxf, dwf, dbf, dy, x, w, mean, rstd, 1, n)
		LayerNormBackward(dxe, dwe, dbe, dy, xhat, w, rs, make([]float32, n))
		// the sums' √n·u of Σ|terms|, and x̂'s error from the forward
		var m1, m2 float64
		for k := range dy {
			m1 += abs(dy[k] * w[k])
			m2 += abs(dy[k] * w[k] * xhat[k])
		}
		m1, m2 = m1/float64(n), m2/float64(n)
		for k := range dy {
			mag := float64(rs) * (abs(dy[k]*w[k]) + m1 + math.Max(abs(xhat[k]), 1)*m2)
			check(t, "LayerNorm dx", k, dxf[k], float64(dxe[k]), (2*math.Sqrt(float64(n))+8)*u*mag+xtol*mag)
			check(t, "LayerNorm dw", k, dwf[k], float64(dwe[k]), (xtol+2*u)*math.Max(abs(xhat[k]), 1)*abs(dy[k]))
			check(t, "LayerNorm db", k, dbf[k], float64(dbe[k]), 0)
		}
	}
}

func TestFastGELU(t *testing.T) {
	var x []float32
	for v := float32(-10); v <= 10; v += 0.0093 {
		x = append(x, v)
	}
	n := len(x)
	yf, ye, sig := make([]float32, n), make([]float32, n), make([]float32, n)
	kernels.GELU(yf, x)
	GELU(ye, sig, x)
	dy := normals(rand.New(rand.NewPCG(49, 50)), n, 1)
	df, de := make([]float32, n), make([]float32, n)
	kernels.GELUBackwardSet(df, x, dy)
	GELUBackward(de, dy, x, sig)
	for k, v := range x {
		xv := float64(v)
		z := 0.7978845608028654 * (xv + 0.044715*xv*xv*xv)
		// each within (5 + 6|z|)u relative, and a flushed subnormal
		tol := 2*(5+6*math.Abs(z))*u*abs(ye[k]) + 0x1p-126*math.Max(1, math.Abs(xv))
		check(t, "GELU", k, yf[k], float64(ye[k]), tol)
		// g′ = s + x·s(1−s)·2z′: the same relative error on the sum of the
		// terms' magnitudes, and the products
		s := float64(sig[k])
		terms := s + math.Abs(xv*s*(1-s)*2*0.7978845608028654*(1+3*0.044715*xv*xv))
		check(t, "GELU backward", k, df[k], float64(de[k]), 2*(8+6*math.Abs(z))*u*terms*abs(dy[k])+0x1p-126)
	}
}

func TestFastSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, n := range []int{1, 3, 32, 100, 1000} {
		x := normals(r, n, 4)
		sf, lf := make([]float32, n), make([]float32, n)
		kernels.Softmax(sf, x, 1, n)
		kernels.LogSoftmax(lf, x, 1, n)
		se, le := append([]float32(nil), x...), make([]float32, n)
		Softmax(se)
		LogSoftmax(le, x)
		for k := range x {
			// each within (√n + 4)u of max(1, |log p|) (reference_test.go)
			tol := 2 * (math.Sqrt(float64(n)) + 4) * u * math.Max(1, abs(le[k]))
			check(t, "LogSoftmax", k, lf[k], float64(le[k]), tol)
			check(t, "Softmax", k, sf[k], float64(se[k]), tol*abs(se[k])+1e-38)
		}
	}
}

// TestFastAttention compares the fused causal attention of training
// (every position of a sequence at once) with AttentionStep at each
// position over the cache of the positions before it, forward and
// backward. Bounds are normwise: within 32·(√(T·hs) + 8)·u of the largest
// magnitude of the compared tensor (each side's sums are within
// √K·u·Σ|terms|, and the weights' errors enter every output).
func TestFastAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	const T, C, NH = 23, 32, 2
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	qkv, dout := normals(r, T*3*C, 1), normals(r, T*C, 1)
	outF, att, dF := make([]float32, T*C), make([]float32, NH*T*T), make([]float32, T*3*C)
	kernels.AttentionForward(outF, att, qkv, 1, T, C, NH)
	kernels.AttentionBackward(dF, dout, qkv, att, 1, T, C, NH, 0)
	outE, pE, dE := make([]float32, T*C), make([]float32, NH*T*T), make([]float32, T*3*C)
	dp := make([]float32, T)
	for i := range T {
		for h := range NH {
			q := qkv[i*3*C+h*hs : i*3*C+(h+1)*hs]
			k, v := qkv[C+h*hs:], qkv[2*C+h*hs:]
			p := pE[(h*T+i)*T : (h*T+i)*T+i+1]
			AttentionStep(outE[i*C+h*hs:i*C+(h+1)*hs], p, q, k, v, 3*C, scale)
			AttentionStepBackward(dE[i*3*C+h*hs:i*3*C+(h+1)*hs], dE[C+h*hs:], dE[2*C+h*hs:], dp[:i+1],
				dout[i*C+h*hs:i*C+(h+1)*hs], p, q, k, v, 3*C, scale)
		}
	}
	bound := 32 * (math.Sqrt(T*float64(hs)) + 8) * u
	for _, c := range []struct {
		name       string
		fast, want []float32
	}{{"attention weights", att, pE}, {"attention output", outF, outE}, {"attention dqkv", dF, dE}} {
		var mx float64
		for _, v := range c.want {
			mx = math.Max(mx, abs(v))
		}
		for k := range c.want {
			check(t, c.name, k, c.fast[k], float64(c.want[k]), bound*mx)
		}
	}
}
