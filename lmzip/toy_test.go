package lmzip

import (
	"math"

	"github.com/autoreg/autoreg"
)

// charTok is a toy tokenizer: ordinary token k is the byte alpha[k]; any
// other byte becomes UNK (so the escape path runs). With words set, it also
// has multi-byte tokens, matched greedily (longest first).
type charTok struct {
	alpha string
	words []string
	index [256]int
}

func newCharTok(alpha string, words ...string) *charTok {
	t := &charTok{alpha: alpha, words: words}
	for i := range t.index {
		t.index[i] = -1
	}
	for i := 0; i < len(alpha); i++ {
		t.index[alpha[i]] = i
	}
	return t
}

func (t *charTok) vocab() autoreg.Vocab { return autoreg.Vocab{Base: len(t.alpha) + len(t.words)} }

func (t *charTok) Encode(dst []autoreg.Token, text []byte) []autoreg.Token {
	v := t.vocab()
outer:
	for i := 0; i < len(text); {
		for w := len(t.words) - 1; w >= 0; w-- {
			if len(text)-i >= len(t.words[w]) && string(text[i:i+len(t.words[w])]) == t.words[w] {
				dst = append(dst, autoreg.Token(len(t.alpha)+w))
				i += len(t.words[w])
				continue outer
			}
		}
		if k := t.index[text[i]]; k >= 0 {
			dst = append(dst, autoreg.Token(k))
		} else {
			dst = append(dst, v.UNK())
		}
		i++
	}
	return dst
}

func (t *charTok) AppendBytes(dst []byte, tok autoreg.Token) ([]byte, bool) {
	switch {
	case tok >= 0 && int(tok) < len(t.alpha):
		return append(dst, t.alpha[tok]), true
	case int(tok) >= len(t.alpha) && int(tok) < len(t.alpha)+len(t.words):
		return append(dst, t.words[int(tok)-len(t.alpha)]...), true
	}
	return dst, false
}

// bigramModel is a toy static model: add-half bigram counts over the
// vocabulary, trained on a text. Variants choose the numeric path.
type bigramModel struct {
	v      autoreg.Vocab
	counts []int32 // (prev+1)·V + next; prev = -1 at the start
	totals []int32
	mode   int // 0: float log-probabilities (PathPlatform), 1: BitExact, 2: CDFer
}

func newBigram(tok *charTok, text []byte, mode int) *bigramModel {
	v := tok.vocab()
	n := v.Size()
	m := &bigramModel{v: v, counts: make([]int32, (n+1)*n), totals: make([]int32, n+1), mode: mode}
	prev := -1
	for _, t := range tok.Encode(nil, text) {
		m.counts[(prev+1)*n+int(t)]++
		m.totals[prev+1]++
		prev = int(t)
	}
	return m
}

func (m *bigramModel) Vocab() autoreg.Vocab { return m.v }
func (m *bigramModel) NewState() autoreg.State {
	if m.mode == 2 {
		return &cdfState{bigramState{m: m, prev: -1}}
	}
	return &bigramState{m: m, prev: -1}
}
func (m *bigramModel) BitExactLogProbs() bool { return m.mode == 1 }

type bigramState struct {
	m    *bigramModel
	prev int
	n    int
}

func (s *bigramState) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		s.prev = int(x)
		s.n++
	}
}

func (s *bigramState) LogProbs(dst []float32) {
	n := s.m.v.Size()
	row := s.m.counts[(s.prev+1)*n : (s.prev+2)*n]
	if s.m.mode == 1 {
		// Bit-exact: integers scaled by a power of two only.
		for k, c := range row {
			dst[k] = float32(c) * (1.0 / 64)
		}
		return
	}
	den := math.Log(float64(s.m.totals[s.prev+1]) + 0.5*float64(n))
	for k, c := range row {
		dst[k] = float32(math.Log(float64(c)+0.5) - den)
	}
}

func (s *bigramState) LogProb(x autoreg.Token) float64 {
	n := s.m.v.Size()
	c := s.m.counts[(s.prev+1)*n+int(x)]
	return math.Log(float64(c)+0.5) - math.Log(float64(s.m.totals[s.prev+1])+0.5*float64(n))
}

func (s *bigramState) CopyTo(dst autoreg.State) { *dst.(*bigramState) = *s }
func (s *bigramState) Reset()                   { s.prev, s.n = -1, 0 }
func (s *bigramState) Len() int                 { return s.n }

type cdfState struct{ bigramState }

func (s *cdfState) CDF(dst []uint32) {
	n := s.m.v.Size()
	row := s.m.counts[(s.prev+1)*n : (s.prev+2)*n]
	dst[0] = 0
	for k, c := range row {
		dst[k+1] = dst[k] + 2*uint32(c) + 1
	}
}

func (s *cdfState) CopyTo(dst autoreg.State) { *dst.(*cdfState) = *s }
