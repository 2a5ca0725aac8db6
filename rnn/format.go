package rnn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg"
)

// Payload format (the MODL section of a model file; docs/FORMATS.md), all
// integers little-endian:
//
//	magic     8 bytes "ARGRNN\x00\x00"
//	version   u32 = 1
//	header    u32 length h (≤ 1 MiB), then the header:
//	          u32 cell (0 = LSTM, 1 = GRU), layers, hidden, embed, vocab base
//	          f32 dropout
//	          u32 number of control codes, then per code: u16 length, bytes
//	zero padding to a multiple of 64 bytes from the payload start
//	weights   f32 × arena length, in the layout New declares
const (
	payloadMagic   = "ARGRNN\x00\x00"
	payloadVersion = 1
	maxHeader      = 1 << 20
)

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	le := binary.LittleEndian
	cell := 0
	if m.cfg.Cell == GRU {
		cell = 1
	}
	var hdr []byte
	for _, v := range []int{cell, m.cfg.Layers, m.cfg.Hidden, m.cfg.Embed, m.vocab.Base} {
		hdr = le.AppendUint32(hdr, uint32(v))
	}
	hdr = le.AppendUint32(hdr, math.Float32bits(float32(m.cfg.Dropout)))
	hdr = le.AppendUint32(hdr, uint32(len(m.vocab.Controls)))
	for _, c := range m.vocab.Controls {
		hdr = le.AppendUint16(hdr, uint16(len(c)))
		hdr = append(hdr, c...)
	}
	head := append([]byte(payloadMagic), make([]byte, 8)...)
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

// Read reads a payload of size bytes written by WriteTo; every length is
// checked against size before allocating.
func Read(r io.Reader, size int64) (*Model, error) {
	le := binary.LittleEndian
	var head [16]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, errors.New("rnn: truncated payload header")
	}
	if string(head[:8]) != payloadMagic {
		return nil, errors.New("rnn: bad payload magic")
	}
	if v := le.Uint32(head[8:]); v != payloadVersion {
		return nil, fmt.Errorf("rnn: payload version %d, this build reads %d", v, payloadVersion)
	}
	h := int64(le.Uint32(head[12:]))
	if h < 28 || h > maxHeader || 16+h > size {
		return nil, fmt.Errorf("rnn: header of %d bytes in a payload of %d", h, size)
	}
	hdr := make([]byte, h)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New("rnn: truncated header")
	}
	u := func(i int) int { return int(le.Uint32(hdr[4*i:])) }
	cfg := Config{Layers: u(1), Hidden: u(2), Embed: u(3), Dropout: float64(math.Float32frombits(le.Uint32(hdr[20:])))}
	switch u(0) {
	case 0:
		cfg.Cell = LSTM
	case 1:
		cfg.Cell = GRU
	default:
		return nil, fmt.Errorf("rnn: unknown cell %d", u(0))
	}
	vocab := autoreg.Vocab{Base: u(4)}
	nc := u(6)
	if nc > autoreg.MaxControls {
		return nil, fmt.Errorf("rnn: %d control codes", nc)
	}
	rest := hdr[28:]
	for range nc {
		if len(rest) < 2 || len(rest) < 2+int(le.Uint16(rest)) {
			return nil, errors.New("rnn: truncated control codes")
		}
		l := int(le.Uint16(rest))
		vocab.Controls = append(vocab.Controls, string(rest[2:2+l]))
		rest = rest[2+l:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("rnn: %d stray header bytes", len(rest))
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("rnn: %v", err)
	}
	start := (16 + h + 63) &^ 63
	want := paramCount(cfg, vocab.Size())
	if want < 0 || start+4*want != size {
		return nil, fmt.Errorf("rnn: payload of %d bytes, the configuration needs %d", size, start+4*want)
	}
	if _, err := io.CopyN(io.Discard, r, start-16-h); err != nil {
		return nil, errors.New("rnn: truncated padding")
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
			return nil, errors.New("rnn: truncated weights")
		}
		for i := range p[:k] {
			f := math.Float32frombits(le.Uint32(buf[4*i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return nil, errors.New("rnn: weights hold NaN or Inf")
			}
			p[i] = f
		}
		p = p[k:]
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
