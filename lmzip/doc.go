// Package lmzip compresses bytes losslessly with an autoregressive model
// driving an arithmetic coder: a symbol of probability p costs −log2 p bits,
// so a file costs its cross-entropy under the model (Shannon 1948; Rissanen
// and Langdon, "Arithmetic coding", 1979; the view of compression as
// prediction of Bell, Cleary and Witten, "Text Compression", 1990).
//
// Two modes share one container format (docs/COMPRESSION.md):
//
//   - static: a trained model (any [autoreg.Model] with a [Tokenizer])
//     identified by the SHA-256 of its model file; the decoder needs the
//     same file. Bytes the tokenizer does not reproduce go through a literal
//     channel with a small adaptive model, so every input round-trips.
//   - adaptive: no model file; a bitwise context-mixing model in the manner
//     of the PAQ family (Mahoney 2005) starts empty and learns as it codes,
//     and the decoder replays the same learning. Architectures
//     ([AdaptiveArchs]): "fast" (the default: content analysis,
//     machine-code transforms, three contexts per kind and a match model,
//     at about 1 MB/s), "ngram" (the default before fast, byte contexts
//     only), "balanced" (more contexts and a second mixing neuron, about
//     half fast's speed), "mix" (stronger), and "lstm" and "gpt", mix with
//     an online LSTM or transformer as one more input (in the manner of
//     lstm-compress, cmix and NNCP).
//
// The container streams ([NewWriter], [NewReader]): blocks of up to 1 MiB,
// each coded or stored (whichever is smaller), with CRC-32C checksums, an end
// marker and the total length, so stdin needs no length up front, memory is
// bounded and damage or a wrong model is reported, never a panic.
//
// The decoder must compute the encoder's probabilities bit for bit on every
// machine. Context mixing is integer arithmetic throughout; the online
// networks compute in floats whose every rounding internal/exact
// specifies; static models reach the coder through an exact integer table
// ([CDFer]), through log-probabilities the family declares bit-exact
// ([BitExact]) and lmzip quantizes with integer code ([QuantizeLogProbs]),
// or, failing both, on a path tied to the platform recorded in the header.
//
// This package is the container and the codecs' plumbing (the static
// codec and its literal channel, the adaptive codec); context mixing is
// lmzip/internal/cm, the online networks lmzip/internal/online, and the
// frozen revision-1 networks that older files need lmzip/internal/legacy.
package lmzip
