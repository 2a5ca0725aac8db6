package cm

// Config is the context-mixing part of an adaptive configuration; lmzip's
// AdaptiveConfig documents and checks the fields.
type Config struct {
	Orders   []int // byte-context orders besides 0: 1 direct, 2..8 hashed
	Word     bool  // two word contexts
	Match    int   // the match model's minimum length (0 = none)
	HashBits int   // log2 of the 64-byte buckets per hashed context
	Limit    int   // the counters' count limit
	LR       int   // the mixers' learning rate
	Mixers   int   // 1 or 3
	APM      int   // SSE stages, 0..2
}

// Memory is the model's approximate memory use in bytes without its
// predictors (address space; the order-2 table is touched only where
// contexts occur).
func (c Config) Memory() int64 {
	nh := 0
	var m int64 = (256 + 1<<17) * 4
	for _, o := range c.Orders {
		if o >= 2 {
			nh++
		}
	}
	if c.Word {
		nh += 2
	}
	m += int64(nh) * 64 << c.HashBits
	if c.Match > 0 {
		m += 1<<matchBufBits + 4<<matchTabBits
	}
	if c.APM >= 2 {
		m += 65536 * 33 * 2
	}
	return m
}

// A Predictor is an online model of the next byte that the mixer takes as
// one more input (the neural networks of package online): P12 gives the
// probability that the next bit is 1, in 12 bits, given the bits of the
// byte coded so far (c0, with a leading 1); Update learns the byte c once
// it is coded and predicts the next one.
type Predictor interface {
	P12(c0 uint32) uint32
	Update(c byte)
}
