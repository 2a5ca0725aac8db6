package corpus

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavfile"
)

// AudioOptions says how LoadAudio reads WAV files.
type AudioOptions struct {
	// Control gives each file whose tag the rule finds (parent-dir or
	// glob; line-prefix does not apply to sound) the tag's control code
	// after its <s>, as context.
	Control Control
	// Progress, if not nil, receives the bytes read so far.
	Progress Progress
}

// AudioStats counts what LoadAudio read.
type AudioStats struct {
	Files   int
	Frames  int64   // frames (one sample per channel) read
	Samples int64   // sample tokens: Frames × channels
	Seconds float64 // Frames at the tokenizer's rate
}

// ReadWAV reads the document as a WAV file (errors name it).
func ReadWAV(d Doc) (*wavfile.File, error) {
	r, release, err := d.open()
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := wavfile.Read(bufio.NewReaderSize(r, readSize))
	if err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", d.display(), errors.Unwrap(err))
	}
	return f, nil
}

// AudioShape reads the first document's header: the rate and channels an
// audio tokenizer for the corpus takes.
func AudioShape(docs []Doc) (tokenize.Audio, error) {
	if len(docs) == 0 {
		return tokenize.Audio{}, errors.New("corpus: no WAV file")
	}
	f, err := ReadWAV(docs[0])
	if err != nil {
		return tokenize.Audio{}, err
	}
	return tokenize.Audio{Rate: f.Format.SampleRate, Channels: f.Format.Channels}, nil
}

// LoadAudio reads WAV files into one token stream for a model of sound:
// each file is one sequence <s> [<ctl:TAG>] s₁ s₂ … </s>, its samples
// interleaved channel by channel and tokenized by tok. Every file must
// have the tokenizer's rate and channels; errors name the file.
func LoadAudio(ctx context.Context, docs []Doc, tok tokenize.Sound, opts AudioOptions) ([]autoreg.Token, AudioStats, error) {
	if opts.Control.Kind == ControlLinePrefix {
		return nil, AudioStats{}, errors.New("corpus: the line-prefix control rule does not apply to sound (use parent-dir or glob)")
	}
	var (
		out   []autoreg.Token
		st    AudioStats
		done  int64
		total = TotalSize(docs)
		v     = tok.Vocab()
	)
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		f, err := ReadWAV(d)
		if err != nil {
			return nil, st, err
		}
		out = append(out, v.BOS())
		if tag := opts.Control.docTag(d); tag != "" {
			if id, ok := v.Control(tag); ok {
				out = append(out, id)
			}
		}
		n := len(out)
		if out, err = tok.AppendWAV(out, f); err != nil {
			return nil, st, fmt.Errorf("corpus: %s: %w", d.display(), err)
		}
		out = append(out, v.EOS())
		st.Files++
		st.Samples += int64(len(out) - 1 - n)
		st.Frames += int64(f.Frames())
		done += int64(len(f.Data()))
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	st.Seconds = float64(st.Frames) / float64(tok.Audio().Rate)
	return out, st, nil
}
