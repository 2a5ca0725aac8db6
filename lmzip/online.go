package lmzip

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
)

// Pieces shared by the online neural predictors (lstm.go, gptonline.go):
// parameters with Adam state, the Adam step, and the byte distribution's
// sum tree that turns it into bit probabilities. Every float operation is
// specified to the bit (see internal/kernels' exact kernels), so the
// decoder replays the learning exactly on any machine.

// A bytePredictor is an online neural model of the next byte: after every
// byte (update) it predicts the next one, whose distribution is the sum
// tree dist (dist()[256+b] = P(b)); p12 reads bit probabilities from it.
type bytePredictor interface {
	update(c byte)
	p12(c0 uint32) uint32
	dist() *[512]float32
}

// onlineParam is a parameter matrix (rows×cols, row-major) with its
// gradient and Adam moments.
type onlineParam struct {
	w, g, m, v []float32
	rows, cols int
	sparse     bool // only the rows listed at the Adam step are updated
}

// newOnlineParam makes a rows×cols parameter whose entries are uniform in
// ±scale, drawn from a hash of (seed, index): integer arithmetic, then one
// exact conversion and one rounded product, the same on every platform.
func newOnlineParam(rows, cols int, seed uint64, scale float32) onlineParam {
	n := rows * cols
	q := onlineParam{w: make([]float32, n), g: make([]float32, n), m: make([]float32, n), v: make([]float32, n), rows: rows, cols: cols}
	if scale != 0 {
		for i := range q.w {
			r := int32(hash64(seed, uint64(i))) >> 8 // [-2^23, 2^23)
			q.w[i] = float32(float32(r)*(1.0/(1<<23))) * scale
		}
	}
	return q
}

const (
	onlineB1  = 0.9
	onlineB2  = 0.999
	onlineEps = 1e-6
	// onlineClip bounds every gradient entry at the Adam step (and the
	// LSTM's gradients through time), so one surprising byte cannot blow
	// the weights up.
	onlineClip = 4
)

// onlineAdam is Adam's step count state: β1ᵗ and β2ᵗ.
type onlineAdam struct {
	lr, b1t, b2t float32
}

// next advances the step count and returns the bias-corrected rate
// lr·√(1−β2ᵗ)/(1−β1ᵗ).
func (a *onlineAdam) next() float32 {
	if a.b1t == 0 {
		a.b1t, a.b2t = 1, 1
	}
	a.b1t = float32(a.b1t * onlineB1)
	a.b2t = float32(a.b2t * onlineB2)
	return float32(a.lr*float32(math.Sqrt(float64(1-a.b2t)))) / (1 - a.b1t)
}

// step applies Adam at rate lr to q (all of it, or rows [lo, hi) with
// stepRows), clipping and zeroing the gradient.
func (q *onlineParam) step(lr float32) {
	kernels.ExactAdam(q.w, q.g, q.m, q.v, onlineB1, 1-onlineB1, onlineB2, 1-onlineB2, lr, onlineEps, onlineClip)
}

func (q *onlineParam) stepRow(lr float32, r int) {
	lo, hi := r*q.cols, (r+1)*q.cols
	kernels.ExactAdam(q.w[lo:hi], q.g[lo:hi], q.m[lo:hi], q.v[lo:hi], onlineB1, 1-onlineB1, onlineB2, 1-onlineB2, lr, onlineEps, onlineClip)
}

// softmaxTree sets p to the softmax of logits (max subtracted, sums in
// index order) and tree to its sum tree: tree[256+b] = p[b], tree[k] =
// tree[2k] + tree[2k+1].
func softmaxTree(p, logits []float32, tree *[512]float32) {
	mx := float32(math.Inf(-1))
	for _, l := range logits {
		if l > mx {
			mx = l
		}
	}
	for k, l := range logits {
		p[k] = l - mx
	}
	kernels.ExactExpSlice(p, p)
	var sum float32
	for _, v := range p {
		sum += v
	}
	for k := range p {
		p[k] /= sum
		tree[256+k] = p[k]
	}
	for k := 255; k >= 1; k-- {
		tree[k] = tree[2*k] + tree[2*k+1]
	}
}

// treeP12 returns P(next bit = 1) in 12 bits given the byte's bits so far
// (c0, with a leading 1), from a byte distribution's sum tree.
func treeP12(tree *[512]float32, c0 uint32) uint32 {
	den := tree[c0]
	if !(den > 0) {
		return 2048
	}
	q := float32(tree[2*c0+1]/den)*4096 + 0.5
	if !(q >= 1) {
		return 1
	}
	if q > 4095 {
		return 4095
	}
	return uint32(q)
}
