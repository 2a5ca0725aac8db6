package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// The reparameterized sample's backward pass against central differences:
// the loss Σ w⊙z through z = μ + exp(½ ln σ²)⊙ε, differentiated with
// respect to μ and ln σ².
func TestReparamGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	B, D := 3, 5
	post, eps, w := randSlice(rng, B*2*D, 1), randSlice(rng, B*D, 1), randSlice(rng, B*D, 1)
	z := make([]float32, B*D)
	loss := func() float64 {
		reparamForward(z, post, eps, B, D)
		var s float64
		for i := range z {
			s += float64(z[i]) * float64(w[i])
		}
		return s
	}
	dpost := make([]float32, len(post))
	reparamBackward(dpost, w, post, eps, B, D)
	checkGrad(t, "reparam", post, dpost, loss)
}

// The KL term's backward pass against central differences of the closed
// form, at β = 1 and 0.37, with free bits that hold some dimensions (no
// gradient) and not others, and at large and small variances.
func TestKLGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	B, D := 4, 6
	// Dimensions 0-2 near the prior (small KL), 3-5 far from it.
	post := randSlice(rng, B*2*D, 1)
	for b := range B {
		for d := range D {
			sd := float32(0.3)
			if d >= D/2 {
				sd = 1.5
			}
			post[b*2*D+d] *= sd
			post[b*2*D+D+d] *= sd
		}
	}
	kl := make([]float64, B*D)
	for _, c := range []struct{ scale, beta, free float64 }{{1, 1, 0}, {0.25, 0.37, 0}, {1, 1, 0.8}, {0.5, 0.6, 0.8}} {
		// The objective: β·Σ_d max(λ·B, Σ_b KL_bd), times scale.
		loss := func() float64 {
			klForward(kl, post, B, D)
			var s float64
			for d := range D {
				var k float64
				for b := range B {
					k += kl[b*D+d]
				}
				s += max(c.free*float64(B), k)
			}
			return c.scale * c.beta * s
		}
		loss()
		held := 0
		for d := range D {
			var k float64
			for b := range B {
				k += kl[b*D+d]
			}
			if k < c.free*float64(B) {
				held++
			}
			if c.free > 0 && math.Abs(k-c.free*float64(B)) < 0.05 {
				t.Fatalf("dimension %d's KL %.3f too close to the free-bits kink", d, k)
			}
		}
		if c.free > 0 && (held == 0 || held == D) {
			t.Fatalf("free bits %g hold %d of %d dimensions: not a test of both sides", c.free, held, D)
		}
		dpost := make([]float32, len(post))
		klBackward(dpost, post, kl, B, D, c.scale, c.beta, c.free)
		checkGrad(t, "kl", post, dpost, loss)
	}
}

// The closed form against a Monte Carlo estimate of E_q[ln q(z) − ln p(z)].
func TestKLClosedForm(t *testing.T) {
	post := []float32{0.7, -1.2, 0.4, -0.9}
	kl := make([]float64, 2)
	got := klForward(kl, post, 1, 2)
	rng := rand.New(rand.NewPCG(3, 3))
	var mc float64
	const n = 400000
	for range n {
		for d := range 2 {
			mu, lv := float64(post[d]), float64(post[2+d])
			sd := math.Exp(0.5 * lv)
			z := mu + sd*rng.NormFloat64()
			lq := -0.5*math.Log(2*math.Pi) - 0.5*lv - 0.5*(z-mu)*(z-mu)/(sd*sd)
			lp := -0.5*math.Log(2*math.Pi) - 0.5*z*z
			mc += lq - lp
		}
	}
	mc /= n
	if math.Abs(got-mc) > 0.01 {
		t.Fatalf("closed form %.4f, Monte Carlo %.4f", got, mc)
	}
}

func TestAnneal(t *testing.T) {
	for _, c := range []struct {
		spec        string
		step, steps int
		want        float64
	}{
		{"none", 0, 100, 1},
		{"linear:10", 0, 100, 0},
		{"linear:10", 5, 100, 0.5},
		{"linear:10", 50, 100, 1},
		{"cyclical:4", 0, 100, 0},
		{"cyclical:4", 5, 100, 0.4}, // τ = 0.2 of a cycle of 25, rising over 0.5
		{"cyclical:4", 20, 100, 1},  // τ = 0.8
		{"cyclical:4", 25, 100, 0},  // the next cycle
		{"cyclical:4:0.25", 3, 100, 0.48},
	} {
		a, err := ParseAnneal(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Weight(c.step, c.steps); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s at %d/%d: β %v, want %v", c.spec, c.step, c.steps, got, c.want)
		}
		if b, _ := ParseAnneal(a.String()); b != a {
			t.Errorf("%s: %q parses to %+v", c.spec, a.String(), b)
		}
	}
	for _, bad := range []string{"linear", "linear:0", "cyclical:0", "cyclical:2:1.5", "sigmoid:3", "linear:x"} {
		if _, err := ParseAnneal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func randSlice(rng *rand.Rand, n int, sd float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(sd * rng.NormFloat64())
	}
	return s
}

// checkGrad compares g with central differences of loss over x.
func checkGrad(t *testing.T, what string, x, g []float32, loss func() float64) {
	t.Helper()
	for i := range x {
		num := testutil.CentralDiff(x, i, 1e-2, loss)
		if math.Abs(num-float64(g[i])) > 1e-2*math.Abs(num)+1e-3 {
			t.Errorf("%s[%d]: analytic %.6g numeric %.6g", what, i, g[i], num)
		}
	}
}
