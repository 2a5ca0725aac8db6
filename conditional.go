package autoreg

// Conditional is an optional interface of models that condition on a
// source sequence besides the history, P(y_t | y<t, Encode(x)): an
// encoder-decoder reading a word to transcribe or a sentence to
// translate.
//
// Conditioning is a way to build a Model: Condition encodes the source once
// and returns the model of target sequences given it, whose States all see
// the source. Everything that programs against the seam — every sampler,
// beam search, reranking, stop strings, evaluation, compression — then works
// on the conditioned model unchanged. The Conditional model's own NewState
// is the target history given the empty source.
type Conditional interface {
	Model
	// SourceVocab describes the source's token space. It may be Vocab()
	// itself (a shared vocabulary).
	SourceVocab() Vocab
	// MaxSourceLen is the longest source Condition accepts, in tokens.
	MaxSourceLen() int
	// Condition returns the model of target sequences given src, which
	// may be empty. The source is encoded here, once: the returned model
	// and all of its States share the encoding. The States of all the
	// models Condition returns may be copied into each other (CopyTo
	// carries the source), so that one set of states serves source after
	// source, and when they are Steppers, the Step of any of them takes
	// the States of all of them (the beams of many sources in one
	// batched pass). It fails on a source longer than MaxSourceLen or
	// with ids outside SourceVocab.
	Condition(src []Token) (Model, error)
}

// BatchConditional is an optional interface of a Conditional model that
// encodes many sources in batched passes: ConditionBatch returns what
// Condition would for each source, bit for bit.
type BatchConditional interface {
	Conditional
	ConditionBatch(srcs [][]Token) ([]Model, error)
}

// ConditionAll conditions c on every source: in batched passes when c is
// a BatchConditional, one by one otherwise (as io.Copy uses WriterTo).
func ConditionAll(c Conditional, srcs [][]Token) ([]Model, error) {
	if b, ok := c.(BatchConditional); ok {
		return b.ConditionBatch(srcs)
	}
	out := make([]Model, len(srcs))
	for i, s := range srcs {
		m, err := c.Condition(s)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}
