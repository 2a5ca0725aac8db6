package lmzip

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg/arith"
)

// Media. A file of a recognized type (a WAV file) is split into its body,
// the samples, coded unit by unit (a unit is one frame) by the type's own
// model, and everything else (the header before the body, chunks after
// it), coded by the byte model as any file is. The writer recognizes the
// type from the first block; the container header records it (see
// mediaHeader), and the reader decodes the bytes before the body first,
// then reads the body's layout from them as the writer did, so the file's
// own header is stored once, by the byte model. Every byte of the file
// comes back: a body the type's model cannot code whole (a truncated last
// frame) is coded as bytes.

// unitCodec codes a media body unit by unit; its model runs on from block
// to block, as a blockCodec's does.
type unitCodec interface {
	// unit is the size of one unit in bytes.
	unit() int
	// encode codes whole units; with a nil encoder it only advances the
	// model over them (a stored block).
	encode(enc *arith.Encoder, units []byte)
	// decode fills dst, whole units.
	decode(dec *arith.Decoder, dst []byte)
}

// mediaLayout is where a recognized file's body lies: n bytes from offset
// off, coded by codec.
type mediaLayout struct {
	off, n int64
	codec  unitCodec
}

// mediaKind recognizes one type: layout reads a file's header from prefix
// (its first bytes, at least up to the body) and returns the layout of a
// body it can code at the given level, or an error saying why not.
type mediaKind struct {
	name   string
	layout func(prefix []byte, level int) (mediaLayout, error)
}

// mediaKinds are the recognized types, tried in order.
var mediaKinds = []mediaKind{{"wav", wavLayout}}

func findMediaKind(name string) (mediaKind, bool) {
	for _, k := range mediaKinds {
		if k.name == name {
			return k, true
		}
	}
	return mediaKind{}, false
}

// mediaHeader is what the container header records of a media stream,
// after the byte model's configuration and " | ": "media KIND LEVEL OFF N".
type mediaHeader struct {
	kind   string
	level  int
	off, n int64
}

func (m mediaHeader) String() string {
	return fmt.Sprintf("media %s %d %d %d", m.kind, m.level, m.off, m.n)
}

const mediaSep = " | "

// splitMedia splits a header's configuration text into the byte model's
// configuration and the media description, if any.
func splitMedia(config string) (string, *mediaHeader, error) {
	cfg, media, ok := strings.Cut(config, mediaSep)
	if !ok {
		return config, nil, nil
	}
	f := strings.Fields(media)
	if len(f) != 5 || f[0] != "media" {
		return "", nil, fmt.Errorf("bad media description %q", media)
	}
	m := &mediaHeader{kind: f[1]}
	var err error
	nums := []*int64{&m.off, &m.n}
	lvl, err := strconv.Atoi(f[2])
	if err != nil || lvl < 1 || lvl > MaxLevel {
		return "", nil, fmt.Errorf("bad media level %q", f[2])
	}
	m.level = lvl
	for i, s := range f[3:] {
		if *nums[i], err = strconv.ParseInt(s, 10, 64); err != nil || *nums[i] < 0 {
			return "", nil, fmt.Errorf("bad media description %q", media)
		}
	}
	if _, ok := findMediaKind(m.kind); !ok {
		return "", nil, fmt.Errorf("media type %q unknown to this build (upgrade autoreg)", m.kind)
	}
	return cfg, m, nil
}

// MaxLevel is the highest media coding level (Options.Level).
const MaxLevel = 2

// mediaCodec is the blockCodec of a media stream: the byte codec before
// and after the body, the unit codec inside it.
type mediaCodec struct {
	bytes  blockCodec
	h      mediaHeader
	kind   mediaKind
	body   unitCodec // nil until the prefix is known (the reader)
	pos    int64     // stream offset of the next byte
	prefix []byte    // the reader's copy of the bytes before the body
	err    error     // a body the reader could not set up in a stored block
}

func newMediaCodec(bytes blockCodec, h mediaHeader, body unitCodec) (*mediaCodec, error) {
	k, ok := findMediaKind(h.kind)
	if !ok {
		return nil, fmt.Errorf("media type %q unknown to this build", h.kind)
	}
	return &mediaCodec{bytes: bytes, h: h, kind: k, body: body}, nil
}

// newModelMediaCodec is newMediaCodec for a body coded by a model's kind
// (realWavKind) rather than one of mediaKinds.
func newModelMediaCodec(bytes blockCodec, h mediaHeader, k mediaKind, body unitCodec) (*mediaCodec, error) {
	if h.kind != k.name {
		return nil, fmt.Errorf("media type %q, but the model codes %q", h.kind, k.name)
	}
	return &mediaCodec{bytes: bytes, h: h, kind: k, body: body}, nil
}

// span returns how many of the next n bytes form one segment (all bytes,
// or all body), and whether they are body units.
func (m *mediaCodec) span(n int) (int, bool) {
	end := m.h.off + m.h.n
	switch {
	case m.pos < m.h.off:
		return int(min(int64(n), m.h.off-m.pos)), false
	case m.pos >= end:
		return n, false
	}
	u := m.body.unit()
	k := int(min(int64(n), end-m.pos))
	if k < u { // a last partial unit: bytes
		return k, false
	}
	return k / u * u, true
}

// tail is how many bytes at the end of a block (not the last) a writer
// holds back for the next one, so that no unit straddles two blocks.
func (m *mediaCodec) tail(start int64, n int) int {
	end := m.h.off + m.h.n
	stop := start + int64(n)
	if stop <= m.h.off || stop >= end || m.body == nil {
		return 0
	}
	u := int64(m.body.unit())
	return int((stop - max(start, m.h.off)) % u)
}

func (m *mediaCodec) encode(enc *arith.Encoder, raw []byte) {
	for len(raw) > 0 {
		if m.err == nil {
			m.err = m.ready()
		}
		if m.err != nil { // corrupt: the block checksums report it
			return
		}
		k, body := m.span(len(raw))
		if body {
			m.body.encode(enc, raw[:k])
		} else {
			m.bytes.encode(enc, raw[:k])
			m.keepPrefix(raw[:k])
		}
		m.pos += int64(k)
		raw = raw[k:]
	}
}

func (m *mediaCodec) decode(dec *arith.Decoder, dst []byte) error {
	for len(dst) > 0 {
		if m.err == nil {
			m.err = m.ready()
		}
		if m.err != nil {
			return m.err
		}
		k, body := m.span(len(dst))
		if body {
			m.body.decode(dec, dst[:k])
		} else {
			if err := m.bytes.decode(dec, dst[:k]); err != nil {
				return err
			}
			m.keepPrefix(dst[:k])
		}
		m.pos += int64(k)
		dst = dst[k:]
	}
	return nil
}

// keepPrefix keeps the bytes before the body, from which a reader learns
// the body's layout.
func (m *mediaCodec) keepPrefix(b []byte) {
	if m.body == nil && m.pos < m.h.off {
		m.prefix = append(m.prefix, b[:min(int64(len(b)), m.h.off-m.pos)]...)
	}
}

// ready builds the body's codec once the bytes before it are known.
func (m *mediaCodec) ready() error {
	if m.body != nil || m.pos < m.h.off {
		return nil
	}
	l, err := m.kind.layout(m.prefix, m.h.level)
	if err != nil {
		return fmt.Errorf("%s header: %v", m.h.kind, err)
	}
	if l.off != m.h.off || l.n != m.h.n {
		return fmt.Errorf("%s header places the body at %d (%d bytes), the container at %d (%d bytes)", m.h.kind, l.off, l.n, m.h.off, m.h.n)
	}
	m.body, m.prefix = l.codec, nil
	return nil
}

// recognize tries the media kinds on the first block of a stream.
func recognize(first []byte, level int) (mediaHeader, unitCodec, bool) {
	for _, k := range mediaKinds {
		if l, err := k.layout(first, level); err == nil {
			return mediaHeader{kind: k.name, level: level, off: l.off, n: l.n}, l.codec, true
		}
	}
	return mediaHeader{}, nil, false
}
