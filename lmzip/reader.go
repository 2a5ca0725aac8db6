package lmzip

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/autoreg/autoreg/arith"
)

// ReaderOptions configure a decompressor.
type ReaderOptions struct {
	// Static is the model for files written in the static mode; its ID
	// must match the one in the file.
	Static *Static
	// Name names the input in error messages ("-" or a path).
	Name string
	// Progress, if set, is called after every block with the compressed
	// bytes read and the bytes produced so far.
	Progress func(in, out int64)
}

// Info describes a compressed stream, from its header.
type Info struct {
	// Static is true for the static mode; ModelID is then the model's
	// SHA-256 and Path the numeric path (PathCDF, ...), Platform the
	// platform tag of PathPlatform files.
	Static   bool
	ModelID  [32]byte
	Path     int
	Platform string
	// Config is the adaptive model's configuration.
	Config string
	// BlockSize is the block size in bytes.
	BlockSize int
	// Image is true for an image file coded by the image model at
	// ImageLevel (ImageFast or ImageSlow).
	Image      bool
	ImageLevel int
}

// Reader decompresses a container stream.
type Reader struct {
	ctx    context.Context // checked before every block (Read takes none)
	src    *countingReader
	name   string
	opts   ReaderOptions
	info   Info
	codec  blockCodec
	buf    []byte
	rd     []byte // unread part of buf
	pay    []byte
	out    int64
	crc    uint32
	err    error
	done   bool
	blockN int
}

// ReadInfo reads just the header of a compressed stream, so a caller can
// learn which model it needs.
func ReadInfo(r io.Reader, name string) (Info, error) {
	c := newCountingReader(r)
	h, err := readHeader(c, nameOr(name))
	if err != nil {
		return Info{}, err
	}
	return infoOf(h), nil
}

func nameOr(n string) string {
	if n == "" {
		return "input"
	}
	return n
}

func infoOf(h *header) Info {
	return Info{Static: h.mode == modeStatic, ModelID: h.modelID, Path: int(h.path), Platform: h.platform,
		Config: h.config, BlockSize: 1 << h.blockLog, Image: h.mode == modeMedia && h.media == mediaImage, ImageLevel: int(imageLevel(h.codec))}
}

// NewReader reads the header from r and returns a Reader producing the
// original bytes. A static stream needs opts.Static with the same model ID.
// ctx is checked before every block: once it is done, Read returns its
// error.
func NewReader(ctx context.Context, r io.Reader, opts ReaderOptions) (*Reader, error) {
	name := nameOr(opts.Name)
	c := newCountingReader(r)
	h, err := readHeader(c, name)
	if err != nil {
		return nil, err
	}
	z := &Reader{ctx: ctx, src: c, name: name, opts: opts, info: infoOf(h)}
	switch h.mode {
	case modeAdaptive:
		text, media, err := splitMedia(h.config)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
		}
		cfg, err := ParseAdaptiveConfig(text)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
		}
		if cfg.Engine == 2 && h.version < versionContent {
			return nil, corrupt(name, 4, "engine 2 in a version %d header", h.version)
		}
		if cfg.Profile == 2 && h.version < versionFast || cfg.Profile != 0 && h.version < versionProfile {
			return nil, corrupt(name, 4, "engine 2's profile %d in a version %d header", cfg.Profile, h.version)
		}
		z.codec = newAdaptiveCodec(cfg)
		if media != nil {
			if z.codec, err = newMediaCodec(z.codec, *media, nil); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
			}
		}
	case modeStatic:
		s := opts.Static
		if s == nil {
			return nil, fmt.Errorf("lmzip: %s: compressed with the static model sha256:%s; give that model to decompress", name, hex.EncodeToString(h.modelID[:]))
		}
		if s.ID != h.modelID {
			return nil, fmt.Errorf("lmzip: %s: compressed with model sha256:%s, but the given model is sha256:%s", name,
				hex.EncodeToString(h.modelID[:]), hex.EncodeToString(s.ID[:]))
		}
		if p := s.numericPath(); !s.accepts(h.path) {
			return nil, fmt.Errorf("lmzip: %s: compressed on numeric path %d, the given model takes path %d (different build of the model family?)", name, h.path, p)
		}
		if (h.flags&flagMedia != 0) != (s.Real != nil) {
			if s.Real != nil {
				return nil, fmt.Errorf("lmzip: %s: compressed with a token model, but the given model is real-valued", name)
			}
			return nil, fmt.Errorf("lmzip: %s: compressed with a real-valued model, but the given model is a token model", name)
		}
		if s.Real != nil {
			if z.codec, err = newRealMediaReader(s.Real, h.config); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
			}
			break
		}
		if h.path == PathPlatform && h.platform != platformTag() && !s.AllowPlatformMismatch {
			return nil, fmt.Errorf("lmzip: %s: compressed on platform %s with a model whose float log-probabilities may differ on %s; decompress there (or allow the mismatch to try)", name, h.platform, platformTag())
		}
		z.codec = newStaticCodec(s, h.flags, h.path)
	case modeMedia: // an image, the one kind so far
		out, err := readImage(ctx, c, name, h.codec)
		if err != nil {
			return nil, err
		}
		if _, err := c.ReadByte(); err != io.EOF {
			return nil, corrupt(name, c.off-1, "data after the image")
		}
		z.rd, z.done, z.out = out, true, int64(len(out))
		return z, nil
	}
	z.buf = make([]byte, 0, z.info.BlockSize)
	return z, nil
}

// Info returns the stream's header information.
func (z *Reader) Info() Info { return z.info }

// Read decompresses into p.
func (z *Reader) Read(p []byte) (int, error) {
	for len(z.rd) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		if z.done {
			return 0, io.EOF
		}
		z.err = z.nextBlock()
	}
	n := copy(p, z.rd)
	z.rd = z.rd[n:]
	return n, nil
}

func (z *Reader) nextBlock() error {
	if err := z.ctx.Err(); err != nil {
		return err
	}
	c := z.src
	start := c.off
	kind, err := c.ReadByte()
	if err != nil {
		if err == io.EOF {
			return corrupt(z.name, c.off, "truncated: no end marker")
		}
		return fmt.Errorf("lmzip: %s: %w", z.name, err)
	}
	readLen := func(what string, max uint64) (int, error) {
		off := c.off
		v, err := binary.ReadUvarint(c)
		if err != nil {
			return 0, corrupt(z.name, off, "truncated %s", what)
		}
		if v > max {
			return 0, corrupt(z.name, off, "%s %d exceeds %d", what, v, max)
		}
		return int(v), nil
	}
	readCRC := func() (uint32, error) {
		var b [4]byte
		if err := c.full(b[:]); err != nil {
			return 0, corrupt(z.name, c.off, "truncated checksum")
		}
		return binary.LittleEndian.Uint32(b[:]), nil
	}
	switch kind {
	case kindEnd:
		off := c.off
		total, err := binary.ReadUvarint(c)
		if err != nil {
			return corrupt(z.name, off, "truncated end marker")
		}
		sum, err := readCRC()
		if err != nil {
			return err
		}
		if total != uint64(z.out) {
			return corrupt(z.name, off, "length %d recorded, %d decoded", total, z.out)
		}
		if sum != z.crc {
			return corrupt(z.name, off, "content checksum mismatch")
		}
		if _, err := c.ReadByte(); err != io.EOF {
			if err == nil {
				return corrupt(z.name, c.off-1, "trailing data after the end marker")
			}
			return fmt.Errorf("lmzip: %s: %w", z.name, err)
		}
		z.done = true
		return nil
	case kindCoded, kindStored:
	default:
		return corrupt(z.name, start, "unknown block kind %d", kind)
	}
	n, err := readLen("block length", uint64(z.info.BlockSize))
	if err != nil {
		return err
	}
	if n == 0 {
		return corrupt(z.name, start+1, "empty block")
	}
	raw := z.buf[:n]
	if kind == kindStored {
		if err := c.full(raw); err != nil {
			return corrupt(z.name, c.off, "truncated stored block")
		}
		z.codec.encode(nil, raw) // keep the model in step
	} else {
		pn, err := readLen("payload length", uint64(n-1))
		if err != nil {
			return err
		}
		if cap(z.pay) < pn {
			z.pay = make([]byte, pn)
		}
		pay := z.pay[:pn]
		if err := c.full(pay); err != nil {
			return corrupt(z.name, c.off, "truncated block payload")
		}
		dec := arith.NewDecoder(bytes.NewReader(pay))
		if err := z.codec.decode(dec, raw); err != nil {
			return corrupt(z.name, start, "block %d: %v", z.blockN, err)
		}
		if dec.Err() != nil || dec.Overrun() > arith.MaxOverrun {
			return corrupt(z.name, start, "block %d: payload does not decode", z.blockN)
		}
	}
	off := c.off
	sum, err := readCRC()
	if err != nil {
		return err
	}
	if crc32.Checksum(raw, castagnoli) != sum {
		msg := "block %d: checksum mismatch"
		if z.info.Static {
			msg += " (corrupt input, or a model that computes different probabilities here)"
		}
		return corrupt(z.name, off, msg, z.blockN)
	}
	z.crc = crc32.Update(z.crc, castagnoli, raw)
	z.out += int64(n)
	z.rd = raw
	z.blockN++
	if z.opts.Progress != nil {
		z.opts.Progress(c.off, z.out)
	}
	return nil
}

// Decompress decompresses all of src into dst and returns the number of
// bytes written; ctx is checked before every block.
func Decompress(ctx context.Context, dst io.Writer, src io.Reader, opts ReaderOptions) (int64, error) {
	z, err := NewReader(ctx, src, opts)
	if err != nil {
		return 0, err
	}
	return io.Copy(dst, z)
}
