package ngram

// BitExactLogProbs reports that LogProbs and LogProb return identical bits on
// every platform and build: they add stored float32 values in float64 in a
// fixed order and multiply once by ln 10, with no fusable a*x+y, no math.Exp
// and no assembly. The compressor (package lmzip) relies on it to decode on
// another machine what one machine encoded (docs/COMPRESSION.md).
func (m *Model) BitExactLogProbs() bool { return true }
