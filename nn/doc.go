// Package nn holds the layers of the neural families as pairs of plain
// functions, Forward and Backward, over flat float32 slices, in the style of
// Karpathy's llm.c: destination first, then inputs, then weights, then
// shapes; shapes are written in comments as (B,T,C); every Backward
// ACCUMULATES into its gradient arguments (+=), so gradients of a value used
// twice (a residual stream, a tied embedding) add up without extra code, and
// the caller zeroes gradients once per step.
//
// Layers: token and position embeddings (Embedding, Encoder), linear maps
// (Linear), layer normalization (LayerNorm, Ba et al. 2016), the GELU MLP of
// GPT-2 (GELU in tanh form, Hendrycks and Gimpel 2016), causal multi-head
// self-attention (Vaswani et al. 2017), an encoder's bidirectional
// self-attention and a decoder's cross-attention over padded sequences
// (SelfAttention, CrossAttention), softmax cross-entropy with an ignore
// index (CrossEntropy), inverted dropout (Srivastava et al. 2014) driven by
// an explicit seeded generator, and residual additions. Weight tying (Press
// and Wolf 2017) needs no layer of its own: the output projection passes
// the embedding table as its weight and its gradient as dweight, so both
// uses accumulate into the same gradient. Head keeps the Transformer
// families' shared output stage (final LayerNorm, tied logits,
// cross-entropy) and its activations in one place.
//
// Recurrent cells (LSTMCell, GRUCell) advance one time step of a batch;
// LogSoftmaxRow, LogProbRow and SoftmaxRow score one row of logits at
// inference.
//
// The arithmetic is done by internal/kernels (GEMM, row kernels); parallel
// loops split outputs, never reductions, and every reduction runs in a fixed
// order, so results are bit-identical for any GOMAXPROCS. Each Backward is
// checked against central finite differences in the tests.
//
// These are the layers as a reader meets them. The training and scoring
// passes of the families run faster forms of some of them from
// internal/fused (backward passes that overwrite instead of accumulating,
// padded rows, a bias fused into the next operation), each held by its
// tests to the same values as the composition of layers here.
package nn
