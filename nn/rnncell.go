package nn

import "github.com/autoreg/autoreg/internal/kernels"

// Recurrent cells for one time step of a batch; the matrix products around
// them (W·x for all steps at once, U·h one step at a time) are Linear
// layers or direct GEMMs in the recurrent family.

// LSTMCellForward is one LSTM step (Hochreiter and Schmidhuber 1997, with
// the forget gate of Gers et al. 2000), gate order [i f g o]:
//
//	c = σ(f)⊙cPrev + σ(i)⊙tanh(g),  h = σ(o)⊙tanh(c)
//
//	h, c, tanhC, cPrev (B,H)
//	gates (B,4H): pre-activations on entry, activations on return (kept
//	              for the backward pass)
func LSTMCellForward(h, c, tanhC, gates, cPrev []float32, B, H int) {
	kernels.LSTMCell(h, c, tanhC, gates, cPrev, B, H)
}

// LSTMCellBackward accumulates the pre-activation gradients into dgates
// (B,4H) and the gradient of the previous cell state into dcPrev (B,H),
// given dh (B,H) and dc (B,H, the gradient reaching c from the next step;
// nil for none). gates, cPrev and tanhC are the forward's.
func LSTMCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, B, H int) {
	kernels.LSTMCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, B, H)
}

// GRUCellForward is one GRU step (Cho et al. 2014) in the cuDNN/PyTorch
// form (reset gate applied after the hidden product), blocks [r z n]:
//
//	r = σ(xr+hr), z = σ(xz+hz), n = tanh(xn + r⊙hn), h = (1−z)⊙n + z⊙hPrev
//
//	h, hPrev (B,H)
//	xg (B,3H) = W·x + b_W,  hg (B,3H) = U·hPrev + b_U
//	gates (B,3H) receives [r z n] for the backward pass
func GRUCellForward(h, gates, xg, hg, hPrev []float32, B, H int) {
	kernels.GRUCell(h, gates, xg, hg, hPrev, B, H)
}

// GRUCellBackward accumulates into dxg (B,3H), dhg (B,3H) and dhPrev
// (B,H) given dh (B,H); gates, hg and hPrev are the forward's.
func GRUCellBackward(dxg, dhg, dhPrev, dh, gates, hg, hPrev []float32, B, H int) {
	kernels.GRUCellBackward(dxg, dhg, dhPrev, dh, gates, hg, hPrev, B, H)
}
