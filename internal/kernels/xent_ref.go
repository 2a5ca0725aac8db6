package kernels

import "math"

func softmaxCrossEntropyRef(losses, probs, logits []float32, targets []int32, rows, cols int, ignore int32) (float64, int) {
	softmaxRef(probs, logits, rows, cols)
	var sum float64
	n := 0
	for r := range rows {
		x := logits[r*cols : (r+1)*cols]
		mx, s := maxSumExpRef(x)
		t := targets[r]
		if t == ignore {
			losses[r] = 0
			continue
		}
		l := math.Log(s) + mx - float64(x[t])
		losses[r] = float32(l)
		sum += float64(float32(l))
		n++
	}
	return sum, n
}

func softmaxCrossEntropyBackwardRef(dlogits, probs []float32, targets []int32, rows, cols int, ignore int32, scale float32) {
	for r := range rows {
		t := targets[r]
		if t == ignore {
			continue
		}
		for j := range cols {
			g := float64(probs[r*cols+j])
			if int32(j) == t {
				g--
			}
			dlogits[r*cols+j] = float32(float64(dlogits[r*cols+j]) + float64(scale)*g)
		}
	}
}
