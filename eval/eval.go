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
//	bits per char  = NLL / (C ln 2), C = Unicode characters of the text read
//	bits per byte  = NLL / (B ln 2), B = bytes of the text read
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
	Files      int     // documents read
	// Window and Stride describe sliding-window scoring of a model with a
	// bounded context (both 0 otherwise): each window of Window tokens
	// scores its last Stride tokens, conditioned on the Window−Stride
	// before them.
	Window, Stride int
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
		"window":         r.Window,
		"stride":         r.Stride,
	}
}

// Windowed is implemented by models whose predictions see at most
// ContextLen tokens of history (a Transformer's attention window). The
// scorer then slides a window over long sequences with a stride.
type Windowed interface {
	ContextLen() int
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
	ctxLen int             // Windowed models: the window; 0 otherwise
	stride int             // tokens scored per window
	hist   []autoreg.Token // Windowed: the tokens the state holds
	code   autoreg.Token   // Windowed: the current sequence's control code, -1 if none
	// PerToken, if set, receives each scored token and its log-probability.
	PerToken func(x autoreg.Token, logProb float64)
	// Continuous, if set, scores the whole stream as one history: a new
	// sequence's <s> is appended as context without resetting the state.
	// That is how a recurrent model trained by truncated BPTT reads text
	// (its state carried across sequence boundaries), and how Zaremba et
	// al. report PTB perplexities. Not combined with SetStride.
	Continuous bool
}

// batchWindow is how many tokens a batch-scoring model gets at once (enough
// for gpt.ScoreSequence to encode many windows per batched pass).
const batchWindow = 1 << 14

// NewScorer returns a scorer for m.
func NewScorer(m autoreg.Model) *Scorer {
	s := &Scorer{m: m, st: m.NewState(), vocab: m.Vocab(), code: -1}
	if b, ok := m.(autoreg.Scorer); ok {
		s.batch = b
		s.window = make([]autoreg.Token, 0, batchWindow)
		s.lps = make([]float64, batchWindow)
	}
	return s
}

// SetStride makes the scorer slide a window over sequences longer than the
// context of a Windowed model: when the window is full, it restarts the
// state from the last ContextLen−stride tokens, so each window scores
// stride new tokens conditioned on the overlap. stride <= 0 or ≥ the
// context, or a model that is not Windowed, leaves the model's own policy
// (for package gpt: drop the oldest half, i.e. stride ContextLen/2). It
// returns the window and stride in effect (0, 0 if the model is not
// Windowed). Call it before Add.
func (s *Scorer) SetStride(stride int) (window, eff int) {
	w, ok := s.m.(Windowed)
	if !ok {
		return 0, 0
	}
	n := w.ContextLen()
	if stride <= 0 || stride >= n {
		s.res.Window, s.res.Stride = n, n/2
		return n, n / 2
	}
	s.ctxLen, s.stride = n, stride
	s.hist = make([]autoreg.Token, 0, n)
	if cap(s.window) < n {
		s.window = make([]autoreg.Token, 0, n)
	}
	if len(s.lps) < n {
		s.lps = make([]float64, n)
	}
	s.res.Window, s.res.Stride = n, stride
	return n, stride
}

// Add scores a chunk of the token stream.
func (s *Scorer) Add(chunk []autoreg.Token) {
	bos := s.vocab.BOS()
	for _, x := range chunk {
		if x == bos {
			s.flush()
			if !s.Continuous || !s.inSeq || s.ctxLen > 0 {
				s.st.Reset()
			}
			s.st.Append(bos)
			s.hist = append(s.hist[:0], bos)
			s.code = -1
			s.inSeq = true
			s.res.Sequences++
			continue
		}
		if int(x) >= s.vocab.Base+autoreg.NumReserved && s.vocab.IsSpecial(x) {
			// A control code is context, like BOS: conditioned on, not scored.
			s.flush()
			s.st.Append(x)
			if s.ctxLen > 0 {
				s.hist = append(s.hist, x)
				s.code = x
			}
			continue
		}
		if s.ctxLen > 0 {
			if !s.inSeq {
				s.inSeq = true
				s.res.Sequences++
			}
			s.slide(x)
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

// slide adds one token under sliding-window scoring. A window of a tagged
// sequence that leaves out the sequence's <s> starts with <s> and the
// control code instead of its two oldest tokens, as the model's own
// sliding does (package gpt) and as training windows do
// (train.Options.ControlWindows).
func (s *Scorer) slide(x autoreg.Token) {
	if len(s.hist)+len(s.window) == s.ctxLen {
		s.flush()
		keep := s.hist[len(s.hist)-(s.ctxLen-s.stride):]
		s.hist = append(s.hist[:0], keep...)
		if s.code >= 0 && s.hist[0] != s.vocab.BOS() && len(s.hist) >= 3 {
			s.hist[0], s.hist[1] = s.vocab.BOS(), s.code
		}
		s.st.Reset()
		s.st.Append(s.hist...)
	}
	s.window = append(s.window, x)
}

func (s *Scorer) flush() {
	if len(s.window) == 0 {
		return
	}
	if s.ctxLen > 0 {
		s.hist = append(s.hist, s.window...)
		if s.batch == nil {
			for _, x := range s.window {
				s.count(x, s.st.LogProb(x))
				s.st.Append(x)
			}
			s.window = s.window[:0]
			return
		}
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

// Options configures Run. The zero value scores each document as one
// sequence, with the model's own window policy.
type Options struct {
	// Mode cuts the text into sequences: corpus.Stream (a document is
	// one) or corpus.Lines (a line is one, as KenLM's query scores text).
	Mode corpus.Mode
	// Stride is the sliding-window stride for Windowed models (0 keeps the
	// model's own policy; see Scorer.SetStride).
	Stride int
	// Control gives each sequence its control code, as in training
	// (a model file's Meta.Control, parsed with corpus.ParseControl).
	Control corpus.Control
	// Continuous scores the text as one stream (see Scorer.Continuous);
	// not combined with Stride.
	Continuous bool
	// Progress, if not nil, receives the bytes read so far.
	Progress corpus.Progress
}

// Run scores the documents with the model through its tokenizer: files
// from corpus.Files, or text from corpus.TextDoc and corpus.ReaderDoc.
// Errors name the document; a cancelled ctx stops the pass.
func Run(ctx context.Context, m autoreg.Model, tok tokenize.Tokenizer, docs []corpus.Doc, opts Options) (Result, error) {
	s := NewScorer(m)
	s.SetStride(opts.Stride)
	s.Continuous = opts.Continuous
	st, err := corpus.Tokens(ctx, docs, tok, corpus.TokenOptions{Mode: opts.Mode, Control: opts.Control, Progress: opts.Progress}, func(chunk []autoreg.Token) error {
		s.Add(chunk)
		return ctx.Err()
	})
	r := s.Result()
	r.Chars, r.Bytes, r.Files = st.Chars, st.Bytes, st.Files
	return r, err
}
