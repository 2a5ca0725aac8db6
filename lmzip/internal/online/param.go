// Package online holds the neural byte predictors that lmzip's adaptive
// mode trains as it codes (the approach of lstm-compress, cmix's LSTM and
// NNCP): an LSTM and a small transformer, whose byte distributions the
// context mixer of package cm takes as inputs. The decoder must replay the
// learning bit for bit on any machine, so every float operation is a piece
// of internal/exact (the bit-exact specification of each network piece) or
// an internal/kernels exact primitive, and the weights start from an
// integer hash, not from a library's random generator.
//
// This file holds what the networks share: parameters with their Adam
// state, the Adam step, and the byte distribution's sum tree that turns it
// into bit probabilities. The frozen networks of revision-1 files (package
// legacy) use them too, so a change here that changes their bits breaks
// those files; the golden files of both revisions pin them.
package online

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
)

// Param is a parameter matrix (Rows×Cols, row-major) with its gradient G
// and Adam moments M and V.
type Param struct {
	W, G, M, V []float32
	Rows, Cols int
	// Sparse: only the rows the caller lists are updated at the Adam step
	// (an input matrix read one row per byte).
	Sparse bool
}

// NewParam makes a rows×cols parameter whose entries are uniform in
// ±scale, drawn from a hash of (seed, index): integer arithmetic, then one
// exact conversion and one rounded product, the same on every platform.
func NewParam(rows, cols int, seed uint64, scale float32) Param {
	n := rows * cols
	q := Param{W: make([]float32, n), G: make([]float32, n), M: make([]float32, n), V: make([]float32, n), Rows: rows, Cols: cols}
	if scale != 0 {
		for i := range q.W {
			r := int32(cm.Hash(seed, uint64(i))) >> 8 // [-2^23, 2^23)
			q.W[i] = float32(float32(r)*(1.0/(1<<23))) * scale
		}
	}
	return q
}

const (
	adamB1  = 0.9
	adamB2  = 0.999
	adamEps = 1e-6
	// Clip bounds every gradient entry at the Adam step (and the LSTM's
	// gradients through time), so one surprising byte cannot blow the
	// weights up.
	Clip = 4
)

// Adam is Adam's step count state (Kingma and Ba 2015): the rate and β1ᵗ,
// β2ᵗ.
type Adam struct {
	LR, b1t, b2t float32
}

// Next advances the step count and returns the bias-corrected rate
// lr·√(1−β2ᵗ)/(1−β1ᵗ).
func (a *Adam) Next() float32 {
	if a.b1t == 0 {
		a.b1t, a.b2t = 1, 1
	}
	a.b1t = float32(a.b1t * adamB1)
	a.b2t = float32(a.b2t * adamB2)
	return float32(a.LR*float32(math.Sqrt(float64(1-a.b2t)))) / (1 - a.b1t)
}

// Step applies Adam at rate lr (from Next) to all of q, clipping the
// gradient to ±Clip and zeroing it.
func (q *Param) Step(lr float32) {
	kernels.ExactAdam(q.W, q.G, q.M, q.V, adamB1, 1-adamB1, adamB2, 1-adamB2, lr, adamEps, Clip)
}

// StepRow is Step on row r only.
func (q *Param) StepRow(lr float32, r int) {
	lo, hi := r*q.Cols, (r+1)*q.Cols
	kernels.ExactAdam(q.W[lo:hi], q.G[lo:hi], q.M[lo:hi], q.V[lo:hi], adamB1, 1-adamB1, adamB2, 1-adamB2, lr, adamEps, Clip)
}

// Tree is a byte distribution's sum tree: Tree[256+b] = P(b), Tree[k] =
// Tree[2k] + Tree[2k+1] (one rounding each), so Tree[c0] is the mass of
// the bytes whose leading bits are c0's (with c0's leading 1).
type Tree [512]float32

// Set builds the tree of the distribution p (256 entries).
func (t *Tree) Set(p []float32) {
	copy(t[256:], p[:256])
	for k := 255; k >= 1; k-- {
		t[k] = t[2*k] + t[2*k+1]
	}
}

// P12 returns P(next bit = 1) in 12 bits given the byte's bits so far (c0,
// with a leading 1), clamped to [1, 4095]; 2048 where the prefix has no
// mass.
func (t *Tree) P12(c0 uint32) uint32 {
	den := t[c0]
	if !(den > 0) {
		return 2048
	}
	q := float32(t[2*c0+1]/den)*4096 + 0.5
	if !(q >= 1) {
		return 1
	}
	if q > 4095 {
		return 4095
	}
	return uint32(q)
}

// Rows records the rows of a sparse parameter (one row per byte) that
// received gradients since its last Adam step.
type Rows struct {
	seen [256]bool
	list []byte
}

// Add records row x.
func (r *Rows) Add(x byte) {
	if !r.seen[x] {
		r.seen[x] = true
		r.list = append(r.list, x)
	}
}

// Step applies Adam at rate lr to the recorded rows of q, in the order
// they were recorded, and forgets them.
func (r *Rows) Step(q *Param, lr float32) {
	for _, x := range r.list {
		q.StepRow(lr, int(x))
		r.seen[x] = false
	}
	r.list = r.list[:0]
}
