package vae

import (
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tensor"
)

// Payload format (the MODL section of a model file; docs/FORMATS.md): the
// neural payload framing of package internal/payload, magic
// "ARGVAE\x00\x00", version 1, nineteen configuration integers:
//
//	0 cell (0 = LSTM, 1 = GRU)   1 layers   2 hidden   3 embed (0 = hidden)
//	4 encoder layers   5 encoder hidden   6 latent dimension D
//	7 vocabulary base
//	8 KL schedule (0 none, 1 linear, 2 cyclical)   9 its steps   10 its cycles
//	11–12 its ratio, 13–14 free bits, 15–16 word dropout, 17–18 dropout:
//	      float64 values as two u32 (low word first)
//
// (the header's float32 dropout repeats the last). The weights are the
// flat parameter arena in the layout New declares: the embedding, the
// forward and backward encoder stacks, the posterior layer, the layer of
// the decoder's initial state, the decoder stack, the output layer.
var format = payload.Format{Magic: "ARGVAE\x00\x00", Version: 1, Ints: 19, Prefix: "vae"}

var annealKinds = []string{AnnealNone, AnnealLinear, AnnealCyclical}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	cell := uint32(0)
	if c.Cell == rnn.GRU {
		cell = 1
	}
	kind := uint32(0)
	for i, k := range annealKinds {
		if c.Objective.Anneal.Kind == k {
			kind = uint32(i)
		}
	}
	ints := []uint32{cell, uint32(c.Layers), uint32(c.Hidden), uint32(c.Embed), uint32(c.EncLayers),
		uint32(c.EncHidden), uint32(c.Latent), uint32(m.vocab.Base),
		kind, uint32(c.Objective.Anneal.Steps), uint32(c.Objective.Anneal.Cycles)}
	for _, f := range []float64{c.Objective.Anneal.Ratio, c.Objective.FreeBits, c.Objective.WordDropout, c.Dropout} {
		b := math.Float64bits(f)
		ints = append(ints, uint32(b), uint32(b>>32))
	}
	h := payload.Header{Ints: ints, Dropout: float32(c.Dropout), Controls: m.vocab.Controls}
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
	f64 := func(i int) float64 { return math.Float64frombits(uint64(fr.Ints[i]) | uint64(fr.Ints[i+1])<<32) }
	cfg := Config{Layers: u(1), Hidden: u(2), Embed: u(3), EncLayers: u(4), EncHidden: u(5), Latent: u(6),
		Dropout: f64(17), Objective: Objective{FreeBits: f64(13), WordDropout: f64(15)}}
	switch u(0) {
	case 0:
		cfg.Cell = rnn.LSTM
	case 1:
		cfg.Cell = rnn.GRU
	default:
		return nil, fmt.Errorf("vae: unknown cell %d", u(0))
	}
	if u(8) >= len(annealKinds) {
		return nil, fmt.Errorf("vae: unknown KL schedule %d", u(8))
	}
	if u(8) > 0 {
		cfg.Objective.Anneal = Anneal{Kind: annealKinds[u(8)], Steps: u(9), Cycles: u(10), Ratio: f64(11)}
	} else if u(9) != 0 || u(10) != 0 || f64(11) != 0 {
		return nil, fmt.Errorf("vae: settings of a KL schedule without a kind")
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	vocab, err := format.Vocab(fr, u(7))
	if err != nil {
		return nil, err
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab.Size()), func() (*Model, error) { return build(cfg, vocab) })
}

// paramCount is the arena length of a configuration over V tokens (−1 if
// absurd), computed without allocating.
func paramCount(cfg Config, V int) int64 {
	al := tensor.Padded
	stack := func(c rnn.Config) int64 {
		G, H, in := int64(4), int64(c.Hidden), int64(c.Embed)
		if c.Cell == rnn.GRU {
			G = 3
		}
		var n int64
		for range c.Layers {
			n += al(G*H*in) + al(G*H*H) + al(G*H)
			if c.Cell == rnn.GRU {
				n += al(H)
			}
			in = H
		}
		return n
	}
	E, D, H, He, L := int64(cfg.embed()), int64(cfg.Latent), int64(cfg.Hidden), int64(cfg.encHidden()), int64(cfg.Layers)
	n := al(int64(V) * E)
	n += 2 * stack(cfg.encoder())
	n += al(2*D*2*He) + al(2*D) + al(L*H*D) + al(L*H)
	n += stack(cfg.decoder())
	if !cfg.Tied() {
		n += al(int64(V) * H)
	}
	n += al(int64(V))
	if n > 1<<33 {
		return -1
	}
	return n
}
