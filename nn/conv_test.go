package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Taps of the kernels the gated PixelCNN uses, and a 1×1 kernel.
var convTapSets = map[string][]Tap{
	"pointwise":  {{0, 0}},
	"vertical":   {{-2, -1}, {-2, 0}, {-2, 1}, {-1, -1}, {-1, 0}, {-1, 1}},
	"horizontal": {{0, -2}, {0, -1}, {0, 0}},
	"odd":        {{1, 3}, {-3, 0}, {0, 0}},
}

func TestConvReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for name, taps := range convTapSets {
		for _, sh := range [][5]int{{1, 1, 1, 1, 1}, {2, 5, 4, 3, 2}, {3, 7, 6, 16, 33}} {
			B, H, W, Cin, Cout := sh[0], sh[1], sh[2], sh[3], sh[4]
			KC := len(taps) * Cin
			inp, w, b := randSlice(rng, B*H*W*Cin, 1), randSlice(rng, Cout*KC, 1), randSlice(rng, Cout, 1)
			got, want := make([]float32, B*H*W*Cout), make([]float32, B*H*W*Cout)
			ConvForward(got, make([]float32, B*H*W*KC), inp, w, b, taps, B, H, W, Cin, Cout)
			convRef(want, inp, w, b, taps, B, H, W, Cin, Cout)
			for i := range got {
				// The GEMM's bound: √K·2⁻²³·Σ|terms|, with Σ|terms| ≤ K·max.
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(KC+1)*4 {
					t.Fatalf("%s %v: element %d: %v, reference %v", name, sh, i, got[i], want[i])
				}
			}
		}
	}
}

func TestConvGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for name, taps := range convTapSets {
		B, H, W, Cin, Cout := 2, 4, 5, 3, 2
		KC := len(taps) * Cin
		inp, w, b := randSlice(rng, B*H*W*Cin, 1), randSlice(rng, Cout*KC, 0.5), randSlice(rng, Cout, 0.5)
		dinp, dw, db := make([]float32, len(inp)), make([]float32, len(w)), make([]float32, len(b))
		out, cols, dcols := make([]float32, B*H*W*Cout), make([]float32, B*H*W*KC), make([]float32, B*H*W*KC)
		checkGrad(t, "conv-"+name, gradCase{
			inputs:  [][]float32{inp, w, b},
			grads:   [][]float32{dinp, dw, db},
			forward: func() []float32 { ConvForward(out, cols, inp, w, b, taps, B, H, W, Cin, Cout); return out },
			backward: func(d []float32) {
				c := cols
				if pointwise(taps) {
					c = inp
				}
				ConvBackward(dinp, dw, db, dcols, d, c, w, taps, B, H, W, Cin, Cout)
			},
		}, rng)
	}
}

// Col2ImAdd is Im2Col's adjoint: ⟨Im2Col(x), y⟩ = ⟨x, Col2Im(y)⟩.
func TestCol2ImAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	taps := convTapSets["odd"]
	B, H, W, Cin := 2, 6, 5, 3
	x := randSlice(rng, B*H*W*Cin, 1)
	y := randSlice(rng, B*H*W*len(taps)*Cin, 1)
	cols, back := make([]float32, len(y)), make([]float32, len(x))
	Im2Col(cols, x, taps, B, H, W, Cin)
	Col2ImAdd(back, y, taps, B, H, W, Cin)
	var l, r float64
	for i := range cols {
		l += float64(cols[i]) * float64(y[i])
	}
	for i := range x {
		r += float64(x[i]) * float64(back[i])
	}
	if math.Abs(l-r) > 1e-4*math.Abs(l) {
		t.Fatalf("⟨Im2Col x, y⟩ = %v, ⟨x, Col2Im y⟩ = %v", l, r)
	}
}

// convRef is the specification of ConvForward: plain loops, float64 sums.
func convRef(out, inp, weight, bias []float32, taps []Tap, B, H, W, Cin, Cout int) {
	KC := len(taps) * Cin
	for b := range B {
		for y := range H {
			for x := range W {
				for o := range Cout {
					var s float64
					if bias != nil {
						s = float64(bias[o])
					}
					for k, t := range taps {
						yy, xx := y+t.DY, x+t.DX
						if yy < 0 || yy >= H || xx < 0 || xx >= W {
							continue
						}
						for c := range Cin {
							s += float64(weight[o*KC+k*Cin+c]) * float64(inp[((b*H+yy)*W+xx)*Cin+c])
						}
					}
					out[((b*H+y)*W+x)*Cout+o] = float32(s)
				}
			}
		}
	}
}
