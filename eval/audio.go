package eval

import (
	"context"
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/tokenize"
)

// AudioOptions configures Audio. The zero value scores every sample of
// every file.
type AudioOptions struct {
	// Tail, in (0, 1], scores only the last Tail of each file's frames
	// (those from frame round((1 − Tail)·frames) on), conditioned on the
	// frames before them; 0 means 1, the whole file. A held-out end of a
	// clip is scored this way with the true past as its context.
	Tail float64
	// Control gives each file its control code, as in training (a model
	// file's Meta.Control).
	Control corpus.Control
	// Progress, if not nil, receives the bytes read so far.
	Progress corpus.Progress
}

// AudioResult is what Audio measured.
type AudioResult struct {
	Files   int
	Samples int64   // samples scored (frames × channels)
	Context int64   // samples read as context only (before the tail)
	Seconds float64 // duration of the scored frames
	NLL     float64 // negative log-likelihood of the scored samples, nats
}

// BitsPerSample is the NLL in bits per scored sample (16 is raw 16-bit
// PCM, 8 raw μ-law).
func (r AudioResult) BitsPerSample() float64 { return r.NLL / math.Ln2 / float64(r.Samples) }

// JSON returns the result's fields as a map for encoding.
func (r AudioResult) JSON() map[string]any {
	return map[string]any{"files": r.Files, "samples": r.Samples, "context_samples": r.Context,
		"seconds": r.Seconds, "nll": r.NLL, "bits_per_sample": r.BitsPerSample()}
}

// Audio scores WAV files with a model of sound: each file is one sequence
// <s> [<ctl:TAG>] samples, read by tok, and every sample (of the tail)
// adds −log P(sample | everything before it in the file) to the NLL. The
// end-of-sequence token is not scored, so the result is a code length of
// the samples alone. Errors name the file.
func Audio(ctx context.Context, m autoreg.Model, tok tokenize.Sound, docs []corpus.Doc, opts AudioOptions) (AudioResult, error) {
	tail := opts.Tail
	if tail == 0 {
		tail = 1
	}
	if !(tail > 0 && tail <= 1) {
		return AudioResult{}, fmt.Errorf("eval: tail %g: want a fraction in (0, 1]", opts.Tail)
	}
	var r AudioResult
	ch, rate := tok.Audio().Channels, tok.Audio().Rate
	st := m.NewState()
	var done int64
	total := corpus.TotalSize(docs)
	for _, d := range docs {
		toks, ast, err := corpus.LoadAudio(ctx, []corpus.Doc{d}, tok, corpus.AudioOptions{Control: opts.Control})
		if err != nil {
			return r, err
		}
		samples := toks[len(toks)-1-int(ast.Samples) : len(toks)-1] // between the context and </s>
		frames := len(samples) / ch
		first := int(math.Round((1-tail)*float64(frames))) * ch
		st.Reset()
		st.Append(toks[:len(toks)-1-len(samples)]...)
		st.Append(samples[:first]...)
		for i, x := range samples[first:] {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return r, err
				}
			}
			r.NLL -= st.LogProb(x)
			st.Append(x)
		}
		r.Files++
		r.Samples += int64(len(samples) - first)
		r.Context += int64(first)
		r.Seconds += float64((len(samples)-first)/ch) / float64(rate)
		done += d.Size
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	return r, nil
}
