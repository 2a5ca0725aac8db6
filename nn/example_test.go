package nn_test

import (
	"fmt"

	"github.com/autoreg/autoreg/nn"
)

// A linear layer and its backward pass: y = x·Wᵀ + b, then the gradients
// for dL/dy = 1 everywhere.
func ExampleLinearForward() {
	x := []float32{1, 2} // (N=1, C=2)
	w := []float32{      // (OC=3, C=2)
		1, 0,
		0, 1,
		1, 1,
	}
	b := []float32{0.5, 0, -1}
	y := make([]float32, 3)
	nn.LinearForward(y, x, w, b, 1, 2, 3)
	fmt.Println(y)

	dx, dw, db := make([]float32, 2), make([]float32, 6), make([]float32, 3)
	nn.LinearBackward(dx, dw, db, []float32{1, 1, 1}, x, w, 1, 2, 3)
	fmt.Println(dx, dw, db)
	// Output:
	// [1.5 2 2]
	// [2 2] [1 2 1 2 1 2] [1 1 1]
}
