// Package arith is a range coder (arithmetic coding with byte-wise output,
// after G. N. N. Martin, "Range encoding", 1979, with the carry handling of
// the LZMA range coder) over integer frequency tables, plus a binary variant
// for bitwise models.
//
// The coder keeps a 64-bit low and a 64-bit range, renormalized so the range
// stays in [2^56, 2^64), and accepts frequency totals up to [MaxTotal] = 2^31.
// Splitting the range into total parts costs at most total/range ≤ 2^-25 of
// relative precision per symbol (≈ 4·10^-8 bits), the final flush costs at
// most two bytes per stream, and carries propagate into pending output bytes,
// so the overhead over the ideal code length Σ −log2(freq/total) is far below
// 0.1% (TestOverhead measures it). A 32-bit range with 2^24 totals would lose
// up to 2^-8 of precision on some symbols — about 0.3% on text at two bits per
// symbol — which is why the state is 64 bits wide.
//
// Every operation is integer arithmetic, so encoder and decoder agree bit for
// bit on every platform. The decoder never panics and never loops on garbage:
// any byte string decodes to some symbol sequence (checksums in the container
// above catch corruption), and reads past the end of the input yield zeros.
package arith

import (
	"errors"
	"io"
	"math/bits"
)

// MaxTotal is the largest frequency total Encode and Decode accept.
const MaxTotal = 1 << 31

// ProbBits is the precision of the binary coder's probabilities: EncodeBit
// and DecodeBit take P(bit = 1) as an integer in [1, 2^ProbBits - 1].
const ProbBits = 16

// MaxOverrun bounds Overrun after decoding a complete valid stream: the
// decoder reads 8 bytes ahead, and Close drops up to 2 trailing zero bytes.
const MaxOverrun = 10

const (
	topValue = 1 << 56 // the range is renormalized to stay ≥ topValue
	bufSize  = 4096
)

// ErrTotal is returned (through Err) when a caller passes an invalid
// frequency triple; it is a programming error on the encoding side.
var ErrTotal = errors.New("arith: invalid frequency (need 0 < freq, cum+freq ≤ total ≤ MaxTotal)")

// Encoder writes a range-coded stream to an io.Writer. The zero value is not
// usable; call NewEncoder.
type Encoder struct {
	low       uint64
	rng       uint64
	carry     bool  // a carry out of low waits to be added to the pending bytes
	cache     byte  // the last output byte not yet final (a carry may still reach it)
	haveCache bool  // false until the first byte leaves low
	ffs       int64 // 0xFF bytes pending after cache
	w         io.Writer
	buf       []byte
	n         int64
	err       error
}

// NewEncoder returns an Encoder writing to w. Call Close to flush.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{rng: ^uint64(0), w: w, buf: make([]byte, 0, bufSize)}
}

// Encode codes the symbol whose cumulative frequency interval is
// [cum, cum+freq) out of total. The last symbol of a table (cum+freq ==
// total) also receives the rounding remainder of the range, so no code space
// is wasted.
func (e *Encoder) Encode(cum, freq, total uint32) {
	if freq == 0 || uint64(cum)+uint64(freq) > uint64(total) || total > MaxTotal {
		if e.err == nil {
			e.err = ErrTotal
		}
		return
	}
	r := e.rng / uint64(total)
	lo := r * uint64(cum)
	if cum+freq == total {
		e.rng -= lo
	} else {
		e.rng = r * uint64(freq)
	}
	e.add(lo)
	for e.rng < topValue {
		e.rng <<= 8
		e.shiftLow()
	}
}

// EncodeBit codes one bit with P(bit = 1) = p1 / 2^ProbBits. p1 is clamped
// to [1, 2^ProbBits - 1], so neither value is ever impossible.
func (e *Encoder) EncodeBit(bit int, p1 uint32) {
	p1 = clampP(p1)
	split := (e.rng >> ProbBits) * uint64(p1)
	if bit != 0 {
		e.rng = split
	} else {
		e.add(split)
		e.rng -= split
	}
	for e.rng < topValue {
		e.rng <<= 8
		e.shiftLow()
	}
}

func clampP(p uint32) uint32 {
	if p < 1 {
		return 1
	}
	if p > 1<<ProbBits-1 {
		return 1<<ProbBits - 1
	}
	return p
}

func (e *Encoder) add(v uint64) {
	var c uint64
	e.low, c = bits.Add64(e.low, v, 0)
	// low + range never exceeds the interval the coder started the current
	// byte with, so at most one carry is pending between two shifts.
	e.carry = e.carry || c != 0
}

// shiftLow moves the top byte of low to the pending output.
func (e *Encoder) shiftLow() {
	top := byte(e.low >> 56)
	if top != 0xFF || e.carry {
		var c byte
		if e.carry {
			c = 1
		}
		if e.haveCache {
			e.put(e.cache + c)
		}
		for ; e.ffs > 0; e.ffs-- {
			e.put(0xFF + c)
		}
		e.cache = top
		e.haveCache = true
		e.carry = false
	} else {
		e.ffs++
	}
	e.low <<= 8
}

func (e *Encoder) put(b byte) {
	e.buf = append(e.buf, b)
	if len(e.buf) == cap(e.buf) {
		e.flushBuf()
	}
}

func (e *Encoder) flushBuf() {
	if e.err == nil && len(e.buf) > 0 {
		var n int
		n, e.err = e.w.Write(e.buf)
		e.n += int64(n)
	}
	e.buf = e.buf[:0]
}

// Close writes the shortest tail that identifies the final interval (the
// decoder reads zeros past the end of its input) and flushes the buffer. It
// does not close the underlying writer.
func (e *Encoder) Close() error {
	// Pick the value in [low, low+range) whose low 56 bits are zero: it
	// exists because range ≥ 2^56, and only its top byte needs writing.
	const m = topValue - 1
	v, c := bits.Add64(e.low, m, 0)
	v &^= m
	e.low = v
	e.carry = e.carry || c != 0
	e.shiftLow() // emits older pending bytes; v's top byte becomes pending
	// Trailing zero bytes may be dropped: the decoder reads zeros past the end.
	if e.ffs > 0 || e.cache != 0 {
		if e.haveCache { // else nothing left the coder yet and cache is no byte
			e.put(e.cache)
		}
		for ; e.ffs > 0; e.ffs-- {
			e.put(0xFF)
		}
	}
	e.haveCache = false
	e.flushBuf()
	return e.err
}

// Written is the number of bytes passed to the underlying writer so far.
func (e *Encoder) Written() int64 { return e.n + int64(len(e.buf)) }

// Err reports the first error: a write error or ErrTotal.
func (e *Encoder) Err() error { return e.err }

// Decoder reads a stream written by Encoder. It must be driven with the same
// sequence of frequency tables and bit probabilities as the encoder.
type Decoder struct {
	code  uint64 // value − low: the offset of the coded value in the interval
	rng   uint64
	r     uint64 // rng / total of the last Target call
	src   io.ByteReader
	over  int64 // bytes read past the end of the input
	nread int64
	err   error
}

type byteReader struct {
	r   io.Reader
	buf []byte
	i   int
}

func (b *byteReader) ReadByte() (byte, error) {
	if b.i < len(b.buf) {
		c := b.buf[b.i]
		b.i++
		return c, nil
	}
	if b.buf == nil {
		b.buf = make([]byte, bufSize)
	}
	n, err := io.ReadAtLeast(b.r, b.buf[:cap(b.buf)], 1)
	if n == 0 {
		if err == nil || err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return 0, err
	}
	b.buf = b.buf[:n]
	b.i = 1
	return b.buf[0], nil
}

// NewDecoder returns a Decoder reading from r. If r is an io.ByteReader it
// is read one byte at a time and never past what the decoder needs.
func NewDecoder(r io.Reader) *Decoder {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = &byteReader{r: r}
	}
	d := &Decoder{src: br, rng: ^uint64(0)}
	for i := 0; i < 8; i++ {
		d.code = d.code<<8 | uint64(d.next())
	}
	return d
}

func (d *Decoder) next() byte {
	c, err := d.src.ReadByte()
	if err != nil {
		if err != io.EOF && d.err == nil {
			d.err = err
		}
		d.over++
		return 0
	}
	d.nread++
	return c
}

func (d *Decoder) normalize() {
	for d.rng < topValue {
		d.rng <<= 8
		d.code = d.code<<8 | uint64(d.next())
	}
}

// Target returns the cumulative frequency the coded value points at, in
// [0, total); the caller finds the symbol whose interval holds it and calls
// Consume. total must be in [1, MaxTotal].
func (d *Decoder) Target(total uint32) uint32 {
	if total == 0 || total > MaxTotal {
		if d.err == nil {
			d.err = ErrTotal
		}
		d.r = 0
		return 0
	}
	d.r = d.rng / uint64(total)
	t := d.code / d.r
	if t >= uint64(total) {
		// The rounding remainder belongs to the last symbol (and garbage
		// input lands here too).
		t = uint64(total) - 1
	}
	return uint32(t)
}

// Consume removes the symbol [cum, cum+freq) of total from the coded value;
// it must follow Target(total) with a symbol whose interval holds the target.
func (d *Decoder) Consume(cum, freq, total uint32) {
	if d.r == 0 || freq == 0 || uint64(cum)+uint64(freq) > uint64(total) || total > MaxTotal {
		if d.err == nil {
			d.err = ErrTotal
		}
		d.rng = ^uint64(0)
		return
	}
	lo := d.r * uint64(cum)
	if lo > d.code {
		lo = d.code // only on misuse or garbage; keeps code ≥ 0
	}
	d.code -= lo
	if cum+freq == total {
		d.rng -= d.r * uint64(cum)
	} else {
		d.rng = d.r * uint64(freq)
	}
	if d.rng == 0 {
		d.rng = 1
	}
	d.normalize()
}

// DecodeBit decodes one bit coded with EncodeBit(bit, p1).
func (d *Decoder) DecodeBit(p1 uint32) int {
	p1 = clampP(p1)
	split := (d.rng >> ProbBits) * uint64(p1)
	var bit int
	if d.code < split {
		d.rng = split
		bit = 1
	} else {
		d.code -= split
		d.rng -= split
	}
	d.normalize()
	return bit
}

// Overrun is the number of zero bytes the decoder invented past the end of
// its input. Decoding a whole valid stream needs at most MaxOverrun; more
// means truncation.
func (d *Decoder) Overrun() int64 { return d.over }

// Read is the number of input bytes consumed.
func (d *Decoder) Read() int64 { return d.nread }

// Err reports the first read error other than io.EOF, or ErrTotal.
func (d *Decoder) Err() error { return d.err }
