package nn

import (
	"fmt"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// Tap is one position of a convolution kernel: the input pixel DY rows and
// DX columns away from the output pixel. A kernel is a list of taps, so a
// causal or masked kernel (PixelCNN's vertical and horizontal stacks) is
// simply the taps it keeps; there are no zeroed weights to multiply.
type Tap struct{ DY, DX int }

// pointwise reports whether taps is the single tap (0, 0) of a 1×1
// convolution, whose im2col is its input.
func pointwise(taps []Tap) bool { return len(taps) == 1 && taps[0] == Tap{} }

// ConvForward computes a 2-D convolution over B images of H×W pixels with
// channels last, zero outside the image:
//
//	out[b,y,x,o] = bias[o] + Σ_k Σ_c weight[o, k·Cin+c] · inp[b, y+DY_k, x+DX_k, c]
//
//	out    (B,H,W,Cout)
//	cols   (B,H,W,K·Cin) scratch, receives the taps of every pixel (im2col);
//	       nil for a 1×1 kernel, which reads inp directly
//	inp    (B,H,W,Cin)
//	weight (Cout,K·Cin), K = len(taps), rows = outputs as in LinearForward
//	bias   (Cout) or nil
//
// It gathers the taps (Im2Col) and multiplies once (LinearForward); keep
// cols for ConvBackward.
func ConvForward(out, cols, inp, weight, bias []float32, taps []Tap, B, H, W, Cin, Cout int) {
	N, KC := B*H*W, len(taps)*Cin
	if pointwise(taps) {
		LinearForward(out, inp, weight, bias, N, Cin, Cout)
		return
	}
	Im2Col(cols, inp, taps, B, H, W, Cin)
	LinearForward(out, cols[:N*KC], weight, bias, N, KC, Cout)
}

// ConvBackward accumulates the gradients of ConvForward:
//
//	dinp    (B,H,W,Cin) += the taps of dout·weight, scattered back (skipped when nil)
//	dweight (Cout,K·Cin) += doutᵀ·cols
//	dbias   (Cout)       += Σ_pixels dout (skipped when nil)
//
// cols is the forward's im2col (inp itself for a 1×1 kernel); dcols
// (B,H,W,K·Cin) is scratch (unused for a 1×1 kernel).
func ConvBackward(dinp, dweight, dbias, dcols, dout, cols, weight []float32, taps []Tap, B, H, W, Cin, Cout int) {
	N, KC := B*H*W, len(taps)*Cin
	if pointwise(taps) {
		LinearBackward(dinp, dweight, dbias, dout, cols, weight, N, Cin, Cout)
		return
	}
	if dinp == nil {
		LinearBackward(nil, dweight, dbias, dout, cols[:N*KC], weight, N, KC, Cout)
		return
	}
	fused.LinearBackwardSet(dcols[:N*KC], dweight, dbias, dout, cols[:N*KC], weight, N, KC, Cout)
	Col2ImAdd(dinp, dcols, taps, B, H, W, Cin)
}

// Im2Col writes, for every pixel of B images of H×W×Cin (channels last),
// the Cin channels of each tap's input pixel in tap order, zeros where a
// tap falls outside the image: cols (B,H,W,K·Cin).
func Im2Col(cols, inp []float32, taps []Tap, B, H, W, Cin int) {
	KC := len(taps) * Cin
	if len(cols) < B*H*W*KC || len(inp) < B*H*W*Cin {
		panic(fmt.Sprintf("nn: Im2Col: %d cols, %d inputs for %d×%d×%d×%d with %d taps", len(cols), len(inp), B, H, W, Cin, len(taps)))
	}
	fused.ForRows(B*H, W*KC, func(lo, hi int) {
		for by := lo; by < hi; by++ {
			b, y := by/H, by%H
			Im2ColPixels(cols[by*W*KC:(by+1)*W*KC], inp[b*H*W*Cin:(b+1)*H*W*Cin], taps, H, W, Cin, y*W, (y+1)*W)
		}
	})
}

// Im2ColPixels is Im2Col for the output pixels [p0, p1) of one image
// (pixel p is row p/W, column p%W): cols (p1−p0, K·Cin). Incremental
// inference computes a row or a pixel at a time with it.
func Im2ColPixels(cols, inp []float32, taps []Tap, H, W, Cin, p0, p1 int) {
	KC := len(taps) * Cin
	for p := p0; p < p1; p++ {
		y, x := p/W, p%W
		dst := cols[(p-p0)*KC : (p-p0+1)*KC]
		for k, t := range taps {
			d := dst[k*Cin : (k+1)*Cin]
			yy, xx := y+t.DY, x+t.DX
			if yy < 0 || yy >= H || xx < 0 || xx >= W {
				clear(d)
				continue
			}
			copy(d, inp[(yy*W+xx)*Cin:][:Cin])
		}
	}
}

// Col2ImAdd is the adjoint of Im2Col: dinp[b,y,x,:] += Σ_k dcols[b, y−DY_k,
// x−DX_k, k·Cin:(k+1)·Cin] over the taps whose output pixel is inside the
// image. Every input pixel gathers its own sum in tap order, so rows run
// in parallel without a race and the result does not depend on
// GOMAXPROCS.
func Col2ImAdd(dinp, dcols []float32, taps []Tap, B, H, W, Cin int) {
	KC := len(taps) * Cin
	fused.ForRows(B*H, W*KC, func(lo, hi int) {
		for by := lo; by < hi; by++ {
			b, y := by/H, by%H
			for x := range W {
				d := dinp[(by*W+x)*Cin : (by*W+x+1)*Cin]
				for k, t := range taps {
					yy, xx := y-t.DY, x-t.DX
					if yy < 0 || yy >= H || xx < 0 || xx >= W {
						continue
					}
					kernels.Axpy(1, dcols[((b*H+yy)*W+xx)*KC+k*Cin:][:Cin], d)
				}
			}
		}
	})
}
