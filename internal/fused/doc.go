// Package fused holds the fast forms of nn's layers that the training and
// scoring passes of the neural families (gpt, rnn) run, and the parallel
// loops nn and they share. Each form computes what a composition of nn's
// plain layers computes, in fewer passes over the activations, and the
// tests hold it to that composition bit for bit:
//
//   - Set backward passes overwrite their input gradient instead of
//     accumulating into it (no pass to clear the buffer first).
//   - Strided forms take activations whose rows are a padded stride apart
//     (PaddedStride), which keeps the rows of a wide activation off the
//     same cache sets.
//   - Sum backward passes also add the column sums of the gradient they
//     produce (the bias gradient of the linear layer before them) while the
//     rows are in cache.
//   - Bias epilogues add a linear layer's bias in the pass of the operation
//     that follows it (GELU; dropout and the residual connection).
//
// The loops split the output, never a reduction, so every result is the
// same for any GOMAXPROCS. A reader learning the models reads nn; this
// package is where the training step's speed comes from.
package fused
