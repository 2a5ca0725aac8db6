package decode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
)

// Toy models implementing the seam, for tests only.

// bigramModel is a fixed-table bigram model: the next token's distribution
// depends only on the last token (row start for the empty history). Tables
// hold log-probabilities over the full vocabulary (specials included).
type bigramModel struct {
	vocab autoreg.Vocab
	start []float32
	rows  [][]float32 // rows[t] for history ending in t
}

type bigramState struct {
	m    *bigramModel
	last int // -1: empty history
	n    int
}

func (m *bigramModel) Vocab() autoreg.Vocab    { return m.vocab }
func (m *bigramModel) NewState() autoreg.State { return &bigramState{m: m, last: -1} }

func (s *bigramState) row() []float32 {
	if s.last < 0 {
		return s.m.start
	}
	return s.m.rows[s.last]
}

func (s *bigramState) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		if !s.m.vocab.Valid(x) {
			panic(fmt.Sprintf("bigram: token %d out of range", x))
		}
		s.last = int(x)
		s.n++
	}
}
func (s *bigramState) LogProbs(dst []float32)          { copy(dst, s.row()) }
func (s *bigramState) LogProb(x autoreg.Token) float64 { return float64(s.row()[x]) }
func (s *bigramState) CopyTo(dst autoreg.State)        { *dst.(*bigramState) = *s }
func (s *bigramState) Reset()                          { s.last, s.n = -1, 0 }
func (s *bigramState) Len() int                        { return s.n }

// logs converts probabilities to float32 log-probabilities (0 → −Inf).
func logs(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, x := range p {
		out[i] = float32(math.Log(x))
	}
	return out
}

// randomBigram builds a bigram model over base ordinary symbols with random
// rows; eosP is the probability of EOS in every row (0: never). BOS and UNK
// are impossible.
func randomBigram(seed uint64, base int, eosP float64) *bigramModel {
	r := rand.New(rand.NewPCG(seed, 1))
	v := autoreg.Vocab{Base: base}
	n := v.Size()
	row := func() []float32 {
		p := make([]float64, n)
		var s float64
		for i := range base {
			p[i] = 0.05 + r.Float64()
			s += p[i]
		}
		for i := range base {
			p[i] *= (1 - eosP) / s
		}
		p[v.EOS()] = eosP
		return logs(p...)
	}
	m := &bigramModel{vocab: v, start: row()}
	for range n {
		m.rows = append(m.rows, row())
	}
	return m
}

// constModel returns the same distribution whatever the history.
func constModel(lp []float32, base int) *bigramModel {
	v := autoreg.Vocab{Base: base}
	m := &bigramModel{vocab: v, start: lp}
	for range v.Size() {
		m.rows = append(m.rows, lp)
	}
	return m
}

// textDetok renders token t as words[t] (specials: nothing).
type textDetok []string

func (d textDetok) AppendText(dst []byte, t autoreg.Token) []byte {
	if int(t) < len(d) {
		return append(dst, d[t]...)
	}
	return dst
}

// TestBigramConforms: the toy bigram model most decoder tests run on keeps
// the seam's contract (internal/modeltest), so what they prove holds for
// real families too.
func TestBigramConforms(t *testing.T) {
	modeltest.TestModel(t, randomBigram(1, 6, 0.1), modeltest.Options{BOSImpossible: true})
}
