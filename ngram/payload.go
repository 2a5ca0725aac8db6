package ngram

// Binary payload of a Model, version 1. All integers and floats are
// little-endian; every array starts at a multiple of 8 bytes from the start
// of the payload (padding bytes are zero). The model-file container of
// package modelfile wraps the payload with its own header, the tokenizer and
// a checksum.
//
//	offset        size        field
//	0             4           magic "NGRM"
//	4             4           version (1)
//	8             4           order N, 1..MaxOrder
//	12            4           vocabulary base size B (ordinary tokens)
//	16            4           number of control codes C
//	20            4           flags: bit 0 = discounts are known (estimated model)
//	24            8·N         n-grams per order, uint64; order 1 holds V = B+3+C
//	24+8N         24·N        discounts D(1), D(2), D(3+) per order, float64
//	...           ...         C control-code names: uint32 length, bytes; then
//	                          zero padding to a multiple of 8
//	...           4·V, 4·V    unigram log10 probabilities, then log10 backoffs
//	                          (float32, indexed by token id)
//	...           16 each     orders 2..N-1: entries {context uint32, word
//	                          uint32, log10 p float32, log10 backoff float32}
//	...           12 each     order N ≥ 2: entries {context uint32, word uint32,
//	                          log10 p float32}; zero padding to a multiple of 8
//
// context is the index of the n-gram's context among the entries of order
// n-1 (a token id for bigrams); the n-gram is that context followed by word.
// The query tables are rebuilt from the entries when a payload is read, so
// the layout of the in-memory hash tables is not part of the format.
//
// Compatibility: readers reject other versions. A change of the layout bumps
// the version; version 1 stays readable.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/autoreg/autoreg"
)

const (
	payloadMagic   = "NGRM"
	payloadVersion = 1
	flagDiscounts  = 1
	headerSize     = 24
)

func pad8(n int64) int64 { return (n + 7) &^ 7 }

// EncodedSize returns the number of bytes WriteTo writes.
func (m *Model) EncodedSize() int64 {
	n := int64(headerSize) + 32*int64(m.order)
	var ctl int64
	for _, c := range m.vocab.Controls {
		ctl += 4 + int64(len(c))
	}
	n += pad8(ctl)
	n += 8 * int64(len(m.uniProb))
	for k := 2; k <= m.order; k++ {
		if k < m.order {
			n += 16 * int64(m.counts[k-1])
		} else {
			n += pad8(12 * int64(m.counts[k-1]))
		}
	}
	return n
}

// WriteTo writes the model's binary payload (format above) to w.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<16)}
	le := binary.LittleEndian
	var b []byte
	b = append(b, payloadMagic...)
	b = le.AppendUint32(b, payloadVersion)
	b = le.AppendUint32(b, uint32(m.order))
	b = le.AppendUint32(b, uint32(m.vocab.Base))
	b = le.AppendUint32(b, uint32(len(m.vocab.Controls)))
	var flags uint32
	if m.discounts != nil {
		flags |= flagDiscounts
	}
	b = le.AppendUint32(b, flags)
	for _, c := range m.counts {
		b = le.AppendUint64(b, uint64(c))
	}
	for k := 0; k < m.order; k++ {
		var d [3]float64
		if m.discounts != nil {
			d = m.discounts[k]
		}
		for _, x := range d {
			b = le.AppendUint64(b, math.Float64bits(x))
		}
	}
	start := len(b)
	for _, c := range m.vocab.Controls {
		b = le.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	b = append(b, make([]byte, pad8(int64(len(b)-start))-int64(len(b)-start))...)
	cw.Write(b)

	b = b[:0]
	flush := func(force bool) {
		if len(b) >= 1<<15 || force {
			cw.Write(b)
			b = b[:0]
		}
	}
	for _, p := range m.uniProb {
		b = le.AppendUint32(b, math.Float32bits(p))
		flush(false)
	}
	for _, p := range m.uniBo {
		b = le.AppendUint32(b, math.Float32bits(p))
		flush(false)
	}
	var idxLow []uint32 // entry index of each slot one order down (nil: tokens)
	for n := 2; n <= m.order; n++ {
		var idx []uint32
		if n < m.order {
			t := m.mid[n-2]
			idx = make([]uint32, len(t))
			next := uint32(0)
			for i, e := range t {
				if e.word == emptyWord {
					continue
				}
				idx[i] = next
				next++
				b = le.AppendUint32(b, rankOf(idxLow, e.ctx))
				b = le.AppendUint32(b, e.word)
				b = le.AppendUint32(b, math.Float32bits(e.prob))
				b = le.AppendUint32(b, math.Float32bits(e.bo))
				flush(false)
			}
		} else {
			written := 0
			for _, e := range m.top {
				if e.word == emptyWord {
					continue
				}
				b = le.AppendUint32(b, rankOf(idxLow, e.ctx))
				b = le.AppendUint32(b, e.word)
				b = le.AppendUint32(b, math.Float32bits(e.prob))
				written += 12
				flush(false)
			}
			b = append(b, make([]byte, pad8(int64(written))-int64(written))...)
		}
		idxLow = idx
	}
	flush(true)
	if cw.err == nil {
		cw.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, cw.err
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// payloadReader reads a payload of known size, refusing any length that
// does not fit in what remains.
type payloadReader struct {
	r    io.Reader
	off  int64
	size int64
	buf  []byte
}

func (p *payloadReader) errf(format string, args ...any) error {
	return &FormatError{Name: "model payload", Offset: p.off, Msg: fmt.Sprintf(format, args...)}
}

func (p *payloadReader) remaining() int64 { return p.size - p.off }

// need fails unless n more bytes remain.
func (p *payloadReader) need(n int64, what string) error {
	if n < 0 || n > p.remaining() {
		return p.errf("%s needs %d bytes, only %d remain", what, n, p.remaining())
	}
	return nil
}

// read returns the next n bytes (n ≤ 1<<16, checked by need beforehand).
func (p *payloadReader) read(n int) ([]byte, error) {
	if cap(p.buf) < n {
		p.buf = make([]byte, max(n, 1<<16))
	}
	b := p.buf[:n]
	if _, err := io.ReadFull(p.r, b); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, p.errf("truncated payload")
		}
		return nil, p.errf("read: %v", err)
	}
	p.off += int64(n)
	return b, nil
}

// records calls f for count records of size bytes each, reading in chunks.
func (p *payloadReader) records(count, size int, what string, f func([]byte) error) error {
	if err := p.need(int64(count)*int64(size), what); err != nil {
		return err
	}
	per := (1 << 16) / size
	for done := 0; done < count; {
		k := min(per, count-done)
		b, err := p.read(k * size)
		if err != nil {
			return err
		}
		for i := 0; i < k; i++ {
			if err := f(b[i*size : (i+1)*size]); err != nil {
				return err
			}
		}
		done += k
	}
	return nil
}

func (p *payloadReader) skipPad(n int64) error {
	if n == 0 {
		return nil
	}
	if err := p.need(n, "padding"); err != nil {
		return err
	}
	b, err := p.read(int(n))
	if err != nil {
		return err
	}
	for _, c := range b {
		if c != 0 {
			return p.errf("non-zero padding")
		}
	}
	return nil
}

func validProb(x float32) bool { return !math.IsNaN(float64(x)) && x <= 0 }
func validBo(x float32) bool   { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// ReadModel reads a payload written by WriteTo. size is the payload length:
// every length field is checked against the bytes that remain before
// anything is allocated, and the payload must end exactly at size.
func ReadModel(r io.Reader, size int64) (*Model, error) {
	p := &payloadReader{r: r, size: size}
	le := binary.LittleEndian
	if err := p.need(headerSize, "header"); err != nil {
		return nil, err
	}
	h, err := p.read(headerSize)
	if err != nil {
		return nil, err
	}
	if string(h[:4]) != payloadMagic {
		return nil, &FormatError{Name: "model payload", Msg: fmt.Sprintf("bad magic %q, not an n-gram model", h[:4])}
	}
	if v := le.Uint32(h[4:]); v != payloadVersion {
		return nil, &FormatError{Name: "model payload", Offset: 4, Msg: fmt.Sprintf("unsupported version %d (this reader knows %d)", v, payloadVersion)}
	}
	order := int(le.Uint32(h[8:]))
	base := le.Uint32(h[12:])
	nctl := le.Uint32(h[16:])
	flags := le.Uint32(h[20:])
	if order < 1 || order > MaxOrder {
		return nil, &FormatError{Name: "model payload", Offset: 8, Msg: fmt.Sprintf("order %d out of range [1, %d]", order, MaxOrder)}
	}
	if base < 1 || base > 1<<30 || nctl > autoreg.MaxControls {
		return nil, &FormatError{Name: "model payload", Offset: 12, Msg: fmt.Sprintf("vocabulary of %d tokens and %d control codes out of range", base, nctl)}
	}
	if flags&^flagDiscounts != 0 {
		return nil, &FormatError{Name: "model payload", Offset: 20, Msg: fmt.Sprintf("unknown flags %#x", flags)}
	}
	V := int(base) + autoreg.NumReserved + int(nctl)

	if err := p.need(32*int64(order), "counts and discounts"); err != nil {
		return nil, err
	}
	b, err := p.read(32 * order)
	if err != nil {
		return nil, err
	}
	counts := make([]int, order)
	for k := range counts {
		c := le.Uint64(b[8*k:])
		if c > math.MaxInt32 {
			return nil, &FormatError{Name: "model payload", Offset: headerSize + 8*int64(k), Msg: fmt.Sprintf("%d-gram count %d too large", k+1, c)}
		}
		counts[k] = int(c)
	}
	if counts[0] != V {
		return nil, &FormatError{Name: "model payload", Offset: headerSize, Msg: fmt.Sprintf("unigram count %d differs from the vocabulary size %d", counts[0], V)}
	}
	var discounts [][3]float64
	if flags&flagDiscounts != 0 {
		discounts = make([][3]float64, order)
		for k := range discounts {
			for j := 0; j < 3; j++ {
				discounts[k][j] = math.Float64frombits(le.Uint64(b[8*order+24*k+8*j:]))
			}
		}
	}

	start := p.off
	controls := make([]string, 0, min(int(nctl), 1024))
	for i := 0; i < int(nctl); i++ {
		if err := p.need(4, "control code length"); err != nil {
			return nil, err
		}
		lb, err := p.read(4)
		if err != nil {
			return nil, err
		}
		l := int64(le.Uint32(lb))
		if l > 1<<16 {
			return nil, p.errf("control code name of %d bytes", l)
		}
		if err := p.need(l, "control code name"); err != nil {
			return nil, err
		}
		s, err := p.read(int(l))
		if err != nil {
			return nil, err
		}
		controls = append(controls, string(s))
	}
	if err := p.skipPad(pad8(p.off-start) - (p.off - start)); err != nil {
		return nil, err
	}
	voc := autoreg.Vocab{Base: int(base), Controls: controls}
	if err := voc.Check(); err != nil {
		return nil, p.errf("%v", err)
	}

	m := &Model{vocab: voc, order: order, bos: voc.BOS(), counts: counts, discounts: discounts}
	if err := p.need(8*int64(V), "unigrams"); err != nil {
		return nil, err
	}
	m.uniProb = make([]float32, V)
	m.uniBo = make([]float32, V)
	i := 0
	if err := p.records(V, 4, "unigram probabilities", func(b []byte) error {
		x := math.Float32frombits(le.Uint32(b))
		if !validProb(x) {
			return p.errf("unigram %d: bad log10 probability %g", i, x)
		}
		m.uniProb[i] = x
		i++
		return nil
	}); err != nil {
		return nil, err
	}
	i = 0
	if err := p.records(V, 4, "unigram backoffs", func(b []byte) error {
		x := math.Float32frombits(le.Uint32(b))
		if !validBo(x) {
			return p.errf("unigram %d: bad log10 backoff %g", i, x)
		}
		m.uniBo[i] = x
		i++
		return nil
	}); err != nil {
		return nil, err
	}

	if order >= 3 {
		m.mid = make([][]midEntry, order-2)
	}
	var slotLow []uint32 // slot of each entry one order down (nil: tokens)
	lowCount := V
	for n := 2; n <= order; n++ {
		c := counts[n-1]
		size := 16
		if n == order {
			size = 12
		}
		// Check before allocating the table (1.5 slots per entry).
		if err := p.need(int64(c)*int64(size), fmt.Sprintf("%d-gram entries", n)); err != nil {
			return nil, err
		}
		var slots []uint32
		var mid []midEntry
		var top []topEntry
		if n < order {
			mid = newMidTable(c)
			slots = make([]uint32, c)
		} else {
			top = newTopTable(c)
		}
		steps, limit := 0, 64*c+1024
		k := 0 // entries decoded
		var mb [fillBatch]midEntry
		var tb [fillBatch]topEntry
		var out [fillBatch]uint32
		nb := 0
		insert := func() error {
			var dup int
			if n < order {
				dup = insertMidBatch(mid, mb[:nb], out[:nb], &steps)
				copy(slots[k-nb:k], out[:nb])
			} else {
				dup = insertTopBatch(top, tb[:nb], &steps)
			}
			if dup >= 0 {
				return p.errf("%d-gram %d repeated", n, k-nb+dup)
			}
			if steps > limit {
				return p.errf("%d-grams cluster pathologically in the hash table", n)
			}
			nb = 0
			return nil
		}
		if err := p.records(c, size, fmt.Sprintf("%d-gram entries", n), func(b []byte) error {
			ctx, word := le.Uint32(b), le.Uint32(b[4:])
			prob := math.Float32frombits(le.Uint32(b[8:]))
			if int64(ctx) >= int64(lowCount) || int64(word) >= int64(V) {
				return p.errf("%d-gram %d: context %d or word %d out of range", n, k, ctx, word)
			}
			if !validProb(prob) {
				return p.errf("%d-gram %d: bad log10 probability %g", n, k, prob)
			}
			if slotLow != nil {
				ctx = slotLow[ctx]
			}
			if n < order {
				bo := math.Float32frombits(le.Uint32(b[12:]))
				if !validBo(bo) {
					return p.errf("%d-gram %d: bad log10 backoff %g", n, k, bo)
				}
				mb[nb] = midEntry{ctx: ctx, word: word, prob: prob, bo: bo}
			} else {
				tb[nb] = topEntry{ctx: ctx, word: word, prob: prob}
			}
			nb++
			k++
			if nb == fillBatch {
				return insert()
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if err := insert(); err != nil {
			return nil, err
		}
		if n < order {
			m.mid[n-2] = mid
		} else {
			m.top = top
			if err := p.skipPad(pad8(12*int64(c)) - 12*int64(c)); err != nil {
				return nil, err
			}
		}
		slotLow, lowCount = slots, c
	}
	if p.remaining() != 0 {
		return nil, p.errf("%d trailing bytes after the model", p.remaining())
	}
	return m, nil
}
