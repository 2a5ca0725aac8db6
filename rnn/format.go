package rnn

import (
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/payload"
)

// Payload format (the MODL section of a model file; docs/FORMATS.md): the
// neural payload framing of package internal/payload, magic
// "ARGRNN\x00\x00", version 1, five configuration integers: cell (0 =
// LSTM, 1 = GRU), layers, hidden, embed, vocab base. The weights are the
// flat parameter arena in the layout New declares.
var format = payload.Format{Magic: "ARGRNN\x00\x00", Version: 1, Ints: 5, Prefix: "rnn"}

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

// Read reads a payload of size bytes written by WriteTo; every length is
// checked against size before allocating.
func Read(r io.Reader, size int64) (*Model, error) {
	fr, err := format.ReadHeader(r, size)
	if err != nil {
		return nil, err
	}
	u := func(i int) int { return int(fr.Ints[i]) }
	cfg := Config{Layers: u(1), Hidden: u(2), Embed: u(3), Dropout: float64(fr.Dropout)}
	switch u(0) {
	case 0:
		cfg.Cell = LSTM
	case 1:
		cfg.Cell = GRU
	default:
		return nil, fmt.Errorf("rnn: unknown cell %d", u(0))
	}
	vocab := autoreg.Vocab{Base: u(4), Controls: fr.Controls}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("rnn: %v", err)
	}
	if err := format.CheckWeights(fr, size, paramCount(cfg, vocab.Size())); err != nil {
		return nil, err
	}
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	if err := format.ReadWeights(r, fr, m.arena.Params); err != nil {
		return nil, err
	}
	return m, nil
}

// paramCount is the arena length of a configuration (−1 if absurd).
func paramCount(cfg Config, V int) int64 {
	al := func(n int64) int64 { return (n + 15) &^ 15 }
	H, G, in := int64(cfg.Hidden), int64(cfg.gates()), int64(cfg.embed())
	n := al(int64(V) * in)
	for range cfg.Layers {
		n += al(G*H*in) + al(G*H*H) + al(G*H)
		if cfg.Cell == GRU {
			n += al(H)
		}
		in = H
	}
	if !cfg.Tied() {
		n += al(int64(V) * H)
	}
	n += al(int64(V))
	if n > 1<<33 {
		return -1
	}
	return n
}
