//go:build noasm || !amd64

package kernels

// Without assembly the AVX paths are never taken (useAVX2 and useAVX512
// stay false); these names only let the dispatchers compile.

var (
	gemmAVX2   = gemmGeneric
	gemmAVX512 = gemmGeneric
)

func dotAVX2(x, y []float32) float32                     { return dotGeneric(x, y) }
func dotAVX512(x, y []float32) float32                   { return dotGeneric(x, y) }
func sumSq64AVX2(x []float32) float64                    { return 0 }
func sumSq64AVX512(x []float32) float64                  { return 0 }
func axpyAVX2(alpha float32, x, y []float32)             { axpyGeneric(alpha, x, y) }
func axpyAVX512(alpha float32, x, y []float32)           { axpyGeneric(alpha, x, y) }
func scaleAVX2(alpha float32, x []float32)               { scaleGeneric(alpha, x) }
func scaleAVX512(alpha float32, x []float32)             { scaleGeneric(alpha, x) }
func mulAVX2(dst, x, y []float32)                        { mulGeneric(dst, x, y) }
func mulAVX512(dst, x, y []float32)                      { mulGeneric(dst, x, y) }
func softmaxBackAVX2(d, p []float32, s, scale float32)   { softmaxBackGeneric(d, p, s, scale) }
func softmaxBackAVX512(d, p []float32, s, scale float32) { softmaxBackGeneric(d, p, s, scale) }
func addAVX2(dst, x, y []float32)                        { addGeneric(dst, x, y) }
func addAVX512(dst, x, y []float32)                      { addGeneric(dst, x, y) }
func maxAVX2(x []float32) float32                        { return maxGeneric(x) }
func maxAVX512(x []float32) float32                      { return maxGeneric(x) }
func expSumAVX2(dst, src []float32, s float32) float32   { return expSumGeneric(dst, src, s) }
func expSumAVX512(dst, src []float32, s float32) float32 { return expSumGeneric(dst, src, s) }
func expAVX2(out, inp []float32)                         { expSliceGeneric(out, inp) }
func expAVX512(out, inp []float32)                       { expSliceGeneric(out, inp) }
func sigmoidAVX2(out, inp []float32)                     { sigmoidSliceGeneric(out, inp) }
func sigmoidAVX512(out, inp []float32)                   { sigmoidSliceGeneric(out, inp) }
func tanhAVX2(out, inp []float32)                        { tanhSliceGeneric(out, inp) }
func tanhAVX512(out, inp []float32)                      { tanhSliceGeneric(out, inp) }
func geluAVX2(out, inp []float32)                        { geluSliceGeneric(out, inp) }
func geluAVX512(out, inp []float32)                      { geluSliceGeneric(out, inp) }
func geluBackwardAVX2(d, x, g []float32)                 { geluBackwardSliceGeneric(d, x, g) }
func geluBackwardAVX512(d, x, g []float32)               { geluBackwardSliceGeneric(d, x, g) }
func geluWithGradAVX2(out, grad, inp []float32)          { geluWithGradSliceGeneric(out, grad, inp) }
func geluWithGradAVX512(out, grad, inp []float32)        { geluWithGradSliceGeneric(out, grad, inp) }
func geluBackwardSetAVX2(d, x, g []float32)              { geluBackwardSetSliceGeneric(d, x, g) }
func geluBackwardSetAVX512(d, x, g []float32)            { geluBackwardSetSliceGeneric(d, x, g) }

func spinPause() {}

func transposeStrip8AVX2(k int, src *float32, lds int, dst *float32, ldd int) {
	panic("kernels: transposeStrip8AVX2 without assembly")
}

func prefetchAVX2(p *float32, n int) {}

func transposeStrip4AVX2(k int, src *float32, lds int, dst *float32, ldd int) {
	panic("kernels: transposeStrip4AVX2 without assembly")
}

func sumAVX2(x []float32) float32 { panic("kernels: no assembly") }

func sumAVX512(x []float32) float32 { panic("kernels: no assembly") }

func sumSqDevAVX2(x []float32, m float32) float32 { panic("kernels: no assembly") }

func sumSqDevAVX512(x []float32, m float32) float32 { panic("kernels: no assembly") }

func lnApplyAVX2(out, x, w, b []float32, mean, rstd float32) { panic("kernels: no assembly") }

func lnApplyAVX512(out, x, w, b []float32, mean, rstd float32) { panic("kernels: no assembly") }

func lnBackSumsAVX2(dout, x, w []float32, mean, rstd float32) (sg, sgx float32) {
	panic("kernels: no assembly")
}

func lnBackSumsAVX512(dout, x, w []float32, mean, rstd float32) (sg, sgx float32) {
	panic("kernels: no assembly")
}

func lnBackApplyAVX2(dinp, dout, x, w []float32, mean, rstd, mg, mgx float32) {
	panic("kernels: no assembly")
}

func lnBackApplyAVX512(dinp, dout, x, w []float32, mean, rstd, mg, mgx float32) {
	panic("kernels: no assembly")
}

func lnDWeightAVX2(dw, db, dout, x []float32, mean, rstd float32) { panic("kernels: no assembly") }

func lnDWeightAVX512(dw, db, dout, x []float32, mean, rstd float32) { panic("kernels: no assembly") }

func adamWAVX2(p, g, m, v []float32, decay []uint8, a *adamArgs)   { panic("kernels: no assembly") }
func adamWAVX512(p, g, m, v []float32, decay []uint8, a *adamArgs) { panic("kernels: no assembly") }

func lstmBackAVX2(n int, gates, dgates, dh, dc, cp, tc, dcp *float32, dcm float32) {
	panic("kernels: no assembly")
}

func lstmBackAVX512(n int, gates, dgates, dh, dc, cp, tc, dcp *float32, dcm float32) {
	panic("kernels: no assembly")
}

func lstmBackSetAVX2(n int, gates, dgates, dh, dc, cp, tc, dcp *float32, dcm float32) {
	panic("kernels: no assembly")
}

func lstmBackSetAVX512(n int, gates, dgates, dh, dc, cp, tc, dcp *float32, dcm float32) {
	panic("kernels: no assembly")
}

func packTN12AVX2(k int, src *float32, lds int, dst *float32, tiles int) {
	panic("kernels: packTN12AVX2 without assembly")
}

func packN32AVX2(k int, src *float32, lds int, dst *float32) {
	panic("kernels: packN32AVX2 without assembly")
}

func dotInt16AVX2(x, y []int16) int32 { return dotInt16Generic(x, y) }
func addInt16AVX2(y, x []int16)       { addInt16Generic(y, x) }
func subInt16AVX2(y, x []int16)       { subInt16Generic(y, x) }
func adaptDotInt16AVX2(w, a, h []int16, sign int16) int32 {
	return adaptDotInt16Generic(w, a, h, sign)
}
