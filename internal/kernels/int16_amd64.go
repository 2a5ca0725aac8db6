//go:build !noasm

package kernels

// AVX2 leaves of the int16 kernels (int16_amd64.s), written by hand: each
// takes slices whose length is a multiple of 16 (one YMM register of
// int16).

//go:noescape
func dotInt16AVX2(x, y []int16) int32

//go:noescape
func addInt16AVX2(y, x []int16)

//go:noescape
func subInt16AVX2(y, x []int16)

//go:noescape
func adaptDotInt16AVX2(w, a, h []int16, sign int16) int32
