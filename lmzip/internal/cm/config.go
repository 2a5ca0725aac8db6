package cm

// A Predictor is an online model of the next byte that the mixer takes as
// one more input (the neural networks of package online): P12 gives the
// probability that the next bit is 1, in 12 bits, given the bits of the
// byte coded so far (c0, with a leading 1); Update learns the byte c once
// it is coded and predicts the next one.
type Predictor interface {
	P12(c0 uint32) uint32
	Update(c byte)
}
