// Package autoreg is the seam of the autoreg toolkit: the interfaces every
// autoregressive model implements and every consumer (evaluation, decoding,
// compression, the server) programs against.
//
// An autoregressive model factorizes the probability of a sequence by the chain
// rule,
//
//	P(x1..xT) = ∏t P(xt | x<t),
//
// so a model is fully described by one operation: given a history, return the
// distribution of the next element. [Model] builds empty histories; [State] is
// one growing history that can be extended ([State.Append]), queried
// ([State.LogProbs], [State.LogProb]) and cloned ([State.CopyTo]).
//
// Token ids follow one layout for every model and tokenizer, described by
// [Vocab]: the tokenizer's ordinary tokens first, then the reserved specials
// (begin of sequence, end of sequence, unknown), then control codes.
//
// Families (n-gram, RNN, Transformer) live in their own packages and never
// appear here; optional capabilities are small extra interfaces a family may
// implement (such as [Scorer]), checked with a type assertion the way io
// checks for io.WriterTo.
package autoreg

// Token is one element of a discrete sequence: an index into a model's
// vocabulary, in [0, Vocab.Size()).
type Token int32

// Model is a trained autoregressive model over a discrete vocabulary.
//
// A Model is read-only once built and safe to share between goroutines; all
// mutable history lives in the States it creates.
type Model interface {
	// Vocab describes the token space: ordinary tokens, specials, control codes.
	Vocab() Vocab
	// NewState returns a State holding the empty history: the start of a
	// sequence, before any token (not even BOS) has been seen.
	NewState() State
}

// State is one growing history x<t of a Model. A State is used by one
// goroutine at a time.
type State interface {
	// Append conditions the state on more tokens, in order. A long prompt
	// should go in one call, so that families which can encode many tokens at
	// once (a Transformer) do so in one batched pass. Ids outside the
	// vocabulary are a programming error and panic.
	Append(xs ...Token)
	// LogProbs writes log P(next = k | history) in nats for every k into dst,
	// which must have length Vocab().Size(). Impossible tokens get -Inf.
	LogProbs(dst []float32)
	// LogProb returns log P(next = x | history) in nats: the fast path for
	// scoring, which need not compute the whole distribution.
	LogProb(x Token) float64
	// CopyTo makes dst an independent copy of this state. dst must come from
	// NewState of the same Model; reusing it avoids allocation (beam search).
	CopyTo(dst State)
	// Reset returns the state to the empty history.
	Reset()
	// Len is the number of tokens appended since the last Reset. Families
	// with a bounded context may remember fewer; Len still counts them all.
	Len() int
}

// Scorer is an optional interface for models that score a whole sequence
// faster than token by token (a Transformer scores all positions of a window
// in one pass).
type Scorer interface {
	// ScoreSequence writes into dst[i] the log-probability, in nats, of
	// xs[i] given the state's history followed by xs[:i], then leaves the
	// state conditioned on all of xs. len(dst) must equal len(xs).
	ScoreSequence(st State, xs []Token, dst []float64)
}
