package wavenet

import (
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tensor"
)

// Payload format (the MODL section of a model file; docs/FORMATS.md): the
// neural payload framing of package internal/payload, magic
// "ARGWNET\x00", version 1, seven configuration integers: layers per
// stack, stacks, residual, gate, skip and output channels, vocabulary
// base. The weights are the flat parameter arena in the layout New
// declares (the control codes, which size the conditioning tables, are in
// the framing).
var format = payload.Format{Magic: "ARGWNET\x00", Version: 1, Ints: 7, Prefix: "wavenet"}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	h := payload.Header{
		Ints: []uint32{uint32(c.Layers), uint32(c.Stacks), uint32(c.Residual), uint32(c.Gate), uint32(c.Skip),
			uint32(c.Out), uint32(m.vocab.Base)},
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
	cfg := Config{Layers: u(0), Stacks: u(1), Residual: u(2), Gate: u(3), Skip: u(4), Out: u(5)}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	vocab, err := format.Vocab(fr, u(6))
	if err != nil {
		return nil, err
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab), func() (*Model, error) { return build(cfg, vocab) })
}

// paramCount is the arena length of a configuration (−1 if absurd).
func paramCount(cfg Config, vocab autoreg.Vocab) int64 {
	al := tensor.Padded
	R, D, S, O, L := int64(cfg.Residual), int64(cfg.Gate), int64(cfg.Skip), int64(cfg.out()), int64(cfg.Depth())
	V, K := int64(vocab.Size()), int64(len(vocab.Controls))
	n := al(V * R)
	for l := range L {
		n += al(4*D*R) + al(2*D)
		if K > 0 {
			n += al((K + 1) * 2 * D)
		}
		if l < L-1 {
			n += al(R*D) + al(R)
		}
	}
	n += al(S*L*D) + al(S) + al(O*S) + al(O) + al(V*O) + al(V)
	if n > 1<<33 {
		return -1
	}
	return n
}
