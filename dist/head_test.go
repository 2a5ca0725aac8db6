package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testHeads() []Head {
	grid := Grid{Lo: -8, Step: 0.25, N: 65}
	return []Head{
		{Kind: KindGaussian, K: 1},
		{Kind: KindStudentT, K: 1},
		{Kind: KindGaussianMixture, K: 1},
		{Kind: KindGaussianMixture, K: 4},
		{Kind: KindDiscretizedLogistic, K: 1, Grid: grid},
		{Kind: KindDiscretizedLogistic, K: 3, Grid: grid},
	}
}

// randomBlock draws raw values of one dimension in a moderate range.
func randomBlock(h Head, r *rand.Rand) []float64 {
	p := make([]float64, h.Params())
	for j := range p {
		p[j] = r.NormFloat64()
	}
	switch h.Kind {
	case KindGaussian, KindStudentT:
		p[1] = 0.8*r.Float64() - 1.2 // ln σ
	default:
		for k := range h.K {
			p[h.K+k] = 3 * r.NormFloat64()
			p[2*h.K+k] = 1.5*r.Float64() - 1.5
		}
	}
	return p
}

// TestGradientsFiniteDifference checks every head's analytic gradient
// against central differences of its own NLL, in float64.
func TestGradientsFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, h := range testHeads() {
		for trial := range 30 {
			p := randomBlock(h, r)
			x := 3 * r.NormFloat64()
			if trial%5 == 0 {
				x = 30 * r.NormFloat64() // far targets (end bins for dlogistic)
			}
			checkGrad(t, h, p, x, 1e-6)
		}
	}
}

func checkGrad(t *testing.T, h Head, p []float64, x float64, tol float64) {
	t.Helper()
	g := make([]float64, len(p))
	h.blockNLLGrad(g, p, x)
	scratch := make([]float64, len(p))
	q := append([]float64(nil), p...)
	for j := range p {
		step := 1e-6 * math.Max(1, math.Abs(p[j]))
		if sc, ok := locationScale(h, p, j); ok {
			// A location moves on the scale of its σ.
			step = 1e-6 * math.Min(1, sc)
		}
		q[j] = p[j] + step
		up := h.blockNLLGrad(scratch, q, x)
		q[j] = p[j] - step
		down := h.blockNLLGrad(scratch, q, x)
		q[j] = p[j]
		fd := (up - down) / (2 * step)
		if math.Abs(fd-g[j]) > tol*math.Max(1, math.Abs(fd)) {
			t.Errorf("%v: raw %v, x %g: ∂/∂raw[%d] = %.10g, central difference %.10g", h, p, x, j, g[j], fd)
		}
	}
}

// locationScale reports whether raw value j is a location and the scale
// that goes with it.
func locationScale(h Head, p []float64, j int) (float64, bool) {
	switch {
	case h.K == 1 && (h.Kind == KindGaussian || h.Kind == KindStudentT):
		return math.Exp(clampLogScale(p[1])), j == 0
	case j >= h.K && j < 2*h.K:
		return math.Exp(clampLogScale(p[j+h.K])), true
	}
	return 0, false
}

// TestGradientsExtremeScales checks the gradient where the naive formulas
// break: tiny scales, far targets, huge degrees of freedom.
func TestGradientsExtremeScales(t *testing.T) {
	grid := Grid{Lo: -32768, Step: 1, N: 65536}
	cases := []struct {
		h Head
		p []float64
		x float64
	}{
		{Head{Kind: KindGaussian, K: 1}, []float64{0, -18}, 1e-8},
		{Head{Kind: KindGaussian, K: 1}, []float64{5, 12}, -3e4},
		{Head{Kind: KindStudentT, K: 1}, []float64{0, -15, 30}, 1e-6},
		{Head{Kind: KindStudentT, K: 1}, []float64{0, 0, -12}, 1e3},
		{Head{Kind: KindGaussianMixture, K: 2}, []float64{0, 3, 0, 1e-7, -17, -17.5}, 2e-7},
		{Head{Kind: KindDiscretizedLogistic, K: 2, Grid: grid}, []float64{0.3, -0.2, 10.2, 9000, -6, 3}, 10},
		{Head{Kind: KindDiscretizedLogistic, K: 1, Grid: grid}, []float64{0, -32000, 1}, 32767},
		{Head{Kind: KindDiscretizedLogistic, K: 1, Grid: grid}, []float64{0, 100.4, 2}, 400},
	}
	for _, c := range cases {
		checkGrad(t, c.h, c.p, c.x, 1e-5)
	}
}

// TestNLLGradMatchesDist checks that the NLL of raw outputs equals minus
// the log-probability of the distribution Fill makes from them, and that
// the float32 entry point agrees with the float64 core.
func TestNLLGradMatchesDist(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const dim = 3
	for _, h := range testHeads() {
		d := h.New(dim)
		raw := make([]float32, dim*h.Params())
		grad := make([]float32, len(raw))
		x := make([]float32, dim)
		for range 20 {
			var blocks [][]float64
			for i := range dim {
				p := randomBlock(h, r)
				blocks = append(blocks, p)
				for j, v := range p {
					raw[i*h.Params()+j] = float32(v)
				}
				x[i] = float32(2 * r.NormFloat64())
			}
			x[1] = float32(math.NaN())
			nll := h.NLLGrad(grad, raw, x)
			h.Fill(d, raw)
			var want float64
			xs := make([]float64, dim)
			for i := range xs {
				xs[i] = float64(x[i])
			}
			want = -LogProb(d, xs)
			closeRel(t, h.String()+" NLL vs −LogProb(Fill)", nll, want, 1e-12)
			g64 := make([]float64, h.Params())
			for i := range dim {
				gb := grad[i*h.Params() : (i+1)*h.Params()]
				if i == 1 {
					for _, v := range gb {
						if v != 0 {
							t.Fatalf("%v: missing value has gradient %v", h, gb)
						}
					}
					continue
				}
				p := make([]float64, h.Params())
				for j := range p {
					p[j] = float64(raw[i*h.Params()+j])
				}
				h.blockNLLGrad(g64, p, float64(x[i]))
				for j := range gb {
					if gb[j] != float32(g64[j]) {
						t.Fatalf("%v: float32 gradient %v differs from float64 core %v", h, gb[j], g64[j])
					}
				}
			}
			_ = blocks
		}
	}
}

// TestNLLGradFiniteForExtremeInputs feeds the extremes of float32.
func TestNLLGradFiniteForExtremeInputs(t *testing.T) {
	vals := []float32{0, 1, -1, math.MaxFloat32, -math.MaxFloat32, 1e-38, -1e30, 1e30, 88, -88}
	r := rand.New(rand.NewPCG(5, 6))
	for _, h := range testHeads() {
		raw := make([]float32, h.Params())
		grad := make([]float32, len(raw))
		for range 2000 {
			for j := range raw {
				raw[j] = vals[r.IntN(len(vals))]
			}
			x := []float32{vals[r.IntN(len(vals))]}
			nll := h.NLLGrad(grad, raw, x)
			if math.IsNaN(nll) || math.IsInf(nll, 0) {
				t.Fatalf("%v: raw %v x %v: NLL %v", h, raw, x, nll)
			}
			for _, g := range grad {
				if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
					t.Fatalf("%v: raw %v x %v: gradient %v", h, raw, x, grad)
				}
			}
		}
	}
}

func TestHeadNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, h := range testHeads() {
		d := h.New(2)
		raw := make([]float32, 2*h.Params())
		for j := range raw {
			raw[j] = float32(r.NormFloat64())
		}
		grad := make([]float32, len(raw))
		x := []float32{0.3, -1}
		xs := []float64{0.3, -1}
		n := testing.AllocsPerRun(100, func() {
			h.NLLGrad(grad, raw, x)
			h.Fill(d, raw)
			LogProb(d, xs)
			d.CDF(0, 0.1)
			d.Mean(1)
			d.Sample(0, r)
		})
		if n != 0 {
			t.Errorf("%v: %v allocations per step", h, n)
		}
	}
}

func TestParseHead(t *testing.T) {
	for _, s := range []string{"gaussian", "student-t", "mog:1", "mog:5", "dlogistic:10"} {
		h, err := ParseHead(s)
		if err != nil || h.String() != s {
			t.Errorf("ParseHead(%q) = %v, %v", s, h, err)
		}
	}
	for _, s := range []string{"", "gauss", "mog", "mog:0", "mog:65", "mog:x", "gaussian:2", "dlogistic:"} {
		if _, err := ParseHead(s); err == nil {
			t.Errorf("ParseHead(%q) accepted", s)
		}
	}
}

func TestHeadCheck(t *testing.T) {
	for _, h := range testHeads() {
		if err := h.Check(); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	for _, h := range []Head{
		{},
		{Kind: KindGaussian, K: 2},
		{Kind: KindGaussianMixture, K: 0},
		{Kind: KindGaussianMixture, K: MaxComponents + 1},
		{Kind: KindDiscretizedLogistic, K: 2},
		{Kind: KindDiscretizedLogistic, K: 2, Grid: Grid{Lo: 0, Step: -1, N: 4}},
		{Kind: KindDiscretizedLogistic, K: 2, Grid: Grid{Lo: math.NaN(), Step: 1, N: 4}},
	} {
		if h.Check() == nil {
			t.Errorf("%+v passes Check", h)
		}
	}
}
