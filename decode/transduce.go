package decode

import (
	"context"

	"github.com/autoreg/autoreg"
)

// Transduce decodes the best outputs of many sources with a conditional
// model (an encoder-decoder): a beam search of width max(cfg.Beams, 1) on
// each source from prompt (typically <s> alone), results[i] holding source
// i's best first. The sources are encoded in batched passes when c is an
// autoreg.BatchConditional, and the beams of all of them advance together,
// one batched pass per step, when its conditioned models are
// autoreg.BatchSteppers (BeamSearchBatch): each source gets what it would
// alone. Callers bound the memory by the number of sources per call.
func Transduce(ctx context.Context, c autoreg.Conditional, srcs [][]autoreg.Token, prompt []autoreg.Token, cfg Config, d Detokenizer) ([][]Result, error) {
	models, err := autoreg.ConditionAll(c, srcs)
	if err != nil {
		return nil, err
	}
	prompts := make([][]autoreg.Token, len(srcs))
	for i := range prompts {
		prompts[i] = prompt
	}
	cfg.Beams = max(cfg.Beams, 1)
	return BeamSearchBatch(ctx, models, prompts, cfg, d)
}
