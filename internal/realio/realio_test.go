package realio

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg/dist"
)

func testSpec(head string, lags ...int) *Spec {
	h, err := dist.ParseHead(head)
	if err != nil {
		panic(err)
	}
	return &Spec{Head: h, Lags: lags, Mean: []float64{10, -3}, Scale: []float64{2, 0.5}}
}

func TestSpecShape(t *testing.T) {
	s := testSpec("mog:3", 3, 7)
	if s.Dim() != 2 || s.Inputs() != 6 || s.Outputs() != 18 || s.Past() != 6 {
		t.Errorf("dim %d inputs %d outputs %d past %d", s.Dim(), s.Inputs(), s.Outputs(), s.Past())
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	if p := testSpec("gaussian").Past(); p != 0 {
		t.Errorf("no lags: past %d", p)
	}
	bad := []*Spec{
		testSpec("gaussian", 1),
		testSpec("gaussian", 7, 3),
		testSpec("gaussian", 3, 3),
		{Head: dist.Head{Kind: dist.KindGaussian, K: 1}, Mean: []float64{0}, Scale: []float64{0}},
		{Head: dist.Head{Kind: dist.KindGaussian, K: 1}, Mean: []float64{math.NaN()}, Scale: []float64{1}},
		{Head: dist.Head{Kind: dist.KindGaussian, K: 1}},
		{Head: dist.Head{Kind: dist.KindDiscretizedLogistic, K: 1, Grid: dist.Grid{Lo: 0, Step: 1, N: 4}}, Mean: []float64{0, 1}, Scale: []float64{1, 1}},
	}
	for _, s := range bad {
		if s.Check() == nil {
			t.Errorf("%+v passes Check", s)
		}
	}
}

func TestParseLags(t *testing.T) {
	for in, want := range map[string][]int{"": nil, "7": {7}, "364,7,1,7": {7, 364}, "1": nil} {
		got, err := ParseLags(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseLags(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "x", "7,", "+7", "70000", " 7"} {
		if _, err := ParseLags(in); err == nil {
			t.Errorf("ParseLags(%q) accepted", in)
		}
	}
}

// series returns n steps of D=2 values with a missing value at miss.
func series(n, miss int) []float64 {
	xs := make([]float64, 2*n)
	for t := range n {
		xs[2*t] = 10 + float64(t%5)
		xs[2*t+1] = -3 + 0.1*float64(t)
	}
	if miss >= 0 {
		xs[2*miss+1] = math.NaN()
	}
	return xs
}

// TestWindowsMatchHistory: the training inputs of a window are the input
// vectors a state builds over the same steps, in both layouts, and a step
// whose inputs hold a missing value has unscored targets.
func TestWindowsMatchHistory(t *testing.T) {
	s := testSpec("gaussian", 2, 4)
	P, T, B, d := s.Past(), 5, 2, 2
	xs := series(20, 9)
	// Window b starts its inputs at step 6+4b; its history and targets
	// follow.
	x := make([]float64, 0, B*(P+T)*d)
	y := make([]float64, 0, B*T*d)
	for b := range B {
		s0 := 6 + 4*b
		x = append(x, xs[(s0-P)*d:(s0+T)*d]...)
		y = append(y, xs[(s0+1)*d:(s0+T+1)*d]...)
	}
	for _, tm := range []bool{false, true} {
		in := make([]float32, B*T*s.Inputs())
		tgt := make([]float32, B*T*d)
		s.Windows(in, tgt, x, y, B, T, tm)
		for b := range B {
			// The state's input vectors over the whole series.
			h := NewHistory(s)
			var got [][]float32
			h.Append(xs[:(6+4*b+T)*d], func(v []float32, n int) {
				for k := range n {
					got = append(got, slices.Clone(v[k*s.Inputs():(k+1)*s.Inputs()]))
				}
			}, func() dist.Dist {
				g := dist.NewGaussian(2)
				return dist.NewAffine(g, s.Mean, s.Scale)
			})
			for tt := range T {
				r := b*T + tt
				if tm {
					r = tt*B + b
				}
				step := 6 + 4*b + tt
				row := in[r*s.Inputs() : (r+1)*s.Inputs()]
				missing := step == 9 || step-1 == 9 || step-3 == 9
				if missing {
					if !math.IsNaN(float64(tgt[r*d])) || !math.IsNaN(float64(tgt[r*d+1])) {
						t.Errorf("window %d step %d: a missing input, targets %v scored", b, tt, tgt[r*d:(r+1)*d])
					}
					continue
				}
				if !slices.Equal(row, got[step]) {
					t.Errorf("window %d step %d: training input %v, the state's %v", b, tt, row, got[step])
				}
				for i := range d {
					want := s.Standardize(i, xs[(step+1)*d+i])
					if tgt[r*d+i] != want && !(math.IsNaN(float64(want)) && math.IsNaN(float64(tgt[r*d+i]))) {
						t.Errorf("window %d step %d: target %v, want %v", b, tt, tgt[r*d+i], want)
					}
				}
			}
		}
	}
}

// TestHistoryImputes: a missing value conditions on the predictive mean,
// asked after the network has seen every earlier step; lags before the
// series start read the training mean.
func TestHistoryImputes(t *testing.T) {
	s := testSpec("gaussian", 3)
	h := NewHistory(s)
	seen := 0
	var ins []float32
	run := func(v []float32, n int) {
		seen += n
		ins = append(ins, v[:n*s.Inputs()]...)
	}
	g := dist.NewGaussian(2)
	pred := dist.NewAffine(g, s.Mean, s.Scale)
	asked := -1
	predict := func() dist.Dist {
		asked = seen
		g.Mu[0], g.Mu[1] = 0.25, -1 // means 10.5 and -3.5
		return pred
	}
	h.Append([]float64{12, -3, 11, -2.5, math.NaN(), -2, 13, math.NaN()}, run, predict)
	if asked != 3 || seen != 4 || h.Len() != 4 {
		t.Fatalf("predict asked after %d steps, %d run, Len %d", asked, seen, h.Len())
	}
	want := []float32{
		1, 0, 0, 0, // step 0: lag 3 before the start
		0.5, 1, 0, 0,
		0.25, 2, 1, 0, // the imputed 10.5
		1.5, -1, 0.5, 1, // the imputed -3.5
	}
	if !slices.Equal(ins, want) {
		t.Errorf("inputs %v, want %v", ins, want)
	}
	// CopyTo and Reset.
	c := NewHistory(s)
	h.CopyTo(c)
	ins = ins[:0]
	c.Append([]float64{10, -3}, run, predict)
	if !slices.Equal(ins, []float32{0, 0, 0.25, 2}) || c.Len() != 5 || h.Len() != 4 {
		t.Errorf("after a copy: inputs %v, Len %d (source %d)", ins, c.Len(), h.Len())
	}
	c.Reset()
	ins = ins[:0]
	c.Append([]float64{10, -3}, run, predict)
	if !slices.Equal(ins, []float32{0, 0, 0, 0}) || c.Len() != 1 {
		t.Errorf("after Reset: inputs %v, Len %d", ins, c.Len())
	}
	for _, bad := range [][]float64{{1}, {math.Inf(1), 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Append(%v) did not panic", bad)
				}
			}()
			h.Append(bad, run, predict)
		}()
	}
}

// TestLoss: the summed NLL and its gradient are the head's, row by row, and
// missing targets add nothing.
func TestLoss(t *testing.T) {
	s := testSpec("mog:2")
	r := rand.New(rand.NewPCG(1, 2))
	N, no, d := 5, s.Outputs(), s.Dim()
	raw := make([]float32, N*no)
	for k := range raw {
		raw[k] = float32(r.NormFloat64())
	}
	tgt := make([]float32, N*d)
	for k := range tgt {
		tgt[k] = float32(r.NormFloat64())
	}
	tgt[3] = float32(math.NaN())
	grad := make([]float32, N*no)
	sum, n := s.Loss(grad, raw, tgt, N, nil)
	if n != N*d-1 {
		t.Errorf("%d scored values, want %d", n, N*d-1)
	}
	var want float64
	g := make([]float32, no)
	for row := range N {
		want += s.Head.NLLGrad(g, raw[row*no:(row+1)*no], tgt[row*d:(row+1)*d])
		if !slices.Equal(g, grad[row*no:(row+1)*no]) {
			t.Errorf("row %d: gradient differs", row)
		}
	}
	if sum != want {
		t.Errorf("loss %v, want %v", sum, want)
	}
}

// TestOutput: the distribution is the head's in standardized units carried
// to the data's.
func TestOutput(t *testing.T) {
	s := testSpec("gaussian")
	o := s.NewOutput()
	d := o.Fill([]float32{0.5, float32(math.Log(2)), -1, 0})
	if d != o.Dist() || math.Abs(d.Mean(0)-11) > 1e-12 || math.Abs(d.Mean(1)+3.5) > 1e-12 {
		t.Errorf("means %v %v", d.Mean(0), d.Mean(1))
	}
	if got, want := d.Quantile(0, 0.975), 11+2*2*1.959963984540054; math.Abs(got-want) > 1e-6 { // ln 2 rounded to float32
		t.Errorf("quantile %v, want %v", got, want)
	}
}
