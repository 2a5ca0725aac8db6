package pixelcnn

import (
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/tensor"
)

// Location-dependent conditioning: the spatial maps s[class] (H·W, d) and
// each gate's 1×1 maps U (2p, d). A gate's pre-activation at pixel i gains
// U·s[class][i]; the same product serves the batched passes (a whole
// image), a state's row of the vertical stack and a state's pixel of the
// horizontal one.

// mapTable returns the set of spatial maps an image of class c reads: c
// for a class-conditional model, the only set without classes, −1 where
// the model has no maps or the image no class.
func (m *Model) mapTable(c int32) int {
	switch {
	case m.cfg.Maps == 0:
		return -1
	case m.classes == 0:
		return 0
	}
	return int(c)
}

// addMaps adds U·s[t][i] to row i−px0 of pre (n, 2p) for the n pixels
// from px0, for table t (nothing for t < 0).
func (m *Model) addMaps(pre []float32, u tensor.View, t, px0, n int) {
	if t < 0 {
		return
	}
	d, w, HW := m.cfg.Maps, 2*m.cfg.Channels, m.cfg.Image.Height*m.cfg.Image.Width
	s := m.smap.Data(m.arena)[(t*HW+px0)*d : (t*HW+px0+n)*d]
	kernels.Sgemm(false, true, n, w, d, 1, s, d, u.Data(m.arena), d, 1, pre, w)
}

// addMapsBatch adds every image's maps to its pixels' rows of pre
// (B·hw, 2p).
func (m *Model) addMapsBatch(pre []float32, u tensor.View, class []int32, hw int) {
	w := 2 * m.cfg.Channels
	for b, c := range class {
		m.addMaps(pre[b*hw*w:(b+1)*hw*w], u, m.mapTable(c), 0, hw)
	}
}

// mapGrad accumulates the gradients of U and of the spatial maps from
// dpre (B·hw, 2p), the gradient of the pre-activations the maps were
// added to.
func (m *Model) mapGrad(u tensor.View, dpre []float32, class []int32, hw int) {
	if m.cfg.Maps == 0 {
		return
	}
	ar := m.arena
	d, w := m.cfg.Maps, 2*m.cfg.Channels
	for b, c := range class {
		t := m.mapTable(c)
		if t < 0 {
			continue
		}
		dp := dpre[b*hw*w : (b+1)*hw*w]
		s := m.smap.Data(ar)[t*hw*d : (t+1)*hw*d]
		ds := m.smap.Grad(ar)[t*hw*d : (t+1)*hw*d]
		// dU += dpreᵀ·s (2p, d); ds += dpre·U (hw, d).
		kernels.Sgemm(true, false, w, d, hw, 1, dp, w, s, d, 1, u.Grad(ar), d)
		kernels.Sgemm(false, false, hw, d, w, 1, dp, w, u.Data(ar), d, 1, ds, d)
	}
}
