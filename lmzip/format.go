package lmzip

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Container layout (all integers little-endian; uvarint is encoding/binary's
// unsigned varint). See docs/COMPRESSION.md for the full specification.
//
//	header:  magic "ARZ\x1a" | version u8 (1; 2 for engine 2; 3, 4 for its light, fast profiles) | mode u8 | block-size log2 u8 | flags u8 (static: bit 0 lines,
//	         bit 1 token-first literals, bit 2 a media stream coded by a real-valued model)
//	         mode 1 (adaptive): uvarint n, n bytes of configuration text
//	         mode 2 (static):   32-byte model SHA-256 | numeric path u8 |
//	                            uvarint n, n bytes of platform tag |
//	                            flag bit 2 (media): uvarint n, n bytes of configuration
//	         mode 3 (media):    kind u8 (1 image) | codec u8 (image: 1 fast, 2 slow; + 0x10 pixel blocks,
//	                            + 0x20 colour transform, + 0x40 deflated metadata)
//	         CRC-32C of the header bytes so far, u32
//	blocks:  kind u8: 1 coded | 2 stored | 0 end
//	         coded:  uvarint raw length | uvarint payload length | payload | CRC-32C(raw) u32
//	         stored: uvarint raw length | raw bytes | CRC-32C(raw) u32
//	         end:    uvarint total length | CRC-32C(all content) u32
//	mode 3 instead of blocks, kind 1 (image): uvarint m, m bytes of image metadata
//	         (with 0x40 in the codec: uvarint m, uvarint c, c bytes of raw deflate) |
//	         CRC-32C(metadata) u32 | uvarint p, p bytes of coded samples (with
//	         0x10 in the codec: u8 fx, u8 fy, then the image of the blocks; with
//	         0x20: u8 colour transform (+ 0x80: colour in column pairs), then
//	         the transformed samples) |
//	         CRC-32C(samples as u16) u32; then end of file
const (
	magic = "ARZ\x1a"
	// version is what the writer puts in the header, unless the stream
	// needs what version 1 readers lack: versionContent, adaptive engine 2
	// (configurations "cm2 ..."), whose payloads start with a content
	// kind; versionProfile, engine 2's light profile (configurations with
	// p=1, the balanced level); versionFast, engine 2's fast profile (p=2,
	// the default level).
	// Readers take every version up to maxVersion.
	version        = 1
	versionContent = 2
	versionProfile = 3
	versionFast    = 4
	maxVersion     = versionFast

	modeAdaptive = 1
	modeStatic   = 2
	modeMedia    = 3 // a media file: its samples coded by the kind's codec, the rest stored

	mediaImage = 1 // media kind: an image file, its samples coded by package imagecm (image.go)

	kindEnd    = 0
	kindCoded  = 1
	kindStored = 2

	// Block sizes: 2^minBlockLog .. 2^maxBlockLog bytes of input per block.
	minBlockLog     = 12
	maxBlockLog     = 26
	defaultBlockLog = 20

	// flagLines (static mode): lines convention, see Static.Lines.
	flagLines = 1
	// flagTokenFirst (static mode): the literal channel's token-first
	// coding (see literalModel), which the writer always uses; streams
	// without it use the original coding, a flag before every item.
	flagTokenFirst = 2
	// flagMedia (static mode): the stream is a media stream whose body
	// a real-valued model codes (Static.Real); the header then holds the
	// byte model's configuration and the media description, as the
	// adaptive mode's.
	flagMedia = 4

	maxConfigLen = 256
	maxTagLen    = 64
)

// Numeric paths of the static mode: how the coder's frequency table is
// obtained from the model (docs/COMPRESSION.md, "Determinism").
const (
	// PathCDF: the model's state supplies an integer CDF (interface CDFer):
	// exact on every platform by the family's contract.
	PathCDF = 1
	// PathExactLogProbs: the family declares its LogProbs bit-identical on
	// every platform (interface BitExact); lmzip quantizes them with
	// integer-only code.
	PathExactLogProbs = 2
	// PathPlatform: float log-probabilities that may differ between
	// platforms; the header records the platform and the decoder refuses
	// another one unless told to try.
	PathPlatform = 3
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every error about malformed compressed input.
var ErrCorrupt = errors.New("lmzip: corrupt input")

type header struct {
	version  byte // 0 means version
	mode     byte
	blockLog byte
	flags    byte
	config   string   // adaptive
	modelID  [32]byte // static
	path     byte     // static
	platform string   // static, PathPlatform only
	media    byte     // media kind
	codec    byte     // media: the kind's codec (image: its level)
}

func (h *header) marshal() []byte {
	b := []byte(magic)
	v := h.version
	if v == 0 {
		v = version
	}
	b = append(b, v, h.mode, h.blockLog, h.flags)
	switch h.mode {
	case modeAdaptive:
		b = binary.AppendUvarint(b, uint64(len(h.config)))
		b = append(b, h.config...)
	case modeStatic:
		b = append(b, h.modelID[:]...)
		b = append(b, h.path)
		b = binary.AppendUvarint(b, uint64(len(h.platform)))
		b = append(b, h.platform...)
		if h.flags&flagMedia != 0 {
			b = binary.AppendUvarint(b, uint64(len(h.config)))
			b = append(b, h.config...)
		}
	case modeMedia:
		b = append(b, h.media, h.codec)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// countingReader reads the container through a bufio.Reader, counting
// offsets for error messages and, while track is set, updating a CRC-32C of
// the bytes read (for the header checksum).
type countingReader struct {
	r     *bufio.Reader
	off   int64
	track bool
	crc   uint32
	one   [1]byte
}

func newCountingReader(r io.Reader) *countingReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &countingReader{r: br}
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.off++
		if c.track {
			c.one[0] = b
			c.crc = crc32.Update(c.crc, castagnoli, c.one[:])
		}
	}
	return b, err
}

func (c *countingReader) full(p []byte) error {
	n, err := io.ReadFull(c.r, p)
	c.off += int64(n)
	if c.track {
		c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	}
	return err
}

func corrupt(name string, off int64, format string, args ...any) error {
	return fmt.Errorf("%w: %s: offset %d: %s", ErrCorrupt, name, off, fmt.Sprintf(format, args...))
}

func readHeader(c *countingReader, name string) (*header, error) {
	c.crc, c.track = 0, true
	defer func() { c.track = false }()
	var fixed [8]byte
	if err := c.full(fixed[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, corrupt(name, c.off, "truncated header (not an lmzip file?)")
		}
		return nil, fmt.Errorf("lmzip: %s: %w", name, err)
	}
	if string(fixed[:4]) != magic {
		return nil, corrupt(name, 0, "bad magic %q: not an lmzip file", fixed[:4])
	}
	if fixed[4] < 1 || fixed[4] > maxVersion {
		return nil, fmt.Errorf("lmzip: %s: format version %d, this build reads versions 1 to %d", name, fixed[4], maxVersion)
	}
	h := &header{version: fixed[4], mode: fixed[5], blockLog: fixed[6], flags: fixed[7]}
	if h.blockLog < minBlockLog || h.blockLog > maxBlockLog {
		return nil, corrupt(name, 6, "block size 2^%d out of range", h.blockLog)
	}
	if h.flags&^(flagLines|flagTokenFirst|flagMedia) != 0 || (h.flags != 0 && h.mode != modeStatic) ||
		(h.flags&flagMedia != 0 && h.flags != flagMedia) {
		return nil, corrupt(name, 7, "unknown flags %#x", h.flags)
	}
	readStr := func(max int, what string) (string, error) {
		off := c.off
		n, err := binary.ReadUvarint(c)
		if err != nil {
			return "", corrupt(name, off, "truncated %s length", what)
		}
		if n > uint64(max) {
			return "", corrupt(name, off, "%s length %d > %d", what, n, max)
		}
		p := make([]byte, n)
		if err := c.full(p); err != nil {
			return "", corrupt(name, c.off, "truncated %s", what)
		}
		return string(p), nil
	}
	var err error
	switch h.mode {
	case modeAdaptive:
		if h.config, err = readStr(maxConfigLen, "configuration"); err != nil {
			return nil, err
		}
	case modeStatic:
		if err := c.full(h.modelID[:]); err != nil {
			return nil, corrupt(name, c.off, "truncated model identity")
		}
		p, err := c.ReadByte()
		if err != nil {
			return nil, corrupt(name, c.off, "truncated header")
		}
		h.path = p
		if p < PathCDF || p > PathPlatform {
			return nil, corrupt(name, c.off-1, "unknown numeric path %d", p)
		}
		if h.platform, err = readStr(maxTagLen, "platform tag"); err != nil {
			return nil, err
		}
		if h.flags&flagMedia != 0 {
			if h.config, err = readStr(maxConfigLen, "configuration"); err != nil {
				return nil, err
			}
		}
	case modeMedia:
		var kc [2]byte
		for i := range kc {
			var err error
			if kc[i], err = c.ReadByte(); err != nil {
				return nil, corrupt(name, c.off, "truncated header")
			}
		}
		if kc[0] != mediaImage {
			return nil, corrupt(name, c.off-2, "unknown media kind %d", kc[0])
		}
		if lv := imageLevel(kc[1]); lv != ImageFast && lv != ImageSlow {
			return nil, corrupt(name, c.off-1, "unknown image level %d", kc[1])
		}
		h.media, h.codec = kc[0], kc[1]
	default:
		return nil, corrupt(name, 5, "unknown mode %d", h.mode)
	}
	want := c.crc
	c.track = false
	var sum [4]byte
	if err := c.full(sum[:]); err != nil {
		return nil, corrupt(name, c.off, "truncated header checksum")
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, corrupt(name, c.off-4, "header checksum mismatch")
	}
	return h, nil
}
