// Package modeltest is the conformance suite of the seams (package
// autoreg's Model, State and Scorer for tokens; RealModel and RealState
// for real values) and of tokenizers: one set of checks that every model
// family's tests and every tokenizer's tests run, in the manner of gonum's
// testblas. A family's test builds a small model, trains it a few steps so
// that its distributions are far from uniform, and calls TestModel (token
// families) or TestRealModel (real-valued ones) with options stating what
// the family promises; a tokenizer's test calls TestTokenizer.
//
// # The contract TestModel checks
//
// The suite walks a few histories (Options.Histories; by default <s> then
// ordinary tokens, and tokens drawn from the whole vocabulary) one token at
// a time on a new state and records the distribution after every prefix,
// the empty one included: the reference every check compares with. It
// also records the scoring loop's LogProb(x) before each Append(x). Each
// check is a subtest named by its Check:
//
//   - distribution: every recorded distribution holds no NaN and no
//     positive log-probability, and Σ exp(LogProbs) is within SumTol
//     (default 1e-5) of 1. With BOSImpossible, <s> gets −Inf after every
//     history. The seam does not demand that: vocab.go calls <s> context
//     only, never a target, and autoreg.go gives −Inf to impossible tokens;
//     an n-gram model never predicts <s> (−Inf), while a neural family's
//     softmax over the whole vocabulary gives it a small probability, and
//     decoders ban it themselves. At least one distribution must spread
//     over 0.5 nats (largest minus smallest finite log-probability): on a
//     nearly uniform model the checks cannot tell tokens apart.
//   - logprob: after every prefix, LogProb(x) of every token (a sample of 64
//     and the specials in a vocabulary above 512) agrees with LogProbs[x]
//     within LogProbTol, asked before LogProbs has run and after; on the
//     scoring loop too. With a zero tolerance float32(LogProb(x)) must have
//     LogProbs' bits. LogProb is never NaN or positive, and calling it does
//     not change what LogProbs returns (bit for bit).
//   - len: Len counts tokens appended one at a time and in one call, an
//     empty Append adds none, CopyTo copies it and Reset zeroes it (a family
//     with a bounded context still counts every token).
//   - append: appending a history in one call, in three calls, and in calls
//     with an empty one among them, gives the distributions of appending it
//     one token at a time, within AppendTol.
//   - step (models implementing autoreg.Stepper, on NewState's states):
//     states of every history, started at a third and at half of it and
//     at its start, advance through Step in random subsets and orders
//     until each reaches its history's end, and after every step each
//     predicts the distribution of appending one token at a time, bit for
//     bit, whatever shared its batch.
//   - copy: a copy (into a state that held another history) reproduces its
//     source bit for bit and continues along the reference when the source
//     moves on; the source, too, continues bit for bit when its copy moves
//     on; a copy of an empty state is the empty history.
//   - reset: a state reset after other histories, and after receiving a
//     copy, predicts what a new state does and continues along the
//     reference, bit for bit.
//   - score (models implementing autoreg.Scorer): from each start in
//     ScoreStarts (default 0, 1 and half the history) ScoreSequence over the
//     history but its last three tokens agrees with the scoring loop within
//     ScoreTol, leaves Len right, and leaves a state that continues along
//     the reference within ScoreTol.
//   - teacher (with Options.Teacher): the family's teacher-forced
//     log-probabilities, the training path, agree with the scoring loop
//     within TeacherTol over the first TeacherLen tokens.
//   - twin (with Options.Twin): the distributions of a second kind of state
//     of the same model (the fast path beside a bit-exact one) agree with
//     the tested ones within TwinTol along every history.
//   - allocs: the generation and scoring loop (LogProb, Append of one token
//     through a reused slice, LogProbs into a reused buffer) with CopyTo
//     into a used state and Reset allocates nothing in steady state, under
//     each GOMAXPROCS of Procs: after a garbage collection and a warm-up
//     pass, one of three windows of steps must allocate fewer than one
//     object per ten steps (a sync.Pool refilling passes, an allocation per
//     token fails). Skipped under the race detector.
//   - procs: every path above (token by token, one long Append, the scoring
//     loop, ScoreSequence, the teacher) gives the same bits under each
//     GOMAXPROCS of Procs (default 1, 2 and 4) as under the current one.
//   - saveload (with Options.SaveLoad): the model written and read back has
//     the same vocabulary and gives the same bits along every history.
//   - misuse: Append of an id outside the vocabulary panics, as the seam's
//     contract says.
//   - bitexact: with Options.BitExact the state or its model reports
//     BitExactLogProbs() true; with Options.Golden the bits of every
//     distribution (float64 little-endian, history by history, prefix by
//     prefix, through SHA-256) equal the golden hash.
//
// # Tolerances
//
// A Tol compares a tested log-probability a with its reference b: they
// agree when |a − b| ≤ Tol·max(1, |b|). The zero Tol, the default, demands
// identical bits, which is what a family promises unless its test states
// otherwise: every tolerance in a family's test is a documented departure.
// Copies, resets, GOMAXPROCS and save/load are always held to identical
// bits. A bit-exact state (Options.BitExact, or a state or model that
// reports BitExactLogProbs) is held to identical bits on every comparison
// between two of its own paths (LogProb, long Appends, ScoreSequence),
// whatever the options say; its teacher and twin are other arithmetic and
// keep their tolerances. The checks log the largest difference they saw,
// so a family's tolerance can be kept a small multiple of it.
//
// # Conditional models
//
// TestConditional checks what an autoreg.Conditional promises beyond each
// conditioned model being a Model (a family runs TestModel on
// c.Condition(src) for that). It conditions on a few sources
// (ConditionalOptions.Sources; by default the empty one and four of
// ordinary tokens up to MaxSourceLen long), walks one target history on
// each, and checks, bit for bit throughout:
//
//   - condition: conditioning again on a source gives the same
//     distributions, Condition leaves its source unchanged, the model's
//     own NewState is the empty source's, and a source longer than
//     MaxSourceLen or holding an id outside SourceVocab is refused.
//   - sources: some two sources give different distributions (a model
//     that ignored its source would pass every other check).
//   - batch (autoreg.BatchConditional): ConditionBatch gives for each
//     source what Condition gives, in either order; an empty batch gives
//     nothing; a batch holding an invalid source fails.
//   - crosscopy: a state of one source's model copied into a state of
//     another's carries its source: the copy, and the original, continue
//     along the first source's reference.
//   - crossstep (conditioned models implementing autoreg.Stepper): the
//     Step of one conditioned model advances states of every source
//     together, as the step check demands of one model's states.
//
// # Tokenizers
//
// TestTokenizer checks ids (ordinary or <unk> only, Unknown counting the
// <unk> tokens), the round trip (decoding an encoding without unknown
// symbols and encoding again gives the same tokens; with Lossless the
// decoded text is the input), streaming (text cut at random points, encoded
// twice, with an encoder reused after Flush: the same tokens or error),
// names (distinct, without white space, Lookup inverting Word, specials
// named as the root names them and rendering no text) and save/load. It
// takes the tokenizer through a generic interface, so that package
// tokenize's own tests can use it without an import cycle.
//
// # The real-valued seam
//
// TestRealModel walks a few series (RealOptions.Histories: whole steps in
// the data's units, missing values allowed) one step at a time and records
// a fingerprint of each prediction: per dimension the mean, the CDF at the
// mean, and the quantiles at 5, 25, 50, 75 and 95% with the log-density at
// each. Its checks, subtests named by their Check:
//
//   - distribution: every prediction is a distribution: the density is
//     finite at the mean, quantiles do not decrease, CDF(Quantile(p)) = p
//     within 1e-9 (continuous families), and after 0, 1, half and all of
//     the steps the density integrates to 1 within 1e-5 (Simpson's rule
//     over [Q(1e-7), Q(1−1e-7)]) or the bin masses sum to 1 within 1e-9
//     (gridded ones). Some prediction must differ from the empty history's.
//   - len, append (within AppendTol), copy, reset: as for tokens, on steps.
//   - missing: a step with missing values (all of it, and each value alone)
//     predicts next, bit for bit, what the step with the predictive means
//     in their place predicts, at the start of a history and later, and
//     one step after.
//   - teacher (with RealOptions.Teacher): the family's training-path
//     log-densities agree with the states' within TeacherTol, wherever the
//     training path scores a step.
//   - allocs: Predict, LogProb and Append of one step, CopyTo and Reset
//     allocate nothing in steady state, under each GOMAXPROCS of Procs.
//   - procs: step by step, one long Append and the teacher give the same
//     bits under GOMAXPROCS 1, 2 and 4.
//   - saveload (with RealOptions.SaveLoad): the same bits after a round trip.
//   - misuse: Append of an infinite value, or of values that are not whole
//     steps, panics.
//
// # One implementation of the shared checks
//
// The checks that do not depend on what a state predicts (len, append,
// copy, reset, procs, saveload, allocs) are written once in seam.go over a
// seam[S, H]: a state type S, a history type H, and a prediction
// fingerprint (a token state's log-probabilities; a real-valued state's
// quantiles and densities). TestModel and TestRealModel each build a seam
// for their state type and add the checks of their own distributions;
// TestConditional builds one per conditioned model.
package modeltest
