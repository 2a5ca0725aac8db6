package tokenize

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The serialized form of a tokenizer, stored in model files (all integers
// little-endian):
//
//	magic    4 bytes  "ARTK"
//	version  u16      1, or 2 for the pixels and audio kinds
//	kind     u8 length, then the kind name ("byte", "char", "word", "pixels", "mulaw", "g711u")
//	controls u32 count, then per control code: u16 length, UTF-8 bytes
//	payload  byte: nothing
//	         char: u32 count, then count × u32 code points (ascending)
//	         word: u32 count, then per word: u32 length, bytes (id order)
//	         pixels: u32 levels, u32 height, u32 width, u32 channels
//	         mulaw, g711u: u32 sample rate, u32 channels
//
// Version 2 added the kinds that carry a shape (pixels, the audio kinds);
// the others are still written as version 1 (their bytes, and so the
// identities of their model files, are unchanged), and a reader of version
// 1 refuses the new kinds with a message to upgrade. Readers check every
// count against the bytes that remain before allocating.
const (
	marshalMagic   = "ARTK"
	marshalVersion = 2
)

// shaped reports whether kind is one of version 2's kinds.
func shaped(kind string) bool { return kind == KindPixels || kind == KindMuLaw || kind == KindG711U }

// Marshal serializes t.
func Marshal(t Tokenizer) ([]byte, error) {
	b := []byte(marshalMagic)
	version := uint16(1)
	if shaped(t.Kind()) {
		version = 2
	}
	b = binary.LittleEndian.AppendUint16(b, version)
	b = append(b, byte(len(t.Kind())))
	b = append(b, t.Kind()...)
	ctl := t.Vocab().Controls
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ctl)))
	for _, c := range ctl {
		if len(c) > 1<<16-1 {
			return nil, fmt.Errorf("tokenize: control code too long")
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(len(c)))
		b = append(b, c...)
	}
	switch t := t.(type) {
	case *Byte:
	case *Char:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t.runes)))
		for _, r := range t.runes {
			b = binary.LittleEndian.AppendUint32(b, uint32(r))
		}
	case *Pixels:
		for _, v := range []int{t.levels, t.shape.Height, t.shape.Width, t.shape.Channels} {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	case Sound:
		a := t.Audio()
		b = binary.LittleEndian.AppendUint32(b, uint32(a.Rate))
		b = binary.LittleEndian.AppendUint32(b, uint32(a.Channels))
	case *Word:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t.words)))
		for _, w := range t.words {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(w)))
			b = append(b, w...)
		}
	default:
		return nil, fmt.Errorf("tokenize: cannot serialize a %s tokenizer", t.Kind())
	}
	return b, nil
}

var errTruncated = errors.New("truncated")

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("at byte %d: %w", r.off, errTruncated)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8() int {
	p := r.take(1)
	if p == nil {
		return 0
	}
	return int(p[0])
}

func (r *reader) u16() int {
	p := r.take(2)
	if p == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(p))
}

func (r *reader) u32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

// count reads a u32 count of items each at least minSize bytes long and
// checks it against what remains.
func (r *reader) count(minSize int) int {
	n := r.u32()
	if r.err == nil && uint64(n)*uint64(minSize) > uint64(len(r.b)-r.off) {
		r.err = fmt.Errorf("at byte %d: count %d exceeds the remaining data", r.off-4, n)
		return 0
	}
	return int(n)
}

// Unmarshal reads a tokenizer serialized by Marshal.
func Unmarshal(data []byte) (Tokenizer, error) {
	t, err := unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("tokenize: corrupt tokenizer: %w", err)
	}
	return t, nil
}

func unmarshal(data []byte) (Tokenizer, error) {
	r := &reader{b: data}
	if string(r.take(4)) != marshalMagic {
		return nil, errors.New("bad magic")
	}
	version := r.u16()
	if r.err == nil && (version < 1 || version > marshalVersion) {
		return nil, fmt.Errorf("unsupported version %d (this build reads 1 to %d; upgrade autoreg)", version, marshalVersion)
	}
	kind := string(r.take(r.u8()))
	if r.err == nil && shaped(kind) != (version == 2) {
		return nil, fmt.Errorf("a %s tokenizer in version %d", kind, version)
	}
	nctl := r.count(2)
	var controls []string
	for i := 0; i < nctl && r.err == nil; i++ {
		controls = append(controls, string(r.take(r.u16())))
	}
	if r.err != nil {
		return nil, r.err
	}
	var t Tokenizer
	switch kind {
	case KindByte:
		t = NewByte()
	case KindChar:
		n := r.count(4)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = rune(r.u32())
		}
		if r.err != nil {
			return nil, r.err
		}
		for i := 1; i < len(rs); i++ {
			if rs[i] <= rs[i-1] {
				return nil, errors.New("characters not in ascending order")
			}
		}
		c, err := NewChar(rs)
		if err != nil {
			return nil, err
		}
		t = c
	case KindWord:
		n := r.count(5)
		words := make([]string, n)
		for i := range words {
			l := int(r.u32())
			if l > MaxWordLen {
				return nil, fmt.Errorf("word %d longer than %d bytes", i, MaxWordLen)
			}
			words[i] = string(r.take(l))
		}
		if r.err != nil {
			return nil, r.err
		}
		w, err := NewWord(words)
		if err != nil {
			return nil, err
		}
		t = w
	case KindPixels:
		var f [4]int
		for i := range f {
			f[i] = int(min(r.u32(), 1<<30))
		}
		if r.err != nil {
			return nil, r.err
		}
		p, err := NewPixels(f[0], Shape{Height: f[1], Width: f[2], Channels: f[3]})
		if err != nil {
			return nil, err
		}
		t = p
	case KindMuLaw, KindG711U:
		a := Audio{Rate: int(min(r.u32(), 1<<31-1)), Channels: int(min(r.u32(), 1<<31-1))}
		if r.err != nil {
			return nil, r.err
		}
		var err error
		if kind == KindMuLaw {
			t, err = NewMuLaw(a)
		} else {
			t, err = NewG711U(a)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown tokenizer kind %q", kind)
	}
	if r.off != len(data) {
		return nil, fmt.Errorf("%d trailing bytes", len(data)-r.off)
	}
	if len(controls) > 0 {
		return WithControls(t, controls)
	}
	return t, nil
}
