package gpt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg"
)

// Payload format (the MODL section of a model file, see docs/FORMATS.md),
// all integers little-endian:
//
//	magic     8 bytes "ARGGPT\x00\x00"
//	version   u32 = 1
//	header    u32 length h of the header that follows (≤ 1 MiB)
//	header:   u32 layers, dim, heads, context, vocab base
//	          f32 dropout
//	          u32 number of control codes, then per code: u16 length, bytes
//	zero padding to a multiple of 64 bytes from the payload start
//	weights   f32 × arena length: the flat parameter arena, in the layout
//	          New declares (views in order, each aligned to 16 floats)
//
// Compatibility rule: a reader accepts exactly its version; a change to the
// header or the weight layout bumps it.
const (
	payloadMagic   = "ARGGPT\x00\x00"
	payloadVersion = 1
	maxHeader      = 1 << 20
)

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var hdr []byte
	le := binary.LittleEndian
	for _, v := range []int{m.cfg.Layers, m.cfg.Dim, m.cfg.Heads, m.cfg.Context, m.vocab.Base} {
		hdr = le.AppendUint32(hdr, uint32(v))
	}
	hdr = le.AppendUint32(hdr, math.Float32bits(float32(m.cfg.Dropout)))
	hdr = le.AppendUint32(hdr, uint32(len(m.vocab.Controls)))
	for _, c := range m.vocab.Controls {
		hdr = le.AppendUint16(hdr, uint16(len(c)))
		hdr = append(hdr, c...)
	}
	head := append([]byte(payloadMagic), 0, 0, 0, 0, 0, 0, 0, 0)
	le.PutUint32(head[8:], payloadVersion)
	le.PutUint32(head[12:], uint32(len(hdr)))
	head = append(head, hdr...)
	for len(head)%64 != 0 {
		head = append(head, 0)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	n, err := bw.Write(head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	var buf [4096]byte
	p := m.arena.Params
	for len(p) > 0 {
		k := min(len(p), len(buf)/4)
		for i, f := range p[:k] {
			le.PutUint32(buf[4*i:], math.Float32bits(f))
		}
		n, err := bw.Write(buf[:4*k])
		total += int64(n)
		if err != nil {
			return total, err
		}
		p = p[k:]
	}
	return total, bw.Flush()
}

// Read reads a payload of size bytes written by WriteTo. Every length is
// checked against size before anything is allocated.
func Read(r io.Reader, size int64) (*Model, error) {
	le := binary.LittleEndian
	var head [16]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, errors.New("gpt: truncated payload header")
	}
	if string(head[:8]) != payloadMagic {
		return nil, errors.New("gpt: bad payload magic")
	}
	if v := le.Uint32(head[8:]); v != payloadVersion {
		return nil, fmt.Errorf("gpt: payload version %d, this build reads %d", v, payloadVersion)
	}
	h := int64(le.Uint32(head[12:]))
	if h < 28 || h > maxHeader || 16+h > size {
		return nil, fmt.Errorf("gpt: header of %d bytes in a payload of %d", h, size)
	}
	hdr := make([]byte, h)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New("gpt: truncated header")
	}
	u := func(i int) int { return int(le.Uint32(hdr[4*i:])) }
	cfg := Config{Layers: u(0), Dim: u(1), Heads: u(2), Context: u(3),
		Dropout: float64(math.Float32frombits(le.Uint32(hdr[20:])))}
	vocab := autoreg.Vocab{Base: u(4)}
	nc := u(6)
	if nc > autoreg.MaxControls {
		return nil, fmt.Errorf("gpt: %d control codes", nc)
	}
	rest := hdr[28:]
	for range nc {
		if len(rest) < 2 {
			return nil, errors.New("gpt: truncated control codes")
		}
		l := int(le.Uint16(rest))
		if len(rest) < 2+l {
			return nil, errors.New("gpt: truncated control codes")
		}
		vocab.Controls = append(vocab.Controls, string(rest[2:2+l]))
		rest = rest[2+l:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("gpt: %d stray header bytes", len(rest))
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("gpt: %v", err)
	}
	// The weight count follows from the shape; check it against the
	// payload size before building (which allocates it).
	start := (16 + h + 63) &^ 63
	want := paramCount(cfg, vocab.Size())
	if want < 0 || start+4*want != size {
		return nil, fmt.Errorf("gpt: payload of %d bytes, the configuration needs %d", size, start+4*want)
	}
	if _, err := io.CopyN(io.Discard, r, start-16-h); err != nil {
		return nil, errors.New("gpt: truncated padding")
	}
	m, err := build(cfg, vocab)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 1<<16)
	var buf [4096]byte
	p := m.arena.Params
	for len(p) > 0 {
		k := min(len(p), len(buf)/4)
		if _, err := io.ReadFull(br, buf[:4*k]); err != nil {
			return nil, errors.New("gpt: truncated weights")
		}
		for i := range p[:k] {
			f := math.Float32frombits(le.Uint32(buf[4*i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return nil, errors.New("gpt: weights hold NaN or Inf")
			}
			p[i] = f
		}
		p = p[k:]
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
	if n > 1<<33 {
		return -1
	}
	return n
}
