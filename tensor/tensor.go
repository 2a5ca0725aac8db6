// Package tensor is the flat parameter arena of the neural families: every
// parameter of a model lives in one []float32, addressed through named views
// with shapes, and mirrored by a gradient slice of the same layout (the
// design of Karpathy's llm.c: one allocation, one AdamW pass, one
// serialization loop).
//
// A model declares its parameters on a [Builder], then calls
// [Builder.Build] once; the returned [Arena] owns Params and Grads, and each
// [View] gives the slice of one parameter in either. The optimizer keeps its
// moments in slices of the same length, so element i of Params, Grads and
// the moments always belong together.
//
// Weight decay is a per-view flag, turned into a per-element mask
// ([Arena.Decay]) for the AdamW kernel. Following GPT-2 and nanoGPT, matrices
// (linear layers, recurrent weights) decay; biases, LayerNorm gains and
// offsets, and embedding tables (including a tied output embedding) do not.
//
// Every view starts at a multiple of [Align] floats (64 bytes), so each
// parameter is cache-line aligned relative to the start of the arena.
package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Align is the alignment, in float32 elements, of every view's offset.
const Align = 16

// Padded is the room a view of n elements takes in an arena: n rounded up
// to a multiple of Align (the next view starts there). Model files use it
// to compute an arena's length from a configuration before allocating.
func Padded(n int64) int64 { return (n + Align - 1) &^ (Align - 1) }

// View is one named parameter: Len elements at offset Off of the arena,
// shaped Shape (row-major; the product of Shape is Len).
type View struct {
	Name  string
	Shape []int
	Off   int
	Len   int
	Decay bool // AdamW weight decay applies to this parameter
}

// Data returns the view's slice of the arena's parameters.
func (v View) Data(a *Arena) []float32 { return a.Params[v.Off : v.Off+v.Len : v.Off+v.Len] }

// Grad returns the view's slice of the arena's gradients.
func (v View) Grad(a *Arena) []float32 { return a.Grads[v.Off : v.Off+v.Len : v.Off+v.Len] }

// Of returns the view's slice of any arena-shaped slice (a moment vector).
func (v View) Of(s []float32) []float32 { return s[v.Off : v.Off+v.Len : v.Off+v.Len] }

// Builder declares the parameters of a model before the arena exists.
type Builder struct {
	views []View
	n     int
}

// Add declares a parameter of the given shape and returns its view. decay
// says whether AdamW's weight decay applies to it (matrices: yes; biases,
// norms, embeddings: no).
func (b *Builder) Add(name string, decay bool, shape ...int) View {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in %v", name, shape))
		}
		n *= d
	}
	off := int(Padded(int64(b.n)))
	v := View{Name: name, Shape: append([]int(nil), shape...), Off: off, Len: n, Decay: decay}
	b.views = append(b.views, v)
	b.n = off + n
	return v
}

// Build allocates the arena for the declared views (parameters and
// gradients zeroed).
func (b *Builder) Build() *Arena {
	n := int(Padded(int64(b.n)))
	a := &Arena{
		Params: make([]float32, n),
		Grads:  make([]float32, n),
		Decay:  make([]uint8, n),
		Views:  append([]View(nil), b.views...),
	}
	for _, v := range a.Views {
		if v.Decay {
			for i := v.Off; i < v.Off+v.Len; i++ {
				a.Decay[i] = 1
			}
		}
	}
	return a
}

// Arena holds a model's parameters and their gradients in two flat slices
// of equal length. Padding between views is zero and stays zero (its
// gradient is zero and it is not decayed).
type Arena struct {
	Params []float32
	Grads  []float32
	// Decay[i] is 1 where element i gets weight decay.
	Decay []uint8
	// Views lists the parameters in declaration order.
	Views []View
}

// Len is the length of the flat slices (parameters plus alignment padding).
func (a *Arena) Len() int { return len(a.Params) }

// Count is the number of parameters (padding excluded).
func (a *Arena) Count() int {
	n := 0
	for _, v := range a.Views {
		n += v.Len
	}
	return n
}

// ZeroGrad clears the gradients.
func (a *Arena) ZeroGrad() { clear(a.Grads) }

// View returns the view named name.
func (a *Arena) View(name string) (View, bool) {
	for _, v := range a.Views {
		if v.Name == name {
			return v, true
		}
	}
	return View{}, false
}

// Normal fills x with draws from N(0, std²) using rng (Box–Muller in
// float64, so the values depend only on the seed).
func Normal(x []float32, std float64, rng *rand.Rand) {
	for i := 0; i < len(x); i += 2 {
		u1 := 1 - rng.Float64() // (0, 1]
		u2 := rng.Float64()
		r := math.Sqrt(-2 * math.Log(u1))
		x[i] = float32(std * r * math.Cos(2*math.Pi*u2))
		if i+1 < len(x) {
			x[i+1] = float32(std * r * math.Sin(2*math.Pi*u2))
		}
	}
}

// Fill sets every element of x to v.
func Fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}

// Grow returns (*s)[:n], reallocating *s only when its capacity is below n:
// activations are allocated once per shape and reused across steps.
func Grow(s *[]float32, n int) []float32 {
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	*s = (*s)[:n]
	return *s
}
