package wavfile

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Encoding is how a sample is stored.
type Encoding uint8

// Encodings of the samples of a WAV file.
const (
	// PCM is linear integer PCM: 8-bit unsigned (128 is silence), 16-, 24-
	// and 32-bit signed, little-endian (format code 1).
	PCM Encoding = 1
	// Float is IEEE 754 floating point, 32 or 64 bits, little-endian,
	// nominally in [−1, 1] (format code 3).
	Float Encoding = 3
	// ALaw is ITU-T G.711 A-law, one byte per sample (format code 6).
	ALaw Encoding = 6
	// MuLaw is ITU-T G.711 μ-law, one byte per sample (format code 7).
	MuLaw Encoding = 7
)

// String names the encoding as the CLI prints it.
func (e Encoding) String() string {
	switch e {
	case PCM:
		return "PCM"
	case Float:
		return "float"
	case ALaw:
		return "A-law"
	case MuLaw:
		return "μ-law"
	}
	return fmt.Sprintf("format %d", uint8(e))
}

const (
	tagExtensible = 0xFFFE
	// MaxChannels bounds the channels of a file this package reads.
	MaxChannels = 1024
)

// guidTail is bytes 2..15 of the KSDATAFORMAT_SUBTYPE GUIDs of
// WAVE_FORMAT_EXTENSIBLE: the format code, then
// 0000-0010-8000-00AA00389B71.
var guidTail = [14]byte{0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71}

// Format is the layout of the samples: the "fmt " chunk.
type Format struct {
	Encoding   Encoding
	Channels   int // interleaved in each frame
	SampleRate int // frames per second
	// Bits is the size of one sample in the file: 8, 16, 24 or 32 for PCM
	// (a multiple of 8), 32 or 64 for Float, 8 for A-law and μ-law.
	Bits int
	// ValidBits is how many of a PCM sample's bits are significant (the
	// most significant ones; 12-bit audio in 16-bit samples has 12); 0 or
	// Bits means all.
	ValidBits int
	// Extensible selects the WAVE_FORMAT_EXTENSIBLE form of the fmt chunk,
	// which carries ValidBits and ChannelMask. Writers choose it by
	// themselves where the plain form cannot describe the samples (see
	// Chunk); a decoded file keeps the form it had.
	Extensible bool
	// ChannelMask assigns channels to speaker positions (extensible form;
	// 0 means unassigned).
	ChannelMask uint32
}

// BlockAlign is the size of one frame in bytes.
func (f Format) BlockAlign() int { return f.Channels * f.Bits / 8 }

// Check reports whether the format is one this package can read and write.
func (f Format) Check() error {
	if f.Channels < 1 || f.Channels > MaxChannels {
		return fmt.Errorf("%d channels (want 1 to %d)", f.Channels, MaxChannels)
	}
	if f.SampleRate < 1 || int64(f.SampleRate) > 1<<32-1 {
		return fmt.Errorf("sample rate %d", f.SampleRate)
	}
	ok := false
	switch f.Encoding {
	case PCM:
		ok = f.Bits == 8 || f.Bits == 16 || f.Bits == 24 || f.Bits == 32
	case Float:
		ok = f.Bits == 32 || f.Bits == 64
	case ALaw, MuLaw:
		ok = f.Bits == 8
	default:
		return fmt.Errorf("unsupported sample format %s (PCM, float, A-law and μ-law are read)", f.Encoding)
	}
	if !ok {
		return fmt.Errorf("%d-bit %s samples are not supported", f.Bits, f.Encoding)
	}
	if f.ValidBits < 0 || f.ValidBits > f.Bits || (f.ValidBits != 0 && f.ValidBits != f.Bits && f.Encoding != PCM) {
		return fmt.Errorf("%d valid bits in %d-bit %s samples", f.ValidBits, f.Bits, f.Encoding)
	}
	if f.Channels*f.Bits/8 > 1<<16-1 {
		return fmt.Errorf("frames of %d bytes", f.Channels*f.Bits/8)
	}
	return nil
}

// needsExtensible reports whether only the extensible form describes f.
func (f Format) needsExtensible() bool {
	return f.Channels > 2 || f.Bits > 16 && f.Encoding == PCM || f.ValidBits != 0 && f.ValidBits != f.Bits || f.ChannelMask != 0
}

// Chunk returns the body of the fmt chunk that describes f: the plain
// 16-byte form for PCM, 18 bytes (cbSize 0) for the other encodings, or
// the 40-byte WAVE_FORMAT_EXTENSIBLE form when f.Extensible is set or the
// format needs it (more than two channels, PCM of more than 16 bits, fewer
// valid bits or a channel mask), as Microsoft's documentation asks.
func (f Format) Chunk() []byte {
	le := binary.LittleEndian
	ext := f.Extensible || f.needsExtensible()
	tag := uint16(f.Encoding)
	if ext {
		tag = tagExtensible
	}
	b := le.AppendUint16(nil, tag)
	b = le.AppendUint16(b, uint16(f.Channels))
	b = le.AppendUint32(b, uint32(f.SampleRate))
	b = le.AppendUint32(b, uint32(f.SampleRate)*uint32(f.BlockAlign())) // wraps as other writers do
	b = le.AppendUint16(b, uint16(f.BlockAlign()))
	b = le.AppendUint16(b, uint16(f.Bits))
	switch {
	case ext:
		valid := f.ValidBits
		if valid == 0 {
			valid = f.Bits
		}
		b = le.AppendUint16(b, 22)
		b = le.AppendUint16(b, uint16(valid))
		b = le.AppendUint32(b, f.ChannelMask)
		b = le.AppendUint16(b, uint16(f.Encoding))
		b = append(b, guidTail[:]...)
	case f.Encoding != PCM:
		b = le.AppendUint16(b, 0)
	}
	return b
}

// parseFormat reads the body of a fmt chunk. Trailing extension bytes
// beyond what it reads are allowed (the chunk is kept as it was).
func parseFormat(b []byte) (Format, error) {
	le := binary.LittleEndian
	if len(b) < 16 {
		return Format{}, fmt.Errorf("fmt chunk of %d bytes (at least 16 needed)", len(b))
	}
	tag := le.Uint16(b)
	f := Format{
		Channels:   int(le.Uint16(b[2:])),
		SampleRate: int(le.Uint32(b[4:])),
		Bits:       int(le.Uint16(b[14:])),
	}
	blockAlign := int(le.Uint16(b[12:]))
	switch tag {
	case tagExtensible:
		if len(b) < 40 || le.Uint16(b[16:]) < 22 {
			return Format{}, errors.New("WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes")
		}
		if [14]byte(b[26:40]) != guidTail {
			return Format{}, fmt.Errorf("unsupported WAVE_FORMAT_EXTENSIBLE sub-format %x", b[24:40])
		}
		f.Extensible = true
		f.ValidBits = int(le.Uint16(b[18:]))
		f.ChannelMask = le.Uint32(b[20:])
		f.Encoding = Encoding(le.Uint16(b[24:]))
		if le.Uint16(b[24:]) > 0xFF {
			return Format{}, fmt.Errorf("unsupported WAVE_FORMAT_EXTENSIBLE sub-format %#04x", le.Uint16(b[24:]))
		}
		if f.ValidBits == f.Bits {
			f.ValidBits = 0
		}
	case uint16(PCM), uint16(Float), uint16(ALaw), uint16(MuLaw):
		f.Encoding = Encoding(tag)
		// The plain form gives the significant bits; the container is
		// the next whole byte (12-bit samples in 16 bits).
		if f.Encoding == PCM && f.Bits%8 != 0 {
			f.ValidBits = f.Bits
			f.Bits = (f.Bits + 7) &^ 7
		}
	default:
		return Format{}, fmt.Errorf("unsupported format code %#04x (PCM, float, A-law, μ-law and extensible are read)", tag)
	}
	if f.Channels == 0 {
		return Format{}, errors.New("fmt chunk: 0 channels")
	}
	if f.Bits == 0 {
		return Format{}, errors.New("fmt chunk: 0 bits per sample")
	}
	if f.Channels*f.Bits%8 == 0 && blockAlign != f.Channels*f.Bits/8 {
		return Format{}, fmt.Errorf("fmt chunk: block align %d for %d channels of %d bits (want %d)", blockAlign, f.Channels, f.Bits, f.Channels*f.Bits/8)
	}
	if err := f.Check(); err != nil {
		return Format{}, fmt.Errorf("fmt chunk: %v", err)
	}
	return f, nil
}
