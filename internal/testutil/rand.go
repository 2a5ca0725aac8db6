package testutil

import "math/rand/v2"

// RandNormal returns n float32 samples of a normal distribution with mean
// 0 and standard deviation scale, drawn from rng: test inputs for layers
// and kernels.
func RandNormal(rng *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * float32(rng.NormFloat64())
	}
	return s
}
