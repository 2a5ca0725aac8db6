package modeltest

import (
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
)

// lane is one state a step check advances along a history: h[:pos] is
// appended, and ref[i] is the reference distribution after h[:i].
type lane struct {
	name string // for messages: which model and history
	st   autoreg.State
	h    []autoreg.Token
	ref  [][]float64
	pos  int
}

// checkStepLanes advances the lanes through step, each round a random
// nonempty subset of the lanes with tokens left, in random order, until
// every lane has reached its history's end; after each round every
// stepped state must predict its reference bit for bit (a batched step
// gives each state the bits of Append alone, whatever shares the batch).
func checkStepLanes(sm *seam[autoreg.State, []autoreg.Token], step func([]autoreg.State, []autoreg.Token), lanes []*lane, rng *rand.Rand) (rounds int, err error) {
	var m meter
	states := make([]autoreg.State, 0, len(lanes))
	xs := make([]autoreg.Token, 0, len(lanes))
	live := make([]*lane, 0, len(lanes))
	for {
		live = live[:0]
		for _, l := range lanes {
			if l.pos < len(l.h) {
				live = append(live, l)
			}
		}
		if len(live) == 0 {
			return rounds, nil
		}
		rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		live = live[:1+rng.IntN(len(live))]
		states, xs = states[:0], xs[:0]
		for _, l := range live {
			states = append(states, l.st)
			xs = append(xs, l.h[l.pos])
		}
		step(states, xs)
		rounds++
		for _, l := range live {
			l.pos++
			what := fmt.Sprintf("%s, after %d tokens, stepped with %d states", l.name, l.pos, len(live))
			if err := sm.same(&m, what, sm.prediction(l.st), l.ref[l.pos], 0); err != nil {
				return rounds, err
			}
		}
	}
}

// staggered returns the prefix lengths the lanes of a history of n tokens
// start from, so that a batch mixes states at different positions (and,
// in a long history, on both sides of a context window's shift).
func staggered(n int) []int { return []int{0, n / 3, n / 2} }

// checkStep: for a model that is an autoreg.Stepper, Step advances states
// of every history, started at staggered positions, in random subsets and
// orders, to the bits of appending one token at a time.
func (r *tokenRun) checkStep() error {
	sp := r.m.(autoreg.Stepper)
	var lanes []*lane
	for hi, h := range r.o.Histories {
		for _, from := range staggered(len(h)) {
			lanes = append(lanes, &lane{name: fmt.Sprintf("history %d from %d", hi, from),
				st: r.sm.stepwise(h, from), h: h, ref: r.ref[hi], pos: from})
		}
	}
	rng := rand.New(rand.NewPCG(r.o.Seed, 0x73746570)) // "step"
	rounds, err := checkStepLanes(r.sm, sp.Step, lanes, rng)
	r.logf("Step: %d states in %d batched rounds, identical bits", len(lanes), rounds)
	return err
}
