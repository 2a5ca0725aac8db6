// Package exact is the bit-exact specification of the network pieces
// autoreg computes: each function's doc comment states its float32
// operations in order, with every rounding, so its result is the same bits
// on every platform (amd64 with or without assembly, arm64, 32-bit ARM),
// build tag and GOMAXPROCS. The compressor needs this: its encoder and
// decoder must compute identical probabilities on different machines
// (docs/COMPRESSION.md), both for trained models (the gpt and rnn
// families' NewExactState) and for the networks lmzip trains online.
//
// A piece has exactly two implementations in autoreg: the one here, and the
// fast fused kernels of training and inference (nn and internal/kernels:
// FMA, other summation orders, parallel rows). Tests tie both to one
// definition: the pieces here against float64 references and their
// backward passes against finite differences; the fast kernels against
// the pieces here within their stated error bounds (fast_test.go). A third
// copy of a piece's math anywhere else is a bug waiting for the copies to
// disagree.
//
// # Layout
//
// One file per piece, its forward and its backward together, destination
// first, shapes in comments:
//
//	linear.go     Linear (rows of x·Wᵀ + b), its gradients, Add (residuals)
//	lstm.go       LSTM cell, gate order [i f g o]
//	gru.go        GRU cell, blocks [r z n]
//	layernorm.go  LayerNorm
//	gelu.go       GELU (GPT-2's tanh form)
//	gated.go      gated activation tanh(a)⊙σ(b) (WaveNet, PixelCNN)
//	softmax.go    Softmax, LogSoftmax, their gradients
//	attention.go  one causal attention step: a query over a KV cache
//
// A new piece (a causal dilated convolution step, the logistic CDF of a
// discretized logistic mixture) gets a file of its own with its forward,
// its backward, a float64 reference test, a finite-difference test and an
// entry in the golden hash (exact_test.go); its fast twin, if any, gets a
// test in fast_test.go.
//
// # Rules
//
// The primitives are internal/kernels' exact kernels, the only code with
// assembly: ExactDot and ExactMatVec (32 partial sums in a fixed order,
// every product rounded to float32 before it is added), ExactAxpy,
// ExactMatTVecAdd, ExactOuterSum, ExactSum, and the float32 functions
// ExactExp, ExactLog, ExactSigmoid, ExactTanh. Everything else is one
// correctly rounded IEEE operation (+, −, ×, ÷, square root) at a time:
// a product that meets a sum is written float32(a*b) + c, which forbids
// the fused multiply-add Go emits on arm64. Nothing runs in parallel.
package exact
