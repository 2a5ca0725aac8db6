// Package payload frames the MODL payload of autoreg's neural families (the
// section of a model file that holds one model, see docs/FORMATS.md). The
// GPT and recurrent payloads share one layout and differ only in their
// magic and in what their configuration integers mean:
//
//	magic     8 bytes, the family's
//	version   u32
//	header    u32 length h (≤ 1 MiB), then the header:
//	          u32 × n   the family's configuration integers (n fixed per version)
//	          f32       dropout
//	          u32       number of control codes, then per code: u16 length, bytes
//	          real-valued models only (version RealVersion), the real block:
//	          u32       D, values per step
//	          u32, u32  head kind (1 gaussian, 2 student-t, 3 mog, 4 dlogistic), K
//	          f64, f64, u32        dlogistic grid: Lo, Step, N (zeros for other heads)
//	          u32       flags: bit 0 = a linear highway from the inputs to the head
//	          u32       number of extra lags, then u32 each (ascending, ≥ 2)
//	          f64 × D   the standardization means, then f64 × D the scales
//	zero padding to a multiple of 64 bytes from the payload start
//	weights   f32 × arena length: the flat parameter arena in the family's layout
//
// All integers are little-endian. A family's token models are written as
// its Version, its real-valued models (internal/realio: a network over
// standardized series with a distribution head) as its RealVersion, which
// adds the real block, and variants of its token models with more
// configuration integers (the GPT's models of images) as the versions its
// Variants lists. A reader accepts exactly those versions; a change to the
// header or the weight layout adds a version. Readers check every length
// against the payload size before allocating.
package payload

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/tensor"
)

// maxHeader caps the header length field.
const maxHeader = 1 << 20

// Format is one family's payload: its magic (8 bytes), the versions of its
// token and real-valued payloads, number of configuration integers, and the
// prefix of its error messages ("gpt").
type Format struct {
	Magic       string
	Version     uint32
	RealVersion uint32
	Ints        int
	Prefix      string
	// Variants maps further token-model versions to their number of
	// configuration integers.
	Variants map[uint32]int
}

// ints returns the number of configuration integers of version v, and
// whether this build reads v.
func (f Format) ints(v uint32) (int, bool) {
	if v == f.Version || v == f.RealVersion && f.RealVersion != 0 {
		return f.Ints, true
	}
	n, ok := f.Variants[v]
	return n, ok
}

// Header is what a payload stores before the weights.
type Header struct {
	// Variant, if not 0, is the version of a token model written as one of
	// Format.Variants (ReadHeader sets it for those).
	Variant  uint32
	Ints     []uint32 // the version's configuration integers
	Dropout  float32
	Controls []string
	// Real, set for a real-valued model, is its input and output stage
	// (written as the real block, version RealVersion).
	Real *realio.Spec
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
	version := f.Version
	if h.Variant != 0 {
		version = h.Variant
	}
	if n, ok := f.ints(version); len(f.Magic) != 8 || !ok || len(h.Ints) != n || h.Variant != 0 && h.Real != nil {
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
	if h.Real != nil {
		if f.RealVersion == 0 {
			panic("payload: Write: a real-valued model in a format without RealVersion")
		}
		version = f.RealVersion
		hdr = appendReal(hdr, h.Real)
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
	v := le.Uint32(head[8:])
	nInts, ok := f.ints(v)
	switch {
	case ok:
	case f.RealVersion != 0:
		return nil, f.errorf("payload version %d, this build reads %d (token models) and %d (real-valued)", v, f.Version, f.RealVersion)
	default:
		return nil, f.errorf("payload version %d, this build reads %d", v, f.Version)
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
	if _, variant := f.Variants[v]; variant {
		fr.Variant = v
	}
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
	if v == f.RealVersion {
		var err error
		if fr.Real, rest, err = readReal(rest); err != nil {
			return nil, f.errorf("%v", err)
		}
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

// ReadModel finishes reading a payload of size bytes after its header fr:
// it checks that the payload holds exactly n weights (CheckWeights), only
// then calls build, which allocates the model, and reads the weights into
// the model's arena (ReadWeights).
func ReadModel[M interface{ Arena() *tensor.Arena }](f Format, r io.Reader, fr *Frame, size, n int64, build func() (M, error)) (M, error) {
	var none M
	if err := f.CheckWeights(fr, size, n); err != nil {
		return none, err
	}
	m, err := build()
	if err != nil {
		return none, err
	}
	if err := f.ReadWeights(r, fr, m.Arena().Params); err != nil {
		return none, err
	}
	return m, nil
}

// Vocab returns the vocabulary of base ordinary tokens and fr's control
// codes, or the error of its Check.
func (f Format) Vocab(fr *Frame, base int) (autoreg.Vocab, error) {
	v := autoreg.Vocab{Base: base, Controls: fr.Controls}
	if err := v.Check(); err != nil {
		return autoreg.Vocab{}, f.errorf("%v", err)
	}
	return v, nil
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

// flagHighway marks a real block's Spec.Highway.
const flagHighway = 1

// appendReal appends the real block of s.
func appendReal(b []byte, s *realio.Spec) []byte {
	le := binary.LittleEndian
	f64 := func(v float64) { b = le.AppendUint64(b, math.Float64bits(v)) }
	b = le.AppendUint32(b, uint32(s.Dim()))
	b = le.AppendUint32(b, uint32(s.Head.Kind))
	b = le.AppendUint32(b, uint32(s.Head.K))
	f64(s.Head.Grid.Lo)
	f64(s.Head.Grid.Step)
	b = le.AppendUint32(b, uint32(s.Head.Grid.N))
	var flags uint32
	if s.Highway {
		flags |= flagHighway
	}
	b = le.AppendUint32(b, flags)
	b = le.AppendUint32(b, uint32(len(s.Lags)))
	for _, l := range s.Lags {
		b = le.AppendUint32(b, uint32(l))
	}
	for _, v := range s.Mean {
		f64(v)
	}
	for _, v := range s.Scale {
		f64(v)
	}
	return b
}

// readReal reads a real block from the front of b, checking every count
// against what is left before allocating, and returns the rest.
func readReal(b []byte) (*realio.Spec, []byte, error) {
	le := binary.LittleEndian
	short := errors.New("truncated real-valued block")
	if len(b) < 36 {
		return nil, nil, short
	}
	d, kind, k := le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])
	g := dist.Grid{Lo: math.Float64frombits(le.Uint64(b[12:])), Step: math.Float64frombits(le.Uint64(b[20:])), N: int(le.Uint32(b[28:]))}
	flags := le.Uint32(b[32:])
	if flags&^flagHighway != 0 {
		return nil, nil, fmt.Errorf("real-valued block: unknown flags %#x", flags)
	}
	b = b[36:]
	if len(b) < 4 {
		return nil, nil, short
	}
	nl := le.Uint32(b)
	b = b[4:]
	if d > realio.MaxDim || nl > realio.MaxLags || kind > 255 || int64(len(b)) < 4*int64(nl)+16*int64(d) {
		return nil, nil, short
	}
	s := &realio.Spec{Head: dist.Head{Kind: dist.Kind(kind), K: int(k)}, Highway: flags&flagHighway != 0}
	if s.Head.Kind == dist.KindDiscretizedLogistic {
		s.Head.Grid = g
	} else if g != (dist.Grid{}) {
		return nil, nil, errors.New("real-valued block: a grid for a head without one")
	}
	for i := range nl {
		s.Lags = append(s.Lags, int(le.Uint32(b[4*i:])))
	}
	b = b[4*nl:]
	f64s := func(n uint32) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		b = b[8*n:]
		return out
	}
	s.Mean = f64s(d)
	s.Scale = f64s(d)
	if err := s.Check(); err != nil {
		return nil, nil, fmt.Errorf("real-valued block: %v", err)
	}
	return s, b, nil
}
