package kernels

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropy is the fused softmax + negative log-likelihood of a
// categorical output layer. For each row r of logits (rows×cols) it writes
// probs[r,:] = softmax(logits[r,:]) and
//
//	losses[r] = −log probs[r, targets[r]] = log Σₖ e^(logits[r,k]) − logits[r,targets[r]]
//
// (computed in the second, cancellation-free form), or 0 where
// targets[r] == ignore. It returns the sum of the losses of the non-ignored
// rows, accumulated in float64 in row order (deterministic), and their
// count. A target outside [0, cols) other than ignore panics.
func SoftmaxCrossEntropy(losses, probs, logits []float32, targets []int32, rows, cols int, ignore int32) (sum float64, n int) {
	checkRows("SoftmaxCrossEntropy", rows, cols, len(probs), len(logits))
	if len(losses) < rows || len(targets) < rows {
		panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: len(losses) = %d, len(targets) = %d < rows = %d", len(losses), len(targets), rows))
	}
	for r := range rows {
		if t := targets[r]; t != ignore && (t < 0 || int(t) >= cols) {
			panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: target %d of row %d outside [0, %d)", t, r, cols))
		}
	}
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { xentRows(losses, probs, logits, targets, cols, ignore, lo, hi) })
	} else {
		xentRows(losses, probs, logits, targets, cols, ignore, 0, rows)
	}
	for r := range rows {
		if targets[r] != ignore {
			sum += float64(losses[r])
			n++
		}
	}
	return sum, n
}

func xentRows(losses, probs, logits []float32, targets []int32, cols int, ignore int32, lo, hi int) {
	for r := lo; r < hi; r++ {
		losses[r] = xentRow(probs[r*cols:(r+1)*cols], logits[r*cols:(r+1)*cols], targets[r], ignore)
	}
}

func xentRow(probs, logits []float32, t, ignore int32) float32 {
	if len(logits) == 0 {
		return 0
	}
	mx := rowMax(logits)
	s := rowExpSum(probs, logits, mx)
	var loss float32
	if t != ignore {
		loss = float32(math.Log(float64(s)) - float64(logits[t]-mx))
	}
	scale(1/s, probs)
	return loss
}

// SoftmaxCrossEntropyBackward accumulates the gradient of
// scale·Σ losses with respect to the logits: for each non-ignored row r,
// dlogits[r,j] += scale·(probs[r,j] − [j == targets[r]]); ignored rows are
// left untouched. scale is typically 1/n for a mean loss.
func SoftmaxCrossEntropyBackward(dlogits, probs []float32, targets []int32, rows, cols int, ignore int32, scale float32) {
	checkRows("SoftmaxCrossEntropyBackward", rows, cols, len(dlogits), len(probs))
	if len(targets) < rows {
		panic(fmt.Sprintf("kernels: SoftmaxCrossEntropyBackward: len(targets) = %d < rows = %d", len(targets), rows))
	}
	for r := range rows {
		if t := targets[r]; t != ignore && (t < 0 || int(t) >= cols) {
			panic(fmt.Sprintf("kernels: SoftmaxCrossEntropyBackward: target %d of row %d outside [0, %d)", t, r, cols))
		}
	}
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { xentBackwardRows(dlogits, probs, targets, cols, ignore, scale, lo, hi) })
		return
	}
	xentBackwardRows(dlogits, probs, targets, cols, ignore, scale, 0, rows)
}

// SoftmaxCrossEntropyBackwardSet is SoftmaxCrossEntropyBackward except
// that it overwrites dlogits (ignored rows become zero) instead of
// accumulating into it, and dlogits may be probs itself: the gradient then
// replaces the probabilities in place, with no buffer to clear first (for
// a 10,000-word softmax, two fewer passes over the largest activation).
// The values equal accumulating into zeros (bit for bit when scale > 0:
// then no product is −0).
func SoftmaxCrossEntropyBackwardSet(dlogits, probs []float32, targets []int32, rows, cols int, ignore int32, scale float32) {
	checkRows("SoftmaxCrossEntropyBackwardSet", rows, cols, len(dlogits), len(probs))
	if len(targets) < rows {
		panic(fmt.Sprintf("kernels: SoftmaxCrossEntropyBackwardSet: len(targets) = %d < rows = %d", len(targets), rows))
	}
	for r := range rows {
		if t := targets[r]; t != ignore && (t < 0 || int(t) >= cols) {
			panic(fmt.Sprintf("kernels: SoftmaxCrossEntropyBackwardSet: target %d of row %d outside [0, %d)", t, r, cols))
		}
	}
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { xentBackwardSetRows(dlogits, probs, targets, cols, ignore, scale, lo, hi) })
		return
	}
	xentBackwardSetRows(dlogits, probs, targets, cols, ignore, scale, 0, rows)
}

func xentBackwardSetRows(dlogits, probs []float32, targets []int32, cols int, ignore int32, alpha float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		d := dlogits[r*cols : (r+1)*cols]
		t := targets[r]
		if t == ignore {
			clear(d)
			continue
		}
		copy(d, probs[r*cols:(r+1)*cols]) // a no-op in place
		scale(alpha, d)
		d[t] -= alpha
	}
}

func xentBackwardRows(dlogits, probs []float32, targets []int32, cols int, ignore int32, scale float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		t := targets[r]
		if t == ignore {
			continue
		}
		d := dlogits[r*cols : (r+1)*cols]
		axpy(scale, probs[r*cols:(r+1)*cols], d)
		d[t] -= scale
	}
}
