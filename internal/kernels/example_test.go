package kernels_test

import (
	"fmt"

	"github.com/autoreg/autoreg/internal/kernels"
)

func ExampleSgemm() {
	// C (2×2) = A (2×3) · Bᵀ, with B stored 2×3 as llm.c keeps a weight
	// matrix (out features × in features).
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	kernels.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

func ExampleParallel() {
	// Square 10 numbers in chunks of 4; each output depends only on its
	// input, so the result is the same for any GOMAXPROCS.
	x := make([]int, 10)
	kernels.Parallel(len(x), 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i] = i * i
		}
	})
	fmt.Println(x)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

func ExampleSoftmaxCrossEntropy() {
	logits := []float32{0, 0, 0, 0, 10, 0}
	targets := []int32{2, -1} // the second row is padding
	losses := make([]float32, 2)
	probs := make([]float32, 6)
	sum, n := kernels.SoftmaxCrossEntropy(losses, probs, logits, targets, 2, 3, -1)
	fmt.Printf("mean loss %.4f over %d rows (ln 3 = 1.0986)\n", sum/float64(n), n)
	// Output: mean loss 1.0986 over 1 rows (ln 3 = 1.0986)
}
