package exact

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCausalConvStep checks the queue's bookkeeping and the product
// against a float64 reference over a few steps of dilation 3.
func TestCausalConvStep(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	const C, OC, d = 5, 7, 3
	w, b := make([]float32, OC*2*C), make([]float32, OC)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	for i := range b {
		b[i] = float32(r.NormFloat64())
	}
	queue := make([]float32, d*C)
	var xs [][]float32
	out, cat := make([]float32, OC), make([]float32, 2*C)
	for step := range 10 {
		x := make([]float32, C)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		xs = append(xs, x)
		CausalConvStep(out, cat, queue[(step%d)*C:][:C], x, w, b)
		past := make([]float32, C)
		if step >= d {
			past = xs[step-d]
		}
		for o := range OC {
			ref := float64(b[o])
			for i := range C {
				ref += float64(w[o*2*C+i])*float64(past[i]) + float64(w[o*2*C+C+i])*float64(x[i])
			}
			if math.Abs(float64(out[o])-ref) > 1e-5*(1+math.Abs(ref)) {
				t.Fatalf("step %d output %d: %g, reference %g", step, o, out[o], ref)
			}
		}
	}
}

// goldenConv hashes CausalConvStep and ReLU over fixed inputs.
func goldenConv() string {
	h := hasher{sha256.New()}
	r := rand.New(rand.NewPCG(2029, 3))
	for _, C := range []int{1, 16, 33} {
		OC := 2*C + 1
		w, b := make([]float32, OC*2*C), make([]float32, OC)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		queue, out, cat := make([]float32, 4*C), make([]float32, OC), make([]float32, 2*C)
		for step := range 9 {
			x := make([]float32, C)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			CausalConvStep(out, cat, queue[(step%4)*C:][:C], x, w, b)
			ReLU(out)
			h.put(out...)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

const goldenConvHash = "7a60754ad99bc8f032a24092a3b1094d3e0dabb9ba1bdf211a5b656e0b7bdc98"

func TestGoldenConv(t *testing.T) {
	if got := goldenConv(); got != goldenConvHash {
		t.Errorf("the causal convolution step hashes to %s, want %s (platform or code changed the bits)", got, goldenConvHash)
	}
}
