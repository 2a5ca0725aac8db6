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
package decode
