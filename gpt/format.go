package gpt

import (
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tokenize"
)

// Payload format (the MODL section of a model file, see docs/FORMATS.md):
// the neural payload framing of package internal/payload, magic
// "ARGGPT\x00\x00". Version 1 has five configuration integers: layers,
// dim, heads, context, vocab base; version 2, for models of images, adds
// the image's height, width and channels (and the three embedding tables
// to the arena). Text models are still written as version 1, so their
// bytes and identities do not change. The weights are the flat parameter
// arena in the layout New declares (views in order, each aligned to 16
// floats).
var format = payload.Format{Magic: "ARGGPT\x00\x00", Version: 2, Ints: 8, Prefix: "gpt", Older: map[uint32]int{1: 5}}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	h := payload.Header{
		Version:  1,
		Ints:     []uint32{uint32(c.Layers), uint32(c.Dim), uint32(c.Heads), uint32(c.Context), uint32(m.vocab.Base)},
		Dropout:  float32(c.Dropout),
		Controls: m.vocab.Controls,
	}
	if im := c.Image; im != (tokenize.Shape{}) {
		h.Version = 2
		h.Ints = append(h.Ints, uint32(im.Height), uint32(im.Width), uint32(im.Channels))
	}
	return format.Write(w, h, m.arena.Params)
}

// Read reads a payload of size bytes written by WriteTo. Every length is
// checked against size before anything is allocated.
func Read(r io.Reader, size int64) (*Model, error) {
	fr, err := format.ReadHeader(r, size)
	if err != nil {
		return nil, err
	}
	u := func(i int) int { return int(fr.Ints[i]) }
	cfg := Config{Layers: u(0), Dim: u(1), Heads: u(2), Context: u(3), Dropout: float64(fr.Dropout)}
	if fr.Version == 2 {
		cfg.Image = tokenize.Shape{Height: u(5), Width: u(6), Channels: u(7)}
		if cfg.Image.Height < 1 || cfg.Image.Width < 1 || cfg.Image.Channels < 1 {
			return nil, fmt.Errorf("gpt: version 2 payload with image shape %s", cfg.Image)
		}
	}
	vocab := autoreg.Vocab{Base: u(4), Controls: fr.Controls}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("gpt: %v", err)
	}
	// The weight count follows from the shape; check it against the
	// payload size before building (which allocates it).
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

// paramCount is the arena length of a configuration, computed in int64
// without allocating (−1 if absurdly large).
func paramCount(cfg Config, V int) int64 {
	al := func(n int64) int64 { return (n + 15) &^ 15 }
	C, T, L := int64(cfg.Dim), int64(cfg.Context), int64(cfg.Layers)
	per := 4*al(C) + al(3*C*C) + al(3*C) + al(C*C) + al(C) + al(4*C*C) + al(4*C) + al(4*C*C) + al(C)
	n := al(int64(V)*C) + al(T*C) + L*per + 2*al(C)
	if im := cfg.Image; im != (tokenize.Shape{}) {
		n += al(int64(im.Height)*C) + al(int64(im.Width)*C) + al(int64(im.Channels)*C)
	}
	if n > 1<<33 {
		return -1
	}
	return n
}
