package nn

import "github.com/autoreg/autoreg/internal/kernels"

// CrossEntropyForward computes softmax probabilities and per-row negative
// log-likelihoods (nats) of targets; rows whose target is ignore (padding)
// get loss 0 and are left out of the returned sum and count.
//
//	losses  (N)
//	probs   (N,V)  saved for the backward pass
//	logits  (N,V)
//	targets (N)
func CrossEntropyForward(losses, probs, logits []float32, targets []int32, N, V int, ignore int32) (sum float64, n int) {
	return kernels.SoftmaxCrossEntropy(losses, probs, logits, targets, N, V, ignore)
}

// CrossEntropyBackward accumulates the gradient of scale·Σ losses with
// respect to the logits: dlogits += scale·(probs − onehot(target)) on the
// rows that are not ignored.
func CrossEntropyBackward(dlogits, probs []float32, targets []int32, N, V int, ignore int32, scale float32) {
	kernels.SoftmaxCrossEntropyBackward(dlogits, probs, targets, N, V, ignore, scale)
}
