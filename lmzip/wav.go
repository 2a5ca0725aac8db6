package lmzip

import (
	"encoding/binary"
	"fmt"

	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/lmzip/internal/pcm"
	"github.com/autoreg/autoreg/wavfile"
)

// maxMediaChannels bounds the channels the PCM codec takes (each has a
// model of about 1 MB).
const maxMediaChannels = 32

// wavLayout recognizes a WAV file whose samples the PCM codec codes:
// integer PCM of 8, 16 or 24 bits and G.711 A-law and μ-law, any rate and
// channel count up to maxMediaChannels. Floating-point and 32-bit samples, and files whose data
// chunk does not start within the prefix, are left to the byte model.
func wavLayout(prefix []byte, level int) (mediaLayout, error) {
	f, off, n, err := wavfile.Layout(prefix)
	if err != nil {
		return mediaLayout{}, err
	}
	if f.Channels > maxMediaChannels {
		return mediaLayout{}, fmt.Errorf("%d channels are coded as bytes (the PCM codec takes up to %d)", f.Channels, maxMediaChannels)
	}
	bits := f.Bits
	switch {
	case f.Encoding == wavfile.PCM && f.Bits <= pcm.MaxBits:
	case f.Encoding == wavfile.MuLaw || f.Encoding == wavfile.ALaw:
		bits = 8
	default:
		return mediaLayout{}, fmt.Errorf("%d-bit %s samples are coded as bytes", f.Bits, f.Encoding)
	}
	pf := pcm.Format{Channels: f.Channels, Bits: bits, Rate: f.SampleRate}
	c := &wavCodec{wavFrames: wavFrames{f: f, frame: f.BlockAlign()}}
	if c.enc, err = pcm.NewEncoder(pf, level); err != nil {
		return mediaLayout{}, err
	}
	if c.dec, err = pcm.NewDecoder(pf, level); err != nil {
		return mediaLayout{}, err
	}
	return mediaLayout{off: off, n: n, codec: c}, nil
}

// wavCodec codes a WAV file's frames with the PCM codec: the samples as
// integers (8-bit PCM centred on 0; G.711 codes as sign and magnitude, a
// monotone map of the 256 codes onto −128…127, so both zeros survive).
// A writer uses enc, a reader dec; they share nothing.
type wavCodec struct {
	wavFrames
	enc *pcm.Encoder
	dec *pcm.Decoder
}

// wavFrames is what the WAV codecs share: the format, a frame as the
// unit, and a buffer of samples as integers.
type wavFrames struct {
	f     wavfile.Format
	frame int
	buf   []int32
}

func (c *wavFrames) unit() int { return c.frame }

// samples returns the buffer, n samples long.
func (c *wavFrames) samples(n int) []int32 {
	if cap(c.buf) < n {
		c.buf = make([]int32, n)
	}
	return c.buf[:n]
}

func (c *wavCodec) encode(enc *arith.Encoder, units []byte) {
	s := c.samples(len(units) * 8 / c.f.Bits)
	toInts(s, units, c.f)
	c.enc.Encode(enc, s)
}

func (c *wavCodec) decode(dec *arith.Decoder, dst []byte) {
	s := c.samples(len(dst) * 8 / c.f.Bits)
	c.dec.Decode(dec, s)
	fromInts(dst, s, c.f)
}

func toInts(dst []int32, b []byte, f wavfile.Format) {
	switch {
	case f.Encoding == wavfile.MuLaw:
		for i, v := range b {
			dst[i] = g711Int(^v)
		}
	case f.Encoding == wavfile.ALaw:
		for i, v := range b {
			dst[i] = g711Int(v ^ 0xD5)
		}
	case f.Bits == 8:
		for i, v := range b {
			dst[i] = int32(v) - 128
		}
	case f.Bits == 16:
		for i := range dst {
			dst[i] = int32(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
	default: // 24
		for i := range dst {
			dst[i] = int32(uint32(b[3*i])<<8|uint32(b[3*i+1])<<16|uint32(b[3*i+2])<<24) >> 8
		}
	}
}

func fromInts(dst []byte, s []int32, f wavfile.Format) {
	switch {
	case f.Encoding == wavfile.MuLaw:
		for i, v := range s {
			dst[i] = ^g711Code(v)
		}
	case f.Encoding == wavfile.ALaw:
		for i, v := range s {
			dst[i] = g711Code(v) ^ 0xD5
		}
	case f.Bits == 8:
		for i, v := range s {
			dst[i] = byte(v + 128)
		}
	case f.Bits == 16:
		for i, v := range s {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(v))
		}
	default:
		for i, v := range s {
			dst[3*i], dst[3*i+1], dst[3*i+2] = byte(v), byte(v>>8), byte(v>>16)
		}
	}
}

// g711Int maps a G.711 code in sign-magnitude form (bit 7 set for
// negative; μ-law after inverting every bit, A-law after XOR 0xD5) to an
// integer that grows with the sample: magnitude m is m when positive,
// −m−1 when negative.
func g711Int(c byte) int32 {
	m := int32(c & 0x7F)
	if c&0x80 != 0 {
		return -m - 1
	}
	return m
}

func g711Code(v int32) byte {
	if v < 0 {
		return byte(-v-1) | 0x80
	}
	return byte(v)
}
