// Package eval measures how well a model predicts text: the exact
// log-likelihood of a corpus under the model, and the figures derived from
// it.
//
// For a corpus of T scored tokens with log-probabilities log P(xt | x<t) (in
// nats, accumulated in float64):
//
//	NLL            = −Σt log P(xt | x<t)
//	perplexity     = exp(NLL / T)
//	bits per token = NLL / (T ln 2)
//	bits per char  = NLL / (C ln 2), C = Unicode characters of the files on disk
//	bits per byte  = NLL / (B ln 2), B = bytes of the files on disk
//
// Scoring follows KenLM's query: each sequence (file or line, see package
// corpus) starts from the empty history conditioned on <s>, which is never
// scored itself; every following token is scored, the closing </s> included.
// OOVs are tokens the tokenizer mapped to <unk>: "including OOVs" scores them
// with the model's probability of <unk>, "excluding OOVs" leaves them out of
// both the sum and the count.
package eval

import (
	"context"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/tokenize"
)

// Result is what a pass over a corpus measured.
type Result struct {
	Tokens     int64   // scored tokens, </s> included, <s> excluded
	OOV        int64   // scored tokens that were <unk>
	NLL        float64 // total negative log-likelihood in nats, OOVs included
	NLLExclOOV float64 // the same without the OOV tokens
	Sequences  int64   // sequences scored
	Chars      int64   // Unicode characters of the scored text
	Bytes      int64   // bytes of the scored text
	Files      int     // files read
}

// PPL is the perplexity including OOVs.
func (r Result) PPL() float64 { return math.Exp(r.NLL / float64(r.Tokens)) }

// PPLExclOOV is the perplexity excluding OOVs.
func (r Result) PPLExclOOV() float64 {
	return math.Exp(r.NLLExclOOV / float64(r.Tokens-r.OOV))
}

// BitsPerToken is the mean code length per scored token.
func (r Result) BitsPerToken() float64 { return r.NLL / math.Ln2 / float64(r.Tokens) }

// BitsPerChar is the total code length divided by the characters of the text.
func (r Result) BitsPerChar() float64 { return r.NLL / math.Ln2 / float64(r.Chars) }

// BitsPerByte is the total code length divided by the bytes of the text.
func (r Result) BitsPerByte() float64 { return r.NLL / math.Ln2 / float64(r.Bytes) }

// JSON returns the figures under the keys of `autoreg eval --json`.
func (r Result) JSON() map[string]any {
	return map[string]any{
		"tokens":         r.Tokens,
		"oov":            r.OOV,
		"nll_nats":       r.NLL,
		"ppl":            r.PPL(),
		"ppl_excl_oov":   r.PPLExclOOV(),
		"bits_per_token": r.BitsPerToken(),
		"bits_per_char":  r.BitsPerChar(),
		"bits_per_byte":  r.BitsPerByte(),
		"chars":          r.Chars,
		"bytes":          r.Bytes,
		"sequences":      r.Sequences,
	}
}

// Scorer accumulates the log-likelihood of a token stream as package corpus
// emits it (sequences delimited by BOS ... EOS). Feed it chunks with Add.
type Scorer struct {
	m      autoreg.Model
	st     autoreg.State
	batch  autoreg.Scorer // nil unless the model scores sequences in one pass
	vocab  autoreg.Vocab
	res    Result
	inSeq  bool
	window []autoreg.Token // pending tokens for batch scoring
	lps    []float64
	// PerToken, if set, receives each scored token and its log-probability.
	PerToken func(x autoreg.Token, logProb float64)
}

// batchWindow is how many tokens a batch-scoring model gets at once.
const batchWindow = 1 << 10

// NewScorer returns a scorer for m.
func NewScorer(m autoreg.Model) *Scorer {
	s := &Scorer{m: m, st: m.NewState(), vocab: m.Vocab()}
	if b, ok := m.(autoreg.Scorer); ok {
		s.batch = b
		s.window = make([]autoreg.Token, 0, batchWindow)
		s.lps = make([]float64, batchWindow)
	}
	return s
}

// Add scores a chunk of the token stream.
func (s *Scorer) Add(chunk []autoreg.Token) {
	bos := s.vocab.BOS()
	for _, x := range chunk {
		if x == bos {
			s.flush()
			s.st.Reset()
			s.st.Append(bos)
			s.inSeq = true
			s.res.Sequences++
			continue
		}
		if !s.inSeq {
			// A stream that does not start with BOS is scored from the
			// empty history.
			s.inSeq = true
			s.res.Sequences++
		}
		if s.batch != nil {
			s.window = append(s.window, x)
			if len(s.window) == cap(s.window) {
				s.flush()
			}
			continue
		}
		s.count(x, s.st.LogProb(x))
		s.st.Append(x)
	}
}

func (s *Scorer) flush() {
	if len(s.window) == 0 {
		return
	}
	lps := s.lps[:len(s.window)]
	s.batch.ScoreSequence(s.st, s.window, lps)
	for i, x := range s.window {
		s.count(x, lps[i])
	}
	s.window = s.window[:0]
}

func (s *Scorer) count(x autoreg.Token, lp float64) {
	s.res.Tokens++
	s.res.NLL -= lp
	if x == s.vocab.UNK() {
		s.res.OOV++
	} else {
		s.res.NLLExclOOV -= lp
	}
	if s.PerToken != nil {
		s.PerToken(x, lp)
	}
}

// Result returns the figures so far (Chars, Bytes and Files are left to the
// caller, who knows the text).
func (s *Scorer) Result() Result {
	s.flush()
	return s.res
}

// Corpus scores the documents with the model through its tokenizer.
// progress may be nil.
func Corpus(ctx context.Context, m autoreg.Model, tok tokenize.Tokenizer, docs []corpus.Doc, mode corpus.Mode, progress corpus.Progress) (Result, error) {
	s := NewScorer(m)
	st, err := corpus.Tokens(ctx, docs, tok, mode, progress, func(chunk []autoreg.Token) error {
		s.Add(chunk)
		return ctx.Err()
	})
	r := s.Result()
	r.Chars, r.Bytes, r.Files = st.Chars, st.Bytes, st.Files
	return r, err
}
