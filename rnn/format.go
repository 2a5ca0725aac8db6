package rnn

import (
	"errors"
	"fmt"
	"io"

	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tensor"
)

// Payload format (the MODL section of a model file; docs/FORMATS.md): the
// neural payload framing of package internal/payload, magic
// "ARGRNN\x00\x00", five configuration integers: cell (0 = LSTM, 1 =
// GRU), layers, hidden, embed, vocab base. A token model is version 1; a
// real-valued model is version 2, with embed and vocab base 0 and the real
// block after the header. The weights are the flat parameter arena in the
// layout New (NewReal) declares.
var format = payload.Format{Magic: "ARGRNN\x00\x00", Version: 1, RealVersion: 2, Ints: 5, Prefix: "rnn"}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	cell := uint32(0)
	if c.Cell == GRU {
		cell = 1
	}
	h := payload.Header{
		Ints:     []uint32{cell, uint32(c.Layers), uint32(c.Hidden), uint32(c.Embed), uint32(m.vocab.Base)},
		Dropout:  float32(c.Dropout),
		Controls: m.vocab.Controls,
	}
	return format.Write(w, h, m.arena.Params)
}

// Read reads a token model's payload of size bytes written by WriteTo;
// every length is checked against size before allocating.
func Read(r io.Reader, size int64) (*Model, error) {
	fr, cfg, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	if fr.Real != nil {
		return nil, errors.New("rnn: a real-valued model's payload, not a token model's")
	}
	vocab, err := format.Vocab(fr, int(fr.Ints[4]))
	if err != nil {
		return nil, err
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab.Size(), vocab.Size(), cfg.Tied(), 0),
		func() (*Model, error) { return build(cfg, vocab) })
}

// WriteTo writes the real-valued model's payload.
func (r *RealModel) WriteTo(w io.Writer) (int64, error) {
	c := r.m.cfg
	cell := uint32(0)
	if c.Cell == GRU {
		cell = 1
	}
	h := payload.Header{
		Ints:    []uint32{cell, uint32(c.Layers), uint32(c.Hidden), 0, 0},
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
	if fr.Real == nil || fr.Ints[3] != 0 || fr.Ints[4] != 0 || len(fr.Controls) > 0 {
		return nil, errors.New("rnn: a token model's payload, not a real-valued model's")
	}
	// The weight count follows from the shape.
	in := cfg
	in.Embed = fr.Real.Inputs()
	hw := 0
	if fr.Real.Highway {
		hw = fr.Real.Outputs() * fr.Real.Inputs()
	}
	return payload.ReadModel(format, r, fr, size, paramCount(in, 0, fr.Real.Outputs(), false, hw),
		func() (*RealModel, error) { return buildReal(cfg, *fr.Real) })
}

// readHeader reads the framing and the configuration integers.
func readHeader(r io.Reader, size int64) (*payload.Frame, Config, error) {
	fr, err := format.ReadHeader(r, size)
	if err != nil {
		return nil, Config{}, err
	}
	u := func(i int) int { return int(fr.Ints[i]) }
	cfg := Config{Layers: u(1), Hidden: u(2), Embed: u(3), Dropout: float64(fr.Dropout)}
	switch u(0) {
	case 0:
		cfg.Cell = LSTM
	case 1:
		cfg.Cell = GRU
	default:
		return nil, cfg, fmt.Errorf("rnn: unknown cell %d", u(0))
	}
	if err := cfg.Check(); err != nil {
		return nil, cfg, err
	}
	return fr, cfg, nil
}

// paramCount is the arena length of a configuration with an embedding of
// V rows, an output layer of out rows and extra more weights (a
// real-valued model's highway) (−1 if absurd).
func paramCount(cfg Config, V, out int, tied bool, extra int) int64 {
	al := tensor.Padded
	H, G, in := int64(cfg.Hidden), int64(cfg.gates()), int64(cfg.embed())
	n := al(int64(V) * in)
	for range cfg.Layers {
		n += al(G*H*in) + al(G*H*H) + al(G*H)
		if cfg.Cell == GRU {
			n += al(H)
		}
		in = H
	}
	if !tied {
		n += al(int64(out) * H)
	}
	n += al(int64(out)) + al(int64(extra))
	if n > 1<<33 {
		return -1
	}
	return n
}
