package modeltest

import (
	"math"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
)

// realToy is a bivariate AR(1) with Gaussian predictions, the mean 0.6·x
// and the scale 1 + 0.1·|x| of the last step (a missing value is the
// predictive mean, as the seam asks); bug names a contract violation to
// build in ("" for none).
type realToy struct{ bug string }

func (m *realToy) Dim() int { return 2 }
func (m *realToy) NewRealState() autoreg.RealState {
	g := dist.NewGaussian(2)
	return &realToyState{m: m, last: make([]float64, 2), g: g}
}

type realToyState struct {
	m    *realToy
	last []float64
	n    int
	g    *dist.Gaussian
}

func (s *realToyState) Predict() dist.Dist {
	for i, x := range s.last {
		s.g.Mu[i] = 0.6 * x
		s.g.Sigma[i] = 1 + 0.1*math.Abs(x)
		if s.m.bug == "procs" && runtime.GOMAXPROCS(0) == 2 && s.n > 3 {
			s.g.Mu[i] += 1e-12
		}
	}
	if s.m.bug == "static" {
		s.g.Mu[0], s.g.Mu[1], s.g.Sigma[0], s.g.Sigma[1] = 0, 0, 1, 1
	}
	if s.m.bug == "density" {
		return badDensity{s.g}
	}
	return s.g
}

// badDensity's density is 1% too large.
type badDensity struct{ *dist.Gaussian }

func (b badDensity) LogProb(i int, v float64) float64 { return b.Gaussian.LogProb(i, v) + 0.01 }

func (s *realToyState) Append(xs ...float64) {
	if len(xs)%2 != 0 && s.m.bug != "misuse" {
		panic("toy: not whole steps")
	}
	for t := 0; t+1 < len(xs); t += 2 {
		if s.m.bug == "append" && t > 0 {
			break
		}
		if s.m.bug == "allocs" {
			s.last = append([]float64(nil), s.last...)
		}
		pd := s.Predict()
		for i, v := range xs[t : t+2] {
			switch {
			case math.IsInf(v, 0) && s.m.bug != "misuse":
				panic("toy: infinite value")
			case math.IsNaN(v) && s.m.bug == "missing":
				v = 0
			case math.IsNaN(v):
				v = pd.Mean(i)
			}
			s.last[i] = v
		}
		s.n++
	}
	if s.m.bug == "len" && len(xs) > 2 {
		s.n--
	}
}

func (s *realToyState) CopyTo(dst autoreg.RealState) {
	d := dst.(*realToyState)
	if s.m.bug == "copy" {
		d.last = s.last
	} else {
		copy(d.last, s.last)
	}
	d.n = s.n
}

func (s *realToyState) Reset() {
	if s.m.bug != "reset" {
		clear(s.last)
	}
	s.n = 0
}

func (s *realToyState) Len() int { return s.n }

// realToyOptions gives the toy a teacher (its own states, off by 1e-3 under
// bug "teacher") and a SaveLoad (a new toy; one with a changed mean under
// bug "saveload").
func realToyOptions(m *realToy) RealOptions {
	return RealOptions{
		Teacher: func(xs []float64, dst []float64) {
			st := m.NewRealState()
			for t := range dst {
				st.Append(xs[2*t : 2*t+2]...)
				dst[t] = dist.LogProb(st.Predict(), xs[2*t+2:2*t+4])
				if m.bug == "teacher" {
					dst[t] += 1e-3
				}
			}
		},
		TeacherTol: 1e-9,
		SaveLoad: func(autoreg.RealModel) (autoreg.RealModel, error) {
			if m.bug == "saveload" {
				return &realToy{bug: "static"}, nil
			}
			return &realToy{}, nil
		},
	}
}

// TestRealToy: a model that keeps the contract passes every check.
func TestRealToy(t *testing.T) {
	m := &realToy{}
	TestRealModel(t, m, realToyOptions(m))
}

// TestRealCatches: each violation built into the toy fails the check meant
// to catch it.
func TestRealCatches(t *testing.T) {
	for bug, check := range map[string]Check{
		"static":   Distribution,
		"density":  Distribution,
		"len":      Len,
		"append":   Append,
		"copy":     Copy,
		"reset":    Reset,
		"missing":  Missing,
		"teacher":  Teacher,
		"allocs":   Allocs,
		"procs":    Procs,
		"saveload": SaveLoad,
		"misuse":   Misuse,
	} {
		if raceEnabled && check == Allocs {
			continue
		}
		m := &realToy{bug: bug}
		r, err := newRealRun(m, realToyOptions(m))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range realChecks {
			if c.name != check {
				continue
			}
			if err := c.run(r); err == nil {
				t.Errorf("bug %q: check %s passed", bug, check)
			} else {
				t.Logf("bug %q: %s: %v", bug, check, err)
			}
		}
	}
}

// TestRealHistories: the default histories have whole steps, missing
// values, and depend on the seed only.
func TestRealHistories(t *testing.T) {
	hs := RealHistories(3, 4, 30)
	if len(hs) != 2 || len(hs[0]) != 90 || len(hs[1]) != 90 {
		t.Fatalf("histories of %d, %d values", len(hs[0]), len(hs[1]))
	}
	nan := 0
	for _, v := range hs[1] {
		if math.IsNaN(v) {
			nan++
		}
	}
	if nan == 0 {
		t.Error("no missing values")
	}
	again := RealHistories(3, 4, 30)
	for k := range hs[0] {
		if hs[0][k] != again[0][k] {
			t.Fatal("histories differ for one seed")
		}
	}
}
