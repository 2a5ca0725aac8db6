package ngram

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
)

// conformance is the seam's conformance suite with what an n-gram model
// promises: <s> is never predicted, and LogProb, ScoreSequence, long
// Appends and the payload round trip give LogProbs' bits (BitExact).
// histories are added to the suite's default ones.
func conformance(t *testing.T, m *Model, save func(autoreg.Model) (autoreg.Model, error), histories ...[]autoreg.Token) {
	t.Helper()
	modeltest.TestModel(t, m, modeltest.Options{
		Seed:          uint64(m.order),
		Histories:     append(modeltest.Histories(m.vocab, uint64(m.order), 40), histories...),
		BOSImpossible: true,
		BitExact:      true,
		SaveLoad:      save,
	})
}

// payloadRoundTrip writes a model's payload and reads it back.
var payloadRoundTrip = modeltest.PayloadRoundTrip(ReadModel)

// arpaRoundTrip writes a model as ARPA text and reads it back: the
// shortest decimal of every float32 reads back as the same bits.
func arpaRoundTrip(m autoreg.Model) (autoreg.Model, error) {
	var buf bytes.Buffer
	if err := m.(*Model).WriteARPA(&buf, tokName); err != nil {
		return nil, err
	}
	m2, _, err := ReadARPA(&buf, "round.arpa", nil)
	return m2, err
}

// Orders 1 to 8, built from counts (every other one pruned), with control
// codes, on the default histories and on text like their training stream.
func TestConformanceSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for order := 1; order <= 8; order++ {
		voc := autoreg.Vocab{Base: 4 + order, Controls: []string{"a", "b"}}
		opts := Options{Order: order}
		if order%2 == 0 {
			opts.Prune = []uint64{0, 0, 1}[:min(3, order)]
		}
		m := buildModel(t, voc, opts, randomStream(rng, voc, 500))
		t.Run(fmt.Sprintf("order%d", order), func(t *testing.T) {
			conformance(t, m, payloadRoundTrip, randomStream(rng, voc, 6))
		})
	}
}

// A model read from ARPA text (no counts or discounts, n-grams completed
// by the reader), saved and read as ARPA again.
func TestConformanceARPA(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	voc := autoreg.Vocab{Base: 9, Controls: []string{"x"}}
	built := buildModel(t, voc, Options{Order: 4, Prune: []uint64{0, 1}}, randomStream(rng, voc, 400))
	m, err := arpaRoundTrip(built)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, m.(*Model), arpaRoundTrip, randomStream(rng, voc, 6))
}

// A word model of PTB on two sentences of its validation set, which reach
// the higher orders (random words back off to unigrams). The checks that
// walk the histories many times run on the small models only: the same
// code, and a LogProbs over 10,000 words costs milliseconds.
func TestConformancePTB(t *testing.T) {
	m := ptbModel(t, 5)
	v, _, valid, _ := ptb(t)
	const small = "the same code is checked on the small models (TestConformanceSmall)"
	modeltest.TestModel(t, m, modeltest.Options{
		Histories:     [][]autoreg.Token{linesStream(v, valid[:2])},
		BOSImpossible: true,
		BitExact:      true,
		Skip:          map[modeltest.Check]string{modeltest.Allocs: small, modeltest.Procs: small, modeltest.Reset: small},
	})
}

func TestConcreteStateDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	voc := autoreg.Vocab{Base: 7}
	m := buildModel(t, voc, Options{Order: 4}, randomStream(rng, voc, 300))
	st := m.NewState().(*State)
	toks := randomStream(rng, voc, 10)
	allocs := testing.AllocsPerRun(20, func() {
		for _, x := range toks {
			st.LogProb(x)
			st.Append(x)
		}
	})
	if allocs != 0 {
		t.Fatalf("*State.Append(x) allocates %.1f times per run", allocs)
	}
}

func TestScoreSequenceOtherModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	voc := autoreg.Vocab{Base: 8}
	m := buildModel(t, voc, Options{Order: 4}, randomStream(rng, voc, 50))
	other := buildModel(t, voc, Options{Order: 2}, randomStream(rng, voc, 50))
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "another model") {
			t.Errorf("ScoreSequence with another model's state: panic %v", r)
		}
	}()
	m.ScoreSequence(other.NewState(), []autoreg.Token{1}, make([]float64, 1))
}
