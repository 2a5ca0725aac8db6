// Package server serves autoreg models over HTTP: the OpenAI legacy
// completions API (POST /v1/completions, with Server-Sent Events
// streaming), forecasts of real-valued models, the model list, tokenize
// and detokenize endpoints, health, Prometheus metrics, and a playground
// page embedded in the binary.
//
// The handlers program against the seam ([autoreg.Model],
// [autoreg.State]) and the library: sampling is package decode (its
// Config, processors, beam search and stop strings), the log-probabilities
// of an echoed prompt are package eval's per-token scores, so they are
// bit-identical to what `autoreg eval` sums; forecasts are package
// forecast's sample paths and quantiles, as `autoreg forecast` computes
// them. Any family the model file format holds can be served; none is
// imported here.
//
// # API
//
//	POST /v1/completions   OpenAI's legacy completions schema, plus every
//	                       `autoreg sample` processor under its flag's name
//	                       (top_k, min_p, dry_multiplier, beams, control...)
//	GET  /v1/models        the loaded models: family, vocabulary, context,
//	                       parameter count
//	POST /v1/forecast      real-valued models: sample paths continuing a
//	                       history, their mean and quantiles per step
//	POST /tokenize         text → token ids (and pieces)
//	POST /detokenize       token ids → text
//	GET  /health           503 while the models load, then 200
//	GET  /metrics          Prometheus text format (version 0.0.4)
//	GET  /                 the playground
//
// Streaming follows OpenAI's Server-Sent Events: one `data: {json}` event
// per generated token, flushed at once, a final event per choice with its
// finish_reason, `data: [DONE]` at the end, and comment lines as
// keep-alives while nothing else is sent. A client that disconnects stops
// its generation before the next token.
//
// # Concurrency and determinism
//
// A request takes one of Options.Parallel slots; up to Options.Queue more
// wait for one, and any request beyond that is answered at once with 503
// and Retry-After. Requests carry a deadline (Options.Timeout).
//
// The sequences being generated with one model share one batched forward
// pass per token when the model implements [autoreg.Stepper] (package
// gpt's does): each sequence's next token joins the step of every other
// sequence waiting for one. Because a Stepper gives every state exactly
// the bits it would get alone, the same request with the same seed gives
// the same tokens whatever else is running. With n > 1, choice i samples
// with seed + i.
//
// # Security
//
// The handlers read no file a request names: models are resolved only
// among those loaded with [Server.Add]. Request bodies and prompts are
// bounded (Options.MaxBodyBytes, MaxPromptTokens, MaxTokens,
// MaxSequences); every bad request gets a JSON error with a 4xx status in
// OpenAI's error format. An optional bearer key (Options.APIKey) guards
// every endpoint but /health and the playground page.
package server
