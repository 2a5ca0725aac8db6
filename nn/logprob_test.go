package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLogProbRow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{1, 7, 65, 10003} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 8)
		}
		var mx, sum float64 = math.Inf(-1), 0
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		for _, v := range x {
			sum += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(sum)
		dst, scratch := make([]float32, n), make([]float32, n)
		LogSoftmaxRow(dst, x, scratch)
		for i, v := range x {
			want := float64(v) - lse
			if d := math.Abs(LogProbRow(x, i, scratch) - want); d > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("n=%d: LogProbRow(%d) off by %g", n, i, d)
			}
			if d := math.Abs(float64(dst[i]) - want); d > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("n=%d: LogSoftmaxRow[%d] off by %g", n, i, d)
			}
		}
	}
}
