// Package decode turns an autoregressive model into text: the sampler chain
// (logit processors acting on log-probabilities, then a seeded draw), beam
// search, sample-and-rerank, stop strings and streaming. It programs against
// the seam alone ([autoreg.Model], [autoreg.State], [autoreg.Vocab]), so
// every model family decodes the same way.
//
// # Processors
//
// Each processor transforms the scores of one step — the model's
// log-probabilities to begin with, −Inf marking a removed token — and its
// documentation states its formula and source:
//
//	Temperature        s ← s/T                          Ackley et al. 1985; HF, llama.cpp
//	TopK               keep the K most probable         Fan et al. 2018
//	TopP               smallest set with mass ≥ P        Holtzman et al. 2020 (nucleus)
//	MinP               keep p ≥ P·p_max                  Nguyen et al. 2024
//	TypicalP           |−log p − H| smallest, mass ≥ P   Meister et al. 2023
//	Epsilon            keep p ≥ ε                        Hewitt et al. 2022
//	Eta                keep p ≥ min(ε, √ε·e^{−H})        Hewitt et al. 2022
//	TopNSigma          keep s ≥ max − N·σ                Tang et al. 2024
//	RepetitionPenalty  ℓ ← θ·ℓ on repeated tokens        Keskar et al. 2019 (CTRL)
//	PresencePenalty    s ← s − α·[seen]                  OpenAI API; llama.cpp
//	FrequencyPenalty   s ← s − α·count                   OpenAI API; llama.cpp
//	NoRepeatNGram      ban tokens completing a seen N-gram  Paulus et al. 2018; fairseq, HF
//	LogitBias          s ← s + b                         OpenAI API; llama.cpp
//	DRY                s ← s − m·b^{L−A}                  p-e-w 2024 (text-generation-webui)
//	XTC                drop top choices but the last     p-e-w 2024 (text-generation-webui)
//	Mirostat           keep −log₂p ≤ μ, μ ← μ − η(s−τ)    Basu et al. 2021 (v2)
//	Greedy             keep the argmax
//
// Before the chain, classifier-free guidance (Config.CFGScale, below) may
// replace the model's log-probabilities by guided ones.
//
// A [Sampler] runs them in an explicit order (Config.Order, the
// --sampler-order flag): the presets "hf" (temperature first, then
// truncation, as Hugging Face generate) and "llama" (penalties and truncation
// first, temperature last, as llama.cpp; the default — see [DefaultOrder]),
// or any list of names. Every truncation keeps at least MinKeep tokens.
//
// # Determinism and cost
//
// Randomness comes only from a math/rand/v2 PCG generator seeded from
// Config.Seed; the draw is an inverse CDF over the tokens in play in a fixed
// order, and all arithmetic is single-threaded in a fixed order, so a seeded
// run is byte-identical on every run and for any GOMAXPROCS. Buffers are
// allocated once: steps allocate nothing. Truncations use partial selection
// (a bounded heap or quickselect, then sorting only the kept prefix), so a
// full chain costs a few passes over the vocabulary at most.
//
// # Search, stopping, streaming
//
// [BeamSearch] (width, Hugging Face's length penalty, early stopping,
// several results scored by the model's log-probability) recycles states
// through State.CopyTo. [Generator.Rerank] draws N samples and keeps the most
// probable. Generation stops at EOS, at stop strings matched on the rendered
// text across token boundaries (never emitted), after MaxTokens or MaxTime;
// [Generator.Generate] streams through a callback, [Generator.Stream]
// through a channel. Rendering goes through the small [Detokenizer]
// interface that the tokenizers satisfy.
//
// # Classifier-free guidance
//
// Classifier-free guidance (Sanchez et al. 2023, "Stay on topic with
// Classifier-Free Guidance", after Ho & Salimans 2021; Hugging Face
// generate's guidance_scale and negative_prompt_ids, llama.cpp's --cfg-scale
// and --cfg-negative-prompt) runs a second model state, the negative branch,
// beside the generator's own. With lp the model's log-probabilities given
// the conditioned prompt and ln those of the negative branch, the scores
// handed to the sampler chain at each step are
//
//	s = log-softmax(ln + γ·(lp − ln)),   γ = [Config.CFGScale],
//
// which is Hugging Face's formula applied to log-softmaxed scores, then
// renormalized so that the chain sees a distribution as it would a model's:
// p_guided ∝ p_pos^γ · p_neg^(1−γ). γ > 1 pushes away from the negative
// branch, γ in (0, 1) interpolates between the two; 0 and 1 turn guidance
// off (0 keeps the zero Config neutral; purely negative sampling is plain
// sampling under the negative condition). Validate wants γ finite and ≥ 0.
// Each step costs two model steps.
//
// The negative condition is built like the positive one (see
// [Generator.Condition] and [Generator.NegativeCondition]): its prompt is
// Config.CFGNegativePrompt when that is non-empty (it replaces the prompt,
// as Hugging Face's negative_prompt_ids do), otherwise the prompt itself,
// and its control code is Config.CFGNegativeControl, or none when that is
// empty, inserted after a leading BOS:
//
//	<s> [<ctl:NEG>] negative-prompt-or-prompt
//
// So `--control test --cfg-scale 1.5 --cfg-negative-control code` steers
// toward "test" and away from "code", and `--control test --cfg-scale 1.5`
// away from the untagged model. Validate rejects a negative branch that
// would equal the positive one (no negative prompt, and the same control
// code or none on both sides). Unlike Hugging Face's default (without
// negative_prompt_ids its unconditional branch sees only the last prompt
// token), the negative branch sees the whole prompt unless told otherwise.
//
// Both states get every sampled token. Edge cases, where the formula reads
// ∞ − ∞: a token that the model rules out (lp = −∞) stays out, whatever
// ln; context-only tokens (Config.SampleSpecials) are out before guidance;
// a token the negative branch alone rules out (ln = −∞, lp finite) is the
// limit of the formula as its p_neg → 0: out for γ < 1, and for γ > 1 the
// guided distribution is concentrated on such tokens, in proportion to
// p_pos^γ.
//
// Result.LogProb (and so the ranking of Generator.Rerank) stays the model's
// own log-probability of the generated tokens under the positive condition,
// Σ lp, not the guided score. Beam search does not guide (Validate rejects
// CFGScale with Beams > 1). The penalties see the positive condition's
// history. Steps allocate nothing: the second state and buffers are made
// by NewGenerator; the guided scores are computed in float64 per token with
// a fixed-order sum, so seeded runs stay byte-identical. A GPT pins each
// state's own control code when its window slides, so the negative branch
// keeps its code in long generations.
package decode
