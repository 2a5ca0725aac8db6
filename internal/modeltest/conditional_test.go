package modeltest

import (
	"errors"
	"testing"

	"github.com/autoreg/autoreg"
)

// condToy is a conditional toy: its model given a source is the toy whose
// states pick their row shifted by the sum of the source's ids. bug names a
// contract violation to build in.
type condToy struct {
	*toy
	sv autoreg.Vocab
}

func newCondToy(bug string) *condToy {
	return &condToy{toy: newToy(bug), sv: autoreg.Vocab{Base: 4}}
}

func (c *condToy) SourceVocab() autoreg.Vocab { return c.sv }
func (c *condToy) MaxSourceLen() int          { return 6 }

func (c *condToy) Condition(src []autoreg.Token) (autoreg.Model, error) {
	if len(src) > c.MaxSourceLen() && c.bug != "long source" {
		return nil, errors.New("condToy: source too long")
	}
	shift := 0
	for _, x := range src {
		if !c.sv.Valid(x) {
			return nil, errors.New("condToy: source id out of range")
		}
		shift += int(x)
	}
	if c.bug == "ignores source" {
		shift = 0
	}
	return &condToyModel{toy: c.toy, shift: shift}, nil
}

func (c *condToy) ConditionBatch(srcs [][]autoreg.Token) ([]autoreg.Model, error) {
	out := make([]autoreg.Model, len(srcs))
	for i, s := range srcs {
		if c.bug == "batch" && i > 0 {
			s = srcs[0]
		}
		m, err := c.Condition(s)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// condToyModel is the toy given a source.
type condToyModel struct {
	*toy
	shift int
}

func (m *condToyModel) NewState() autoreg.State {
	return &toyState{m: m.toy, hist: make([]autoreg.Token, 0, 2), shift: m.shift}
}

func TestConditionalToy(t *testing.T) {
	TestConditional(t, newCondToy(""), ConditionalOptions{})
}

// TestConditionalCatches: each violation built into the conditional toy
// fails the check meant to catch it.
func TestConditionalCatches(t *testing.T) {
	for bug, check := range map[string]Check{
		"long source":    Condition,
		"ignores source": Sources,
		"batch":          Batch,
		"crosscopy":      CrossCopy,
		"step":           CrossStep,
	} {
		r, err := newCondRun(newCondToy(bug), ConditionalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range condChecks {
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
