package gpt

import (
	"errors"
	"fmt"
	"io"

	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Payload format (the MODL section of a model file, see docs/FORMATS.md):
// the neural payload framing of package internal/payload, magic
// "ARGGPT\x00\x00", five configuration integers: layers, dim, heads,
// context, vocab base. A token model is version 1; a real-valued model is
// version 2, with vocab base 0 and the real block after the header; a
// model of images is version 3, whose three more integers are the image's
// height, width and channels (and whose arena adds their three embedding
// tables). The weights are the flat parameter arena in the layout New
// (NewReal) declares (views in order, each aligned to 16 floats).
var format = payload.Format{Magic: "ARGGPT\x00\x00", Version: 1, RealVersion: 2, Ints: 5, Prefix: "gpt",
	Variants: map[uint32]int{imageVersion: 8}}

// imageVersion is the payload version of a model of images.
const imageVersion = 3

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	h := payload.Header{
		Ints:     []uint32{uint32(c.Layers), uint32(c.Dim), uint32(c.Heads), uint32(c.Context), uint32(m.vocab.Base)},
		Dropout:  float32(c.Dropout),
		Controls: m.vocab.Controls,
	}
	if im := c.Image; im != (tokenize.Shape{}) {
		h.Variant = imageVersion
		h.Ints = append(h.Ints, uint32(im.Height), uint32(im.Width), uint32(im.Channels))
	}
	return format.Write(w, h, m.arena.Params)
}

// Read reads a token model's payload of size bytes written by WriteTo.
// Every length is checked against size before anything is allocated.
func Read(r io.Reader, size int64) (*Model, error) {
	fr, cfg, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	if fr.Real != nil {
		return nil, errors.New("gpt: a real-valued model's payload, not a token model's")
	}
	vocab, err := format.Vocab(fr, int(fr.Ints[4]))
	if err != nil {
		return nil, err
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab.Size(), 0, 0, false),
		func() (*Model, error) { return build(cfg, vocab) })
}

// WriteTo writes the real-valued model's payload.
func (r *RealModel) WriteTo(w io.Writer) (int64, error) {
	c := r.m.cfg
	h := payload.Header{
		Ints:    []uint32{uint32(c.Layers), uint32(c.Dim), uint32(c.Heads), uint32(c.Context), 0},
		Dropout: float32(c.Dropout),
		Real:    &r.Spec,
	}
	return format.Write(w, h, r.m.arena.Params)
}

// ReadReal reads a real-valued model's payload of size bytes written by
// RealModel.WriteTo; every length is checked against size before
// allocating.
func ReadReal(r io.Reader, size int64) (*RealModel, error) {
	fr, cfg, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	if fr.Real == nil || fr.Ints[4] != 0 || len(fr.Controls) > 0 {
		return nil, errors.New("gpt: a token model's payload, not a real-valued model's")
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, 0, fr.Real.Inputs(), fr.Real.Outputs(), fr.Real.Highway),
		func() (*RealModel, error) { return buildReal(cfg, *fr.Real) })
}

// readHeader reads the framing and the configuration integers.
func readHeader(r io.Reader, size int64) (*payload.Frame, Config, error) {
	fr, err := format.ReadHeader(r, size)
	if err != nil {
		return nil, Config{}, err
	}
	u := func(i int) int { return int(fr.Ints[i]) }
	cfg := Config{Layers: u(0), Dim: u(1), Heads: u(2), Context: u(3), Dropout: float64(fr.Dropout)}
	if fr.Variant == imageVersion {
		cfg.Image = tokenize.Shape{Height: u(5), Width: u(6), Channels: u(7)}
		if cfg.Image.Height < 1 || cfg.Image.Width < 1 || cfg.Image.Channels < 1 {
			return nil, cfg, fmt.Errorf("gpt: image payload with shape %s", cfg.Image)
		}
	}
	if err := cfg.Check(); err != nil {
		return nil, cfg, err
	}
	return fr, cfg, nil
}

// paramCount is the arena length of a configuration with a token
// embedding of V rows and, for a real-valued model, an input projection
// of in inputs, a head of out outputs (0 and 0 for a token model) and
// maybe a highway, computed in int64 without allocating (−1 if absurdly
// large).
func paramCount(cfg Config, V, in, out int, highway bool) int64 {
	al := tensor.Padded
	C, T, L := int64(cfg.Dim), int64(cfg.Context), int64(cfg.Layers)
	per := 4*al(C) + al(3*C*C) + al(3*C) + al(C*C) + al(C) + al(4*C*C) + al(4*C) + al(4*C*C) + al(C)
	n := al(int64(V)*C) + al(T*C) + L*per + 2*al(C)
	if im := cfg.Image; im != (tokenize.Shape{}) {
		n += al(int64(im.Height)*C) + al(int64(im.Width)*C) + al(int64(im.Channels)*C)
	}
	if out > 0 {
		n += al(C*int64(in)) + al(C) + al(int64(out)*C) + al(int64(out))
	}
	if highway {
		n += al(int64(out) * int64(in))
	}
	if n > 1<<33 {
		return -1
	}
	return n
}
