package gpt

import (
	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Images (Config.Image).
//
// An image is the sequence <s> [<ctl:CLASS>] x₀ … x_(N−1), its samples in
// raster order (package tokenize, Pixels). A 1-D position tells the model
// where it is only after it has learned which positions start rows; Image
// GPT (Chen et al. 2020) does just that. We give it the coordinates
// directly: the input embedding of sample x_q adds the learned embeddings
// of the row, the column and the channel of the sample it predicts, x_(q+1),
//
//	h⁰_t = wte[x_t] + wpe[t] + wrow[r] + wcol[c] + wch[k],  (r, c, k) = pos(q+1), q = t − off,
//
// where off, the tokens before x₀, is 1 after <s> or 2 after <s> and a
// control code. Embedding the predicted sample's coordinates rather than
// the input's spares the network the successor function (the wrap at a
// row's end); both are known once x_q is, so the embedding is causal. The
// start tokens predict x₀ (or the code) and add nothing, nor does the
// last sample; nor does a window that does not start with <s> (it has
// lost the image's origin; a context of at least N+1 never slides within
// one image).

// imageViews are the row, column and channel embeddings.
type imageViews struct {
	row, col, ch tensor.View // (H,C), (W,C), (Channels,C)
}

// imageOffset returns off for a window starting with tokens t0, t1 (t1 is
// −1 when the window holds one token), or −1 when the window does not
// start with <s> or the model reads no images.
func (m *Model) imageOffset(t0, t1 int32) int {
	if m.cfg.Image == (tokenize.Shape{}) || t0 != int32(m.vocab.BOS()) {
		return -1
	}
	if t1 >= int32(m.vocab.Base+autoreg.NumReserved) {
		return 2
	}
	return 1
}

// imageRows returns, for window position t with the image starting at
// off, the three embedding rows to add, or ok false when none apply.
func (m *Model) imageRows(t, off int) (r, c, k int, ok bool) {
	if off < 0 || t < off {
		return 0, 0, 0, false
	}
	q := t - off + 1
	if q >= m.cfg.Image.Samples() {
		return 0, 0, 0, false
	}
	r, c, k = m.cfg.Image.Pos(q)
	return r, c, k, true
}

// addImage adds the image embeddings to x (B,T,C), the input embeddings
// of B windows of T tokens ids (B,T).
func (m *Model) addImage(x []float32, ids []int32, B, T int) {
	a, C := m.arena, m.cfg.Dim
	m.imageRowsOf(ids, B, T, func(i, r, c, k int) {
		dst := x[i*C : (i+1)*C]
		kernels.Axpy(1, m.img.row.Data(a)[r*C:(r+1)*C], dst)
		kernels.Axpy(1, m.img.col.Data(a)[c*C:(c+1)*C], dst)
		kernels.Axpy(1, m.img.ch.Data(a)[k*C:(k+1)*C], dst)
	})
}

// addImageGrad accumulates the image embeddings' gradients from dx (B,T,C),
// the gradient of the input embeddings, in row order.
func (m *Model) addImageGrad(dx []float32, ids []int32, B, T int) {
	a, C := m.arena, m.cfg.Dim
	m.imageRowsOf(ids, B, T, func(i, r, c, k int) {
		d := dx[i*C : (i+1)*C]
		kernels.Axpy(1, d, m.img.row.Grad(a)[r*C:(r+1)*C])
		kernels.Axpy(1, d, m.img.col.Grad(a)[c*C:(c+1)*C])
		kernels.Axpy(1, d, m.img.ch.Grad(a)[k*C:(k+1)*C])
	})
}

// imageRowsOf calls fn(i, r, c, k) for every position i (row-major in
// (B,T)) of B windows of T tokens ids that gets image embeddings, in order.
func (m *Model) imageRowsOf(ids []int32, B, T int, fn func(i, r, c, k int)) {
	if m.cfg.Image == (tokenize.Shape{}) {
		return
	}
	for b := range B {
		off := m.imageOffset(ids[b*T], second(ids[b*T:(b+1)*T]))
		for t := range T {
			if r, c, k, ok := m.imageRows(t, off); ok {
				fn(b*T+t, r, c, k)
			}
		}
	}
}

// second returns w[1], or −1 for a window of one token.
func second(w []int32) int32 {
	if len(w) < 2 {
		return -1
	}
	return w[1]
}

// addImageExact adds the image embeddings of window position t (window
// toks) to x, one IEEE addition per element and table, in the order row,
// column, channel: the same bits on every path.
func (m *Model) addImageExact(x []float32, toks []autoreg.Token, t int) {
	if m.cfg.Image == (tokenize.Shape{}) || len(toks) == 0 {
		return
	}
	t1 := int32(-1)
	if len(toks) > 1 {
		t1 = int32(toks[1])
	}
	r, c, k, ok := m.imageRows(t, m.imageOffset(int32(toks[0]), t1))
	if !ok {
		return
	}
	a, C := m.arena, m.cfg.Dim
	exact.Add(x, m.img.row.Data(a)[r*C:(r+1)*C])
	exact.Add(x, m.img.col.Data(a)[c*C:(c+1)*C])
	exact.Add(x, m.img.ch.Data(a)[k*C:(k+1)*C])
}
