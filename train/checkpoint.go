package train

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/optim"
	"github.com/autoreg/autoreg/tokenize"
)

// Checkpoint section tags (extra sections of a model file).
const (
	TagOptimizer = "OPTM" // AdamW moments and step (optim.AdamW.MarshalBinary)
	TagState     = "TRST" // trainer state: options, step, RNG states, data position, history (JSON)
	TagCarry     = "CARY" // recurrent models: the carried hidden state (u64 count, f32 values)
)

// Sections returns the extra model-file sections that make a checkpoint
// resumable.
func (t *Trainer) Sections() ([]modelfile.Section, error) {
	opt, err := t.Opt.MarshalBinary()
	if err != nil {
		return nil, err
	}
	st, err := t.MarshalState()
	if err != nil {
		return nil, err
	}
	secs := []modelfile.Section{{Tag: TagOptimizer, Data: opt}, {Tag: TagState, Data: st}}
	if r, ok := t.Model.(Recurrent); ok {
		c := r.Carry(t.Opts.Batch)
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(c)))
		for _, f := range c {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
		secs = append(secs, modelfile.Section{Tag: TagCarry, Data: b})
	}
	return secs, nil
}

// Save writes the model to path atomically as a model file with meta and
// tok (nil for a RealModel, whose file has no tokenizer); with resumable
// set it adds the checkpoint sections.
func (t *Trainer) Save(path string, meta modelfile.Meta, tok tokenize.Tokenizer, resumable bool) error {
	return t.SaveFile(path, modelfile.File{Meta: meta, Tokenizer: tok}, resumable)
}

// SaveFile is Save with the file's other parts (meta, tokenizers) given in
// f; the trainer sets the model and the checkpoint sections.
func (t *Trainer) SaveFile(path string, file modelfile.File, resumable bool) error {
	f := &file
	f.Model, f.Real, f.Extra = nil, nil, nil
	switch m := t.Model.(type) {
	case Model:
		f.Model = m
	case PairModel:
		f.Model = m
	case RealModel:
		f.Real = m
	}
	if resumable {
		secs, err := t.Sections()
		if err != nil {
			return err
		}
		f.Extra = secs
	}
	return modelfile.Write(path, f)
}

// Resume rebuilds a trainer from a checkpoint read by modelfile.Read: the
// model with its weights, the optimizer moments, the generators, the data
// position and the history. The options are the checkpoint's.
func Resume(f *modelfile.File) (*Trainer, error) {
	var m Trainable
	switch {
	case f.Real != nil:
		if r, ok := f.Real.(RealModel); ok {
			m = r
		}
	default:
		switch tm := f.Model.(type) {
		case Model:
			m = tm
		case PairModel:
			m = tm
		}
	}
	if m == nil {
		return nil, fmt.Errorf("train: %s models cannot be trained", f.Meta.Family)
	}
	opt, st := f.ExtraSection(TagOptimizer), f.ExtraSection(TagState)
	if opt == nil || st == nil {
		return nil, errors.New("train: not a checkpoint (no optimizer or trainer state; was it written with --resume support?)")
	}
	var s state
	if err := json.Unmarshal(st, &s); err != nil {
		return nil, fmt.Errorf("train: bad trainer state: %v", err)
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("train: trainer state version %d, this build reads 1", s.Version)
	}
	if err := s.Options.defaults(); err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Opts: s.Options, Step: s.Step, Tokens: s.Tokens,
		Elapsed: time.Duration(s.Elapsed * float64(time.Second)), BestVal: math.NaN(),
		History: s.History, pos: s.Pos, epoch: s.Epoch}
	if s.BestVal != nil {
		t.BestVal = *s.BestVal
	}
	if s.Step < 0 || s.Step > s.Options.Steps || s.Pos < 0 || s.Epoch < 0 {
		return nil, fmt.Errorf("train: bad trainer state: step %d of %d", s.Step, s.Options.Steps)
	}
	t.Opt = optim.NewAdamW(m.Arena(), 0)
	if err := t.Opt.UnmarshalBinary(opt); err != nil {
		return nil, err
	}
	t.dataSrc, t.dropSrc = &rand.PCG{}, &rand.PCG{}
	if err := t.dataSrc.UnmarshalBinary(s.DataRNG); err != nil {
		return nil, fmt.Errorf("train: bad data generator state: %v", err)
	}
	if err := t.dropSrc.UnmarshalBinary(s.DropRNG); err != nil {
		return nil, fmt.Errorf("train: bad dropout generator state: %v", err)
	}
	t.exp.src = newExposureSource(s.Options.Seed)
	if s.ExpoRNG != nil {
		if err := t.exp.src.UnmarshalBinary(s.ExpoRNG); err != nil {
			return nil, fmt.Errorf("train: bad exposure generator state: %v", err)
		}
	}
	if err := checkSampling(m, t.Opts); err != nil {
		return nil, err
	}
	if err := checkNoise(m, t.Opts); err != nil {
		return nil, err
	}
	if err := checkMRT(m, t.Opts); err != nil {
		return nil, err
	}
	if r, ok := m.(Recurrent); ok {
		c := f.ExtraSection(TagCarry)
		dst := r.Carry(t.Opts.Batch)
		if len(c) < 8 || binary.LittleEndian.Uint64(c) != uint64(len(dst)) || len(c) != 8+4*len(dst) {
			return nil, errors.New("train: checkpoint's carried state does not fit the model")
		}
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(c[8+4*i:]))
		}
	}
	t.init()
	return t, nil
}

// Checkpoint is a training run read back from its checkpoint file, ready
// to continue: Trainer.Run picks up at the step after the checkpoint's,
// given the same training data.
type Checkpoint struct {
	Trainer   *Trainer
	Tokenizer tokenize.Tokenizer
	// Meta is the file's header (family, configuration, training record).
	Meta modelfile.Meta
	// Mode and Control are how the run reads its text (from Meta): the
	// training data must be read the same way to continue it.
	Mode    corpus.Mode
	Control corpus.Control
}

// ReadCheckpoint reads a checkpoint that Trainer.Save wrote with its
// resumable sections (of a token model or a real-valued one). Errors name
// the file.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, err := modelfile.ReadAny(path)
	if err != nil {
		return nil, err
	}
	t, err := Resume(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ck := &Checkpoint{Trainer: t, Tokenizer: f.Tokenizer, Meta: f.Meta}
	if f.Meta.Mode != "" {
		if ck.Mode, err = corpus.ParseMode(f.Meta.Mode); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if ck.Control, err = corpus.ParseControl(f.Meta.Control); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}
