//go:build !noasm

package kernels

// Temporary: Go stand-ins for the assembly paths still to be written.

var (
	gemmAVX2   = gemmGeneric
	gemmAVX512 = gemmGeneric
)

func dotAVX2(x, y []float32) float32                     { return dotGeneric(x, y) }
func dotAVX512(x, y []float32) float32                   { return dotGeneric(x, y) }
func axpyAVX2(alpha float32, x, y []float32)             { axpyGeneric(alpha, x, y) }
func axpyAVX512(alpha float32, x, y []float32)           { axpyGeneric(alpha, x, y) }
func scaleAVX2(alpha float32, x []float32)               { scaleGeneric(alpha, x) }
func scaleAVX512(alpha float32, x []float32)             { scaleGeneric(alpha, x) }
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
