// Package payload frames the MODL payload of autoreg's neural families (the
// section of a model file that holds one model, see docs/FORMATS.md). The
// GPT and recurrent payloads share one layout and differ only in their
// magic and in what their configuration integers mean:
//
//	magic     8 bytes, the family's
//	version   u32
//	header    u32 length h (≤ 1 MiB), then the header:
//	          u32 × n   the family's configuration integers (n fixed per family)
//	          f32       dropout
//	          u32       number of control codes, then per code: u16 length, bytes
//	zero padding to a multiple of 64 bytes from the payload start
//	weights   f32 × arena length: the flat parameter arena in the family's layout
//
// All integers are little-endian. A change to the header or the weight
// layout bumps the version; a reader accepts its version and the older ones
// its Format lists. Readers check every length against the payload size
// before allocating.
package payload

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg"
)

// maxHeader caps the header length field.
const maxHeader = 1 << 20

// Format is one family's payload: its magic (8 bytes), version, number of
// configuration integers, and the prefix of its error messages ("gpt").
type Format struct {
	Magic   string
	Version uint32
	Ints    int
	Prefix  string
	// Older maps earlier versions this build still reads and writes to
	// their number of configuration integers.
	Older map[uint32]int
}

// Header is what a payload stores before the weights.
type Header struct {
	// Version is the payload's version: 0 means Format.Version; an older
	// one must be in Format.Older.
	Version  uint32
	Ints     []uint32 // the version's configuration integers
	Dropout  float32
	Controls []string
}

// ints returns the number of configuration integers of version v, and
// whether this build knows v.
func (f Format) ints(v uint32) (int, bool) {
	if v == f.Version {
		return f.Ints, true
	}
	n, ok := f.Older[v]
	return n, ok
}

// Frame is a header read by ReadHeader and where the weights start.
type Frame struct {
	Header
	read  int64 // bytes consumed from the payload so far
	start int64 // offset of the weights (64-byte aligned)
}

func (f Format) errorf(format string, args ...any) error {
	return fmt.Errorf(f.Prefix+": "+format, args...)
}

// Write writes a payload: the framing, h and weights. It returns the bytes
// written.
func (f Format) Write(w io.Writer, h Header, weights []float32) (int64, error) {
	version := h.Version
	if version == 0 {
		version = f.Version
	}
	if n, ok := f.ints(version); len(f.Magic) != 8 || !ok || len(h.Ints) != n {
		panic("payload: Write: bad magic, version or header")
	}
	le := binary.LittleEndian
	var hdr []byte
	for _, v := range h.Ints {
		hdr = le.AppendUint32(hdr, v)
	}
	hdr = le.AppendUint32(hdr, math.Float32bits(h.Dropout))
	hdr = le.AppendUint32(hdr, uint32(len(h.Controls)))
	for _, c := range h.Controls {
		hdr = le.AppendUint16(hdr, uint16(len(c)))
		hdr = append(hdr, c...)
	}
	head := append([]byte(f.Magic), make([]byte, 8)...)
	le.PutUint32(head[8:], version)
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
	p := weights
	for len(p) > 0 {
		k := min(len(p), len(buf)/4)
		for i, v := range p[:k] {
			le.PutUint32(buf[4*i:], math.Float32bits(v))
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

// ReadHeader reads the framing and the header of a payload of size bytes.
func (f Format) ReadHeader(r io.Reader, size int64) (*Frame, error) {
	le := binary.LittleEndian
	var head [16]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, f.errorf("truncated payload header")
	}
	if string(head[:8]) != f.Magic {
		return nil, f.errorf("bad payload magic")
	}
	version := le.Uint32(head[8:])
	nInts, ok := f.ints(version)
	if !ok {
		return nil, f.errorf("payload version %d, this build reads up to %d (upgrade autoreg)", version, f.Version)
	}
	h := int64(le.Uint32(head[12:]))
	fixed := int64(4*nInts + 8)
	if h < fixed || h > maxHeader || 16+h > size {
		return nil, f.errorf("header of %d bytes in a payload of %d", h, size)
	}
	hdr := make([]byte, h)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, f.errorf("truncated header")
	}
	fr := &Frame{read: 16 + h, start: (16 + h + 63) &^ 63}
	fr.Version = version
	for i := range nInts {
		fr.Ints = append(fr.Ints, le.Uint32(hdr[4*i:]))
	}
	fr.Dropout = math.Float32frombits(le.Uint32(hdr[4*nInts:]))
	nc := int(le.Uint32(hdr[4*nInts+4:]))
	if nc > autoreg.MaxControls {
		return nil, f.errorf("%d control codes", nc)
	}
	rest := hdr[fixed:]
	for range nc {
		if len(rest) < 2 || len(rest) < 2+int(le.Uint16(rest)) {
			return nil, f.errorf("truncated control codes")
		}
		l := int(le.Uint16(rest))
		fr.Controls = append(fr.Controls, string(rest[2:2+l]))
		rest = rest[2+l:]
	}
	if len(rest) != 0 {
		return nil, f.errorf("%d stray header bytes", len(rest))
	}
	return fr, nil
}

// CheckWeights reports whether a payload of size bytes holds exactly n
// weights after fr's header (n < 0: an absurd configuration). Call it
// before allocating the weights.
func (f Format) CheckWeights(fr *Frame, size, n int64) error {
	if n < 0 || fr.start+4*n != size {
		return f.errorf("payload of %d bytes, the configuration needs %d", size, fr.start+4*n)
	}
	return nil
}

// ReadWeights reads the padding and the weights into dst (as many as
// CheckWeights allowed), rejecting NaN and infinite values.
func (f Format) ReadWeights(r io.Reader, fr *Frame, dst []float32) error {
	if _, err := io.CopyN(io.Discard, r, fr.start-fr.read); err != nil {
		return f.errorf("truncated padding")
	}
	le := binary.LittleEndian
	br := bufio.NewReaderSize(r, 1<<16)
	var buf [4096]byte
	p := dst
	for len(p) > 0 {
		k := min(len(p), len(buf)/4)
		if _, err := io.ReadFull(br, buf[:4*k]); err != nil {
			return errors.New(f.Prefix + ": truncated weights")
		}
		for i := range p[:k] {
			v := math.Float32frombits(le.Uint32(buf[4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return f.errorf("weights hold NaN or Inf")
			}
			p[i] = v
		}
		p = p[k:]
	}
	return nil
}
