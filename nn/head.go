package nn

import (
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/tensor"
)

// Head is the training-time output stage of the Transformer families
// (package gpt, package seq2seq): the final LayerNorm, the logits through
// the tied token embedding wte (V,C) (Press and Wolf 2017) and the softmax
// cross-entropy, with the activations of N rows that the backward pass
// reads.
//
//	LN     = LayerNorm(x)         (N,C)
//	logits = LN · wteᵀ            (N,V)
//	loss   = −log softmax(logits)[target]
//
// A family calls Norm, then Loss; backwards, LossBackward, then the
// LayerNorm's backward over Mean and Rstd (the family's choice of
// LayerNormBackward or a fused form).
//
// With Smoothing ε > 0 the gradient is that of label smoothing (Szegedy et
// al. 2016): the cross-entropy against (1−ε)·onehot(target) + ε/V, whose
// gradient with respect to the logits is softmax − that target. Loss still
// returns the plain negative log-likelihood, so that a run's losses
// compare with any other's.
type Head struct {
	Smoothing float32 // label smoothing ε in [0, 1); 0 = off

	LN, Mean, Rstd []float32 // (N,C), (N), (N): the final LayerNorm's output and statistics
	Logits         []float32 // (N,V)
	Probs          []float32 // (N,V) softmax; LossBackward overwrites them with the logits' gradient
	Losses         []float32 // (N) per-row loss, 0 where the target is ignored
}

// Grow sizes the activations for N rows of width C over V tokens,
// reusing their memory when it suffices.
func (h *Head) Grow(N, C, V int) {
	g := tensor.Grow
	g(&h.LN, N*C)
	g(&h.Mean, N)
	g(&h.Rstd, N)
	g(&h.Logits, N*V)
	g(&h.Probs, N*V)
	g(&h.Losses, N)
}

// Norm runs the final LayerNorm of inp (N,C) into LN.
func (h *Head) Norm(inp, weight, bias []float32, N, C int) {
	LayerNormForward(h.LN, h.Mean, h.Rstd, inp, weight, bias, N, C)
}

// Loss computes the logits of LN through wte and the cross-entropy of
// targets (ignore marks rows without one), and returns the summed loss in
// nats and the number of targets.
func (h *Head) Loss(targets []int32, wte []float32, N, C, V int, ignore int32) (sum float64, n int) {
	LinearForward(h.Logits, h.LN, wte, nil, N, C, V)
	return CrossEntropyForward(h.Losses, h.Probs, h.Logits, targets, N, V, ignore)
}

// LossBackward takes the gradient of scale·Σ losses (label-smoothed with
// Smoothing) back through the softmax and the tied projection: it sets dln
// (N,C) to the gradient of LN (overwriting it) and accumulates the
// embedding's gradient into dwte. It consumes Probs.
func (h *Head) LossBackward(dln, dwte, wte []float32, targets []int32, N, C, V int, ignore int32, scale float32) {
	h.LossBackwardWeighted(dln, dwte, wte, targets, N, C, V, ignore, scale, nil, 0)
}

// LossBackwardWeighted is LossBackward with the loss of each group g of
// per consecutive rows weighted by weights[g] (a weight per sequence, as
// sequence-level objectives such as minimum risk training need): the
// gradient of scale·Σ_g weights[g]·Σ_{rows of g} losses. Groups beyond
// len(weights) keep weight 1; nil weights give LossBackward.
func (h *Head) LossBackwardWeighted(dln, dwte, wte []float32, targets []int32, N, C, V int, ignore int32, scale float32, weights []float32, per int) {
	dlogits := h.Probs[:N*V]
	fused.CrossEntropyBackwardSet(dlogits, h.Probs, targets, N, V, ignore, scale)
	if eps := h.Smoothing; eps > 0 {
		// softmax − ((1−ε)·onehot + ε/V) = (softmax − onehot) + ε·onehot − ε/V
		e, u := scale*eps, scale*eps/float32(V)
		for r, y := range targets[:N] {
			if y == ignore {
				continue
			}
			row := dlogits[r*V : (r+1)*V]
			for k := range row {
				row[k] -= u
			}
			row[y] += e
		}
	}
	for g, w := range weights[:min(len(weights), N/max(per, 1))] {
		kernels.Scale(w, dlogits[g*per*V:(g+1)*per*V])
	}
	fused.LinearBackwardSet(dln[:N*C], dwte, nil, dlogits, h.LN, wte, N, C, V)
}
