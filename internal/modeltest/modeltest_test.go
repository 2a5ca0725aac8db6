package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// toy is a trigram table model for testing the suite: the next token's
// distribution is one of a few random rows, chosen by the last two tokens.
// bug names a contract violation to build in ("" for none).
type toy struct {
	v    autoreg.Vocab
	rows [][]float32
	bug  string
}

func newToy(bug string) *toy {
	v := autoreg.Vocab{Base: 7, Controls: []string{"c"}}
	rng := rand.New(rand.NewPCG(1, 2))
	m := &toy{v: v, bug: bug}
	for range 5 {
		p := make([]float64, v.Size())
		var sum float64
		for k := range p {
			if autoreg.Token(k) != v.BOS() {
				p[k] = rng.ExpFloat64()
				sum += p[k]
			}
		}
		row := make([]float32, len(p))
		for k := range p {
			row[k] = float32(math.Log(p[k] / sum))
			if bug == "uniform" {
				row[k] = float32(-math.Log(float64(v.Size() - 1)))
			}
		}
		row[v.BOS()] = float32(math.Inf(-1))
		if bug == "unnormalized" {
			row[0] += 0.01
		}
		m.rows = append(m.rows, row)
	}
	return m
}

func (m *toy) Vocab() autoreg.Vocab { return m.v }
func (m *toy) NewState() autoreg.State {
	return &toyState{m: m, hist: make([]autoreg.Token, 0, 2)}
}
func (m *toy) BitExactLogProbs() bool { return m.bug != "not bit-exact" }

// ScoreSequence scores token by token.
func (m *toy) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	for i, x := range xs {
		dst[i] = st.LogProb(x)
		if m.bug == "score" && i == 3 {
			dst[i] -= 1e-9
		}
		st.Append(x)
	}
}

// Step steps the states one by one; under bug "step" the second state of
// a batch takes another token, so a state's result depends on the batch.
func (m *toy) Step(states []autoreg.State, xs []autoreg.Token) {
	for i, st := range states {
		x := xs[i]
		if m.bug == "step" && i == 1 {
			x = (x + 1) % autoreg.Token(m.v.Base)
		}
		st.Append(x)
	}
}

type toyState struct {
	m     *toy
	hist  []autoreg.Token // the last two tokens at most
	n     int
	shift int // a conditional toy's source (conditional_test.go)
}

func (s *toyState) row() []float32 {
	k := 0
	for _, x := range s.hist {
		k = 3*k + int(x)
	}
	k += s.shift
	if s.m.bug == "procs" && runtime.GOMAXPROCS(0) == 2 && s.n > 3 {
		k++
	}
	return s.m.rows[k%len(s.m.rows)]
}

func (s *toyState) Append(xs ...autoreg.Token) {
	for i, x := range xs {
		if !s.m.v.Valid(x) && s.m.bug != "misuse" {
			panic("toy: token out of range")
		}
		if s.m.bug == "append" && i > 0 {
			break
		}
		if s.m.bug == "allocs" {
			s.hist = append([]autoreg.Token(nil), s.hist...)
		}
		if len(s.hist) == 2 {
			s.hist[0] = s.hist[1]
			s.hist = s.hist[:1]
		}
		s.hist = append(s.hist, x)
	}
	s.n += len(xs)
	if s.m.bug == "len" && len(xs) > 1 {
		s.n--
	}
}

func (s *toyState) LogProbs(dst []float32) { copy(dst, s.row()) }

func (s *toyState) LogProb(x autoreg.Token) float64 {
	lp := float64(s.row()[x])
	if s.m.bug == "logprob" {
		lp *= 1.000001
	}
	return lp
}

func (s *toyState) CopyTo(dst autoreg.State) {
	d := dst.(*toyState)
	if s.m.bug == "copy" {
		d.hist = s.hist
	} else {
		d.hist = append(d.hist[:0], s.hist...)
	}
	d.n = s.n
	if s.m.bug != "crosscopy" {
		d.shift = s.shift
	}
}

func (s *toyState) Reset() {
	if s.m.bug != "reset" {
		s.hist = s.hist[:0]
	}
	s.n = 0
}

func (s *toyState) Len() int { return s.n }

// reload is a SaveLoad that copies the tables (and under bug "saveload"
// changes one entry).
func reload(m autoreg.Model) (autoreg.Model, error) {
	t := m.(*toy)
	c := &toy{v: t.v, bug: t.bug}
	for _, r := range t.rows {
		c.rows = append(c.rows, append([]float32(nil), r...))
	}
	if t.bug == "saveload" {
		c.rows[1][2] = math.Nextafter32(c.rows[1][2], 0)
	}
	return c, nil
}

// teacher is a teacher-forced path of the toy: LogProb token by token, in
// float32 (off by rounding), or off by 1e-3 under bug "teacher".
func teacher(m *toy) func(xs []autoreg.Token, dst []float64) {
	return func(xs []autoreg.Token, dst []float64) {
		st := m.NewState()
		for i := range dst {
			st.Append(xs[i])
			dst[i] = float64(float32(st.LogProb(xs[i+1])))
			if m.bug == "teacher" {
				dst[i] += 1e-3
			}
		}
	}
}

func toyOptions(m *toy) Options {
	return Options{
		BOSImpossible: true,
		BitExact:      true,
		SaveLoad:      reload,
		Teacher:       teacher(m),
		TeacherTol:    1e-6,
		Twin:          func(autoreg.Model) autoreg.State { return newToy("").NewState() },
		TwinTol:       1e-6,
	}
}

// TestToy: a model that keeps the contract passes every check.
func TestToy(t *testing.T) {
	m := newToy("")
	TestModel(t, m, toyOptions(m))
}

// TestCatches: each violation built into the toy fails the check meant to
// catch it, and no check fails on the correct toy.
func TestCatches(t *testing.T) {
	for bug, check := range map[string]Check{
		"uniform":       Distribution,
		"unnormalized":  Distribution,
		"logprob":       LogProb,
		"len":           Len,
		"append":        Append,
		"step":          Step,
		"copy":          Copy,
		"reset":         Reset,
		"score":         Score,
		"teacher":       Teacher,
		"allocs":        Allocs,
		"procs":         Procs,
		"saveload":      SaveLoad,
		"misuse":        Misuse,
		"not bit-exact": BitExact,
	} {
		m := newToy(bug)
		o := toyOptions(m)
		r, err := newTokenRun(m, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tokenChecks {
			if c.name == check && raceEnabled && check == Allocs {
				continue
			}
			err := c.run(r)
			if c.name == check && err == nil {
				t.Errorf("bug %q: check %s passed", bug, check)
			}
			if c.name == check && err != nil {
				t.Logf("bug %q: %s: %v", bug, check, err)
			}
			if c.name != check && err != nil && bug != "uniform" {
				// Some bugs are visible to several checks; the correct toy
				// (TestToy) shows that no check fails without cause.
				t.Logf("bug %q also seen by %s: %v", bug, c.name, err)
			}
		}
	}
}

// TestGolden: the hash covers every bit of every distribution, in a fixed
// byte order, and a mismatch fails the bit-exact check.
func TestGolden(t *testing.T) {
	refs := [][][]float64{{{-0.5, math.Inf(-1)}, {-1, -2}}, {{-3, 0}}}
	const want = "80ba916f64b6464d39f5c9c3206d4b84a849723bc29c4ceb66497e979d1a97ad"
	if got := goldenHash(refs); got != want {
		t.Errorf("goldenHash = %s, want %s", got, want)
	}
	refs[1][0][1] = math.Copysign(0, -1)
	if goldenHash(refs) == want {
		t.Error("the hash does not see the sign of zero")
	}
	m := newToy("")
	r, err := newTokenRun(m, Options{Golden: strings.Repeat("0", 64)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.checkBitExact(); err == nil {
		t.Error("a wrong golden hash passed")
	}
	r.o.Golden = goldenHash(r.ref)
	if err := r.checkBitExact(); err != nil {
		t.Error(err)
	}
}

// TestTolerance: Tol is absolute below 1 and relative above, zero means
// identical bits, and equal infinities agree.
func TestTolerance(t *testing.T) {
	inf := math.Inf(-1)
	for _, c := range []struct {
		a, b float64
		tol  Tol
		want bool
	}{
		{1, 1, 0, true},
		{1, math.Nextafter(1, 2), 0, false},
		{0.5, 0.5 + 9e-7, 1e-6, true},
		{0.5, 0.5 + 2e-6, 1e-6, false},
		{-100, -100.00009, 1e-6, true},
		{-100, -100.0002, 1e-6, false},
		{inf, inf, 0, true},
		{inf, -1e30, 1, false},
		{math.NaN(), math.NaN(), 1, false},
		{0, math.Copysign(0, -1), 0, false},
	} {
		if got, _ := agree(c.a, c.b, c.tol); got != c.want {
			t.Errorf("agree(%v, %v, %v) = %v", c.a, c.b, c.tol, got)
		}
	}
}

// TestTwinTolerance: a twin that differs by float32 rounding fails a zero
// tolerance and passes a stated one.
func TestTwinTolerance(t *testing.T) {
	m := newToy("")
	o := Options{Twin: func(autoreg.Model) autoreg.State { return &roundedState{newToy("").NewState()} }}
	r, err := newTokenRun(m, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.checkTwin(); err == nil {
		t.Error("a twin off by 1e-6 passed a zero tolerance")
	}
	r.o.TwinTol = 1e-5
	if err := r.checkTwin(); err != nil {
		t.Error(err)
	}
}

type roundedState struct{ autoreg.State }

func (s *roundedState) LogProbs(dst []float32) {
	s.State.LogProbs(dst)
	for k := range dst {
		dst[k] *= 1 + 1e-6
	}
}

// TestHistories: the default histories are valid, start as documented and
// depend on the seed only.
func TestHistories(t *testing.T) {
	v := autoreg.Vocab{Base: 5, Controls: []string{"a", "b"}}
	hs := Histories(v, 3, 50)
	if len(hs) != 2 || hs[0][0] != v.BOS() {
		t.Fatalf("histories %v", hs)
	}
	specials := 0
	for i, h := range hs {
		for _, x := range h {
			if !v.Valid(x) || i == 0 && x != h[0] && v.IsSpecial(x) {
				t.Fatalf("history %d holds %d", i, x)
			}
			if i == 1 && v.IsSpecial(x) {
				specials++
			}
		}
	}
	if specials == 0 {
		t.Fatal("no specials in the mixed history")
	}
	if again := Histories(v, 3, 50); fmt.Sprint(again) != fmt.Sprint(hs) {
		t.Fatal("histories differ for one seed")
	}
}

// TestSkip: Skip and Only select checks; the reason is reported.
func TestSkip(t *testing.T) {
	skip := map[Check]string{Copy: "no copies", Reset: ""}
	if r := skipReason(skip, nil, Copy); r != "no copies" {
		t.Errorf("Copy: %q", r)
	}
	if r := skipReason(skip, nil, Reset); !strings.Contains(r, "Skip") {
		t.Errorf("Reset: %q", r)
	}
	if r := skipReason(nil, []Check{Len}, Copy); r == "" {
		t.Error("Only did not skip Copy")
	}
	if r := skipReason(nil, []Check{Len}, Len); r != "" {
		t.Errorf("Only skipped Len: %q", r)
	}
}
