package dist

import (
	"math"
	"math/rand/v2"
)

// Affine is the distribution of y_i = Loc[i] + Scale[i]·x_i where x ~ D:
// a distribution over standardized values carried to the data's own units.
// A model that works on z = (y − mean)/scale (every neural family here, and
// AR when fitted on standardized values) fills D in z units and returns an
// Affine with Loc = mean and Scale = scale, so its predictions are in the
// data's units while its arithmetic stays where it is well conditioned:
//
//	ln p_y(v) = ln p_x((v − Loc)/Scale) − ln Scale,
//	F_y(v) = F_x((v − Loc)/Scale),   Q_y(p) = Loc + Scale·Q_x(p),
//	E[y] = Loc + Scale·E[x],          y sampled as Loc + Scale·x.
//
// The wrapper holds D by reference: refilling D (a state's next Predict)
// changes the Affine too, which is what lets a state reuse both without
// allocating. Scale must be positive and finite.
type Affine struct {
	D          Dist
	Loc, Scale []float64
}

// NewAffine returns the Affine of d with the given location and scale per
// dimension (len d.Dim() each). For a [Gridded] d it returns an
// [AffineGridded], which is Gridded too; a grid is shared by every
// dimension, so then every dimension must have the same location and
// scale.
func NewAffine(d Dist, loc, scale []float64) Dist {
	if len(loc) != d.Dim() || len(scale) != d.Dim() {
		panic("dist: NewAffine: location and scale need one value per dimension")
	}
	for i, s := range scale {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(loc[i]) || math.IsInf(loc[i], 0) {
			panic("dist: NewAffine: scales must be positive and finite, locations finite")
		}
	}
	a := Affine{D: d, Loc: loc, Scale: scale}
	if g, ok := d.(Gridded); ok {
		for i := range loc {
			if loc[i] != loc[0] || scale[i] != scale[0] {
				panic("dist: NewAffine: a gridded distribution needs one location and scale for every dimension")
			}
		}
		return &AffineGridded{Affine: a, g: g}
	}
	return &a
}

// Dim is the number of dimensions.
func (a *Affine) Dim() int { return a.D.Dim() }

// inner maps a value to D's units.
func (a *Affine) inner(i int, v float64) float64 { return (v - a.Loc[i]) / a.Scale[i] }

// LogProb is D's log-density at (v − Loc)/Scale minus ln Scale.
func (a *Affine) LogProb(i int, v float64) float64 {
	return a.D.LogProb(i, a.inner(i, v)) - math.Log(a.Scale[i])
}

// CDF is D's CDF at (v − Loc)/Scale.
func (a *Affine) CDF(i int, v float64) float64 { return a.D.CDF(i, a.inner(i, v)) }

// Quantile is Loc + Scale·(D's quantile).
func (a *Affine) Quantile(i int, p float64) float64 {
	return a.Loc[i] + a.Scale[i]*a.D.Quantile(i, p)
}

// Mean is Loc + Scale·(D's mean).
func (a *Affine) Mean(i int) float64 { return a.Loc[i] + a.Scale[i]*a.D.Mean(i) }

// Sample is Loc + Scale·(a draw from D).
func (a *Affine) Sample(i int, r *rand.Rand) float64 {
	return a.Loc[i] + a.Scale[i]*a.D.Sample(i, r)
}

// AffineGridded is an [Affine] of a [Gridded] distribution: the grid maps
// with the values, and a bin keeps its probability, so LogProb is the
// log-mass of v's bin with no ln Scale term.
type AffineGridded struct {
	Affine
	g Gridded
}

// LogProb is the log-probability of v's bin.
func (a *AffineGridded) LogProb(i int, v float64) float64 { return a.g.LogProb(i, a.inner(i, v)) }

// Grid is D's grid carried to the data's units: Lo' = Loc + Scale·Lo,
// Step' = Scale·Step.
func (a *AffineGridded) Grid() Grid {
	g := a.g.Grid()
	return Grid{Lo: a.Loc[0] + a.Scale[0]*g.Lo, Step: a.Scale[0] * g.Step, N: g.N}
}

// LogProbBin is the log-probability of bin k, D's.
func (a *AffineGridded) LogProbBin(i, k int) float64 { return a.g.LogProbBin(i, k) }
