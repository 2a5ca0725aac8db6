// Package optim updates the parameters of a flat arena (package tensor):
// AdamW with decoupled weight decay (Loshchilov and Hutter, "Decoupled
// Weight Decay Regularization", ICLR 2019; Kingma and Ba 2015 for Adam),
// gradient clipping by global norm (Pascanu et al. 2013), and the
// learning-rate schedule of GPT-style training: linear warmup, then cosine
// decay to a floor.
//
// Gradient accumulation needs no code here: Backward accumulates, so the
// trainer runs several micro-batches with the loss scaled by the total
// token count, then takes one step.
package optim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/tensor"
)

// AdamW holds the optimizer's moments, mirrored on an arena.
type AdamW struct {
	Beta1, Beta2, Eps float32
	WeightDecay       float32
	// M and V are the first and second moments, one element per arena
	// element.
	M, V []float32
	// Step counts the updates made (the bias corrections use it).
	Step int
}

// NewAdamW returns an optimizer for a, with GPT-style defaults β₁ = 0.9,
// β₂ = 0.95 (nanoGPT's choice for small batches), ε = 1e-8.
func NewAdamW(a *tensor.Arena, weightDecay float32) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: weightDecay,
		M: make([]float32, a.Len()), V: make([]float32, a.Len())}
}

// Update applies one AdamW step with learning rate lr to the arena's
// parameters using its gradients. Decay applies only where the arena's
// mask says so (matrices).
func (o *AdamW) Update(a *tensor.Arena, lr float32) {
	o.Step++
	kernels.AdamW(a.Params, a.Grads, o.M, o.V, a.Decay, lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Step)
}

// normChunk is the fixed chunk of the global-norm reduction: the partial
// sums are per chunk and combined in chunk order, so the norm is the same
// bits whatever GOMAXPROCS is.
const normChunk = 1 << 14

// GlobalNorm returns the Euclidean norm of g, accumulated in float64 over
// fixed chunks summed in order (bit-identical for any GOMAXPROCS).
func GlobalNorm(g []float32) float64 {
	chunks := (len(g) + normChunk - 1) / normChunk
	var stack [64]float64
	part := stack[:0]
	if chunks <= len(stack) {
		part = stack[:chunks]
	} else {
		part = make([]float64, chunks)
	}
	// About four hand-offs per worker (a chunk is a few microseconds of
	// work); the partial sums stay per chunk, so the bits do not depend
	// on how the chunks are handed out.
	kernels.Parallel(chunks, max(1, chunks/(4*runtime.GOMAXPROCS(0))), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			part[c] = kernels.SumSquares(g[c*normChunk : min((c+1)*normChunk, len(g))])
		}
	})
	var s float64
	for _, p := range part {
		s += p
	}
	return math.Sqrt(s)
}

// ClipGlobalNorm scales g so that its global norm is at most maxNorm (no
// change when maxNorm <= 0 or the norm is already small), and returns the
// norm before clipping.
func ClipGlobalNorm(g []float32, maxNorm float64) float64 {
	n := GlobalNorm(g)
	if maxNorm > 0 && n > maxNorm {
		kernels.Scale(float32(maxNorm/(n+1e-6)), g)
	}
	return n
}

// Schedule is linear warmup to Peak over Warmup steps, then cosine decay
// to Min at step Total (and Min after it). Steps count from 0.
type Schedule struct {
	Peak, Min     float64
	Warmup, Total int
}

// LR returns the learning rate of step (0-based).
func (s Schedule) LR(step int) float64 {
	if step < s.Warmup {
		return s.Peak * float64(step+1) / float64(s.Warmup)
	}
	if step >= s.Total || s.Total <= s.Warmup {
		return s.Min
	}
	p := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + 0.5*(s.Peak-s.Min)*(1+math.Cos(math.Pi*p))
}

// MarshalBinary encodes the optimizer's state (hyperparameters, step and
// moments) for a checkpoint: magic "ADAMW\x00\x00\x01", then little-endian
// fields.
func (o *AdamW) MarshalBinary() ([]byte, error) {
	n := len(o.M)
	b := make([]byte, 0, 40+8*n)
	b = append(b, adamMagic...)
	b = binary.LittleEndian.AppendUint64(b, uint64(o.Step))
	for _, f := range []float32{o.Beta1, o.Beta2, o.Eps, o.WeightDecay} {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	for _, s := range [][]float32{o.M, o.V} {
		for _, f := range s {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b, nil
}

const adamMagic = "ADAMW\x00\x00\x01"

// UnmarshalBinary restores a state written by MarshalBinary. The moment
// length must match the optimizer's arena.
func (o *AdamW) UnmarshalBinary(b []byte) error {
	if len(b) < 40 || string(b[:8]) != adamMagic {
		return errors.New("optim: bad optimizer state (magic)")
	}
	step := binary.LittleEndian.Uint64(b[8:])
	var f [4]float32
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[16+4*i:]))
	}
	n := binary.LittleEndian.Uint64(b[32:])
	if n != uint64(len(o.M)) || uint64(len(b)-40) != 8*n {
		return fmt.Errorf("optim: optimizer state for %d parameters, model has %d", n, len(o.M))
	}
	if step > 1<<40 {
		return fmt.Errorf("optim: bad optimizer step %d", step)
	}
	o.Step = int(step)
	o.Beta1, o.Beta2, o.Eps, o.WeightDecay = f[0], f[1], f[2], f[3]
	p := b[40:]
	for _, s := range [][]float32{o.M, o.V} {
		for i := range s {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(p))
			p = p[4:]
		}
	}
	return nil
}
