package seq2seq

import (
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tensor"
)

// Payload format (the MODL section of a model file, see docs/FORMATS.md):
// the neural payload framing of package internal/payload, magic
// "ARGS2S\x00\x00", version 1, ten configuration integers: encoder
// layers, decoder layers, dim, heads, MLP width, source context, target
// context, target vocabulary base, source vocabulary base, shared (0 or
// 1). The header's control codes are the target vocabulary's; the source
// vocabulary has none of its own (with a shared vocabulary it is the
// target's). The weights are the flat parameter arena in the layout New
// declares (views in order, each aligned to 16 floats).
var format = payload.Format{Magic: "ARGS2S\x00\x00", Version: 1, Ints: 10, Prefix: "seq2seq"}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	shared := uint32(0)
	if c.Shared {
		shared = 1
	}
	h := payload.Header{
		Ints: []uint32{uint32(c.EncLayers), uint32(c.DecLayers), uint32(c.Dim), uint32(c.Heads), uint32(c.FFN),
			uint32(c.SrcContext), uint32(c.Context), uint32(m.vocab.Base), uint32(m.srcVocab.Base), shared},
		Dropout:  float32(c.Dropout),
		Controls: m.vocab.Controls,
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
	if fr.Ints[9] > 1 {
		return nil, fmt.Errorf("seq2seq: shared flag %d, want 0 or 1", fr.Ints[9])
	}
	cfg := Config{EncLayers: u(0), DecLayers: u(1), Dim: u(2), Heads: u(3), FFN: u(4), SrcContext: u(5), Context: u(6),
		Dropout: float64(fr.Dropout), Shared: fr.Ints[9] == 1}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	vocab := autoreg.Vocab{Base: u(7), Controls: fr.Controls}
	src := autoreg.Vocab{Base: u(8)}
	if cfg.Shared {
		src = vocab
	}
	for _, v := range []autoreg.Vocab{vocab, src} {
		if err := v.Check(); err != nil {
			return nil, fmt.Errorf("seq2seq: %v", err)
		}
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab.Size(), src.Size()),
		func() (*Model, error) { return build(cfg, vocab, src) })
}

// paramCount is the arena length of a configuration, computed in int64
// without allocating (−1 if absurdly large).
func paramCount(cfg Config, V, Vs int) int64 {
	al := tensor.Padded
	C, F := int64(cfg.Dim), int64(cfg.FFN)
	if V > MaxVocab || Vs > MaxVocab {
		return -1
	}
	attn := 2*al(C) + al(3*C*C) + al(3*C) + al(C*C) + al(C)
	mlp := 2*al(C) + al(F*C) + al(F) + al(C*F) + al(C)
	cross := 2*al(C) + al(C*C) + al(C) + al(2*C*C) + al(2*C) + al(C*C) + al(C)
	n := al(int64(V)*C) + al(int64(cfg.Context)*C) + al(int64(cfg.SrcContext)*C)
	if !cfg.Shared {
		n += al(int64(Vs) * C)
	}
	n += int64(cfg.EncLayers)*(attn+mlp) + 2*al(C) + int64(cfg.DecLayers)*(attn+cross+mlp) + 2*al(C)
	if n > 1<<33 {
		return -1
	}
	return n
}
