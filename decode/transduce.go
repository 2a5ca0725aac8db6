package decode

import (
	"context"

	"github.com/autoreg/autoreg"
)

// Transducer decodes the best outputs of batches of sources with a
// conditional model (an encoder-decoder): a beam search of width
// max(cfg.Beams, 1) on each source from a prompt (typically <s> alone).
// The sources of a batch are encoded in batched passes when the model is
// an autoreg.BatchConditional, and the beams of all of them advance
// together, one batched pass per step, when its conditioned models are
// autoreg.Steppers (BeamSearchBatch): each source gets what it would
// alone. The beams' states are reused from batch to batch (the
// conditioned models of one autoreg.Conditional copy into each other's
// states), so a warm Transducer allocates little beyond the encodings. A
// Transducer is used by one goroutine at a time.
type Transducer struct {
	c        autoreg.Conditional
	prompt   []autoreg.Token
	cfg      Config
	searches []*beamSearch
	models   []autoreg.Model
}

// NewTransducer checks cfg and returns a transducer for c.
func NewTransducer(c autoreg.Conditional, prompt []autoreg.Token, cfg Config) (*Transducer, error) {
	cfg.Beams = max(cfg.Beams, 1)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckVocab(c.Vocab()); err != nil {
		return nil, err
	}
	return &Transducer{c: c, prompt: append([]autoreg.Token(nil), prompt...), cfg: cfg}, nil
}

// Transduce decodes srcs; results[i] holds source i's best outputs, best
// first. d, if not nil, renders their Text. Callers bound the memory by
// the number of sources per call.
func (t *Transducer) Transduce(ctx context.Context, srcs [][]autoreg.Token, d Detokenizer) ([][]Result, error) {
	models, err := autoreg.ConditionAll(t.c, srcs)
	if err != nil {
		return nil, err
	}
	for i, m := range models {
		if i < len(t.searches) {
			if err := t.searches[i].start(m, t.prompt, t.cfg); err != nil {
				return nil, err
			}
			continue
		}
		b, err := newBeamSearch(m, t.prompt, t.cfg)
		if err != nil {
			return nil, err
		}
		t.searches = append(t.searches, b)
	}
	return runBeams(ctx, models, t.searches[:len(models)], t.cfg, d)
}

// Transduce decodes srcs with a new Transducer (see there).
func Transduce(ctx context.Context, c autoreg.Conditional, srcs [][]autoreg.Token, prompt []autoreg.Token, cfg Config, d Detokenizer) ([][]Result, error) {
	t, err := NewTransducer(c, prompt, cfg)
	if err != nil {
		return nil, err
	}
	return t.Transduce(ctx, srcs, d)
}
