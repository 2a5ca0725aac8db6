package pixelcnn

import (
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/payload"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Payload format (the MODL section of a model file, see docs/FORMATS.md):
// the neural payload framing of package internal/payload, magic
// "ARGPXCNN", version 2, ten configuration integers: layers, channels,
// kernel, first kernel, hidden, image height, width and channels, the
// vocabulary base (the levels K) and the spatial maps d. Version 1 has the
// first nine (no spatial maps); a model without spatial maps is written as
// version 1, so builds that predate them read it. The weights are the flat
// parameter arena in the layout New declares (views in order, each aligned
// to 16 floats; masked weights are stored as their zeros).
var format = payload.Format{Magic: "ARGPXCNN", Version: 2, Ints: 10, Prefix: "pixelcnn", Variants: map[uint32]int{1: 9}}

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	c := m.cfg
	h := payload.Header{
		Ints: []uint32{uint32(c.Layers), uint32(c.Channels), uint32(c.Kernel), uint32(c.FirstKernel), uint32(c.Hidden),
			uint32(c.Image.Height), uint32(c.Image.Width), uint32(c.Image.Channels), uint32(m.vocab.Base)},
		Controls: m.vocab.Controls,
	}
	if c.Maps == 0 {
		h.Variant = 1
	} else {
		h.Ints = append(h.Ints, uint32(c.Maps))
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
	u := func(i int) int { return int(min(fr.Ints[i], 1<<30)) }
	cfg := Config{Layers: u(0), Channels: u(1), Kernel: u(2), FirstKernel: u(3), Hidden: u(4),
		Image: tokenize.Shape{Height: u(5), Width: u(6), Channels: u(7)}}
	if fr.Variant != 1 {
		cfg.Maps = u(9)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	vocab, err := format.Vocab(fr, u(8))
	if err != nil {
		return nil, err
	}
	if vocab.Base < 2 || vocab.Base > MaxLevels {
		return nil, fmt.Errorf("pixelcnn: %d levels, want 2..%d", vocab.Base, MaxLevels)
	}
	return payload.ReadModel(format, r, fr, size, paramCount(cfg, vocab), func() (*Model, error) { return build(cfg, vocab) })
}

// paramCount is the arena length of a configuration, computed in int64
// without allocating (−1 if absurdly large).
func paramCount(cfg Config, v autoreg.Vocab) int64 {
	al := tensor.Padded
	p, q, Ci, K := int64(cfg.Channels), int64(cfg.Hidden), int64(cfg.Image.Channels), int64(v.Base)
	classes := int64(len(v.Controls))
	var n int64
	for l := range cfg.Layers {
		in, k := p, int64(cfg.Kernel)
		if l == 0 {
			in, k = Ci+1, int64(cfg.FirstKernel)
		}
		r := k / 2
		vt := (r + 1) * k // rows of taps × columns
		ht := r + 1
		if l == 0 && Ci == 1 {
			ht = r
		}
		n += al(2*p*vt*in) + al(2*p) + al(2*p*ht*in) + al(2*p) + al(4*p*p) + al(p*p) + al(p)
		if classes > 0 {
			n += 2 * al(classes*2*p)
		}
		if cfg.Maps > 0 {
			n += 2 * al(2*p*int64(cfg.Maps))
		}
		if n > 1<<33 {
			return -1
		}
	}
	if cfg.Maps > 0 {
		n += al(max(classes, 1) * int64(cfg.Image.Height) * int64(cfg.Image.Width) * int64(cfg.Maps))
	}
	n += al(q*p) + al(q) + al(Ci*K*q) + al(Ci*K)
	return n
}
