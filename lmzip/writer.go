package lmzip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"

	"github.com/autoreg/autoreg/arith"
)

// Options configure a compressor. Exactly one of Adaptive and Static is set.
type Options struct {
	// Adaptive selects the adaptive mode: an architecture name from
	// AdaptiveArchs ("fast", the default, "ngram", "balanced", "mix", "lstm", "gpt") or a configuration in
	// the canonical spelling of AdaptiveConfig.String.
	Adaptive string
	// Static selects the static mode with a trained model.
	Static *Static
	// BlockSize is the number of input bytes per block, a power of two in
	// [4 KiB, 64 MiB]; 0 means 1 MiB. Memory use is about two blocks plus
	// the model.
	BlockSize int
	// Progress, if set, is called after every block with the input bytes
	// consumed and the compressed bytes written so far.
	Progress func(in, out int64)
	// NoMedia codes every input as bytes. Otherwise, in the adaptive
	// mode, an input of a recognized type (a WAV file of integer or
	// G.711 samples) has its samples coded by that type's model and the
	// rest by the byte model.
	NoMedia bool
	// Level is the media models' level: 1 (the default, fast) or up to
	// MaxLevel (slower, smaller). 0 means 1.
	Level int
	// legacyNets makes the writer code an adaptive configuration's
	// networks in revision 1 (package legacy), as files written before
	// revisions were recorded: for tests of the reader.
	legacyNets bool
}

// Writer compresses what is written to it into the container format. Close
// must be called to write the last block and the end marker.
type Writer struct {
	ctx     context.Context // checked before every block (an io.Writer's methods take none)
	w       io.Writer
	opts    Options
	codec   blockCodec
	head    *header // the container header, until it is written with the first block
	buf     []byte  // the pending block
	payload bytes.Buffer
	out     []byte
	in, n   int64
	crc     uint32
	err     error
	closed  bool
}

// NewWriter returns a Writer that writes the container to w. The
// container header goes out with the first block (or at Close), once the
// writer has seen whether the input is of a media type. ctx is checked
// before every block: once it is done, Write and Close return its error.
func NewWriter(ctx context.Context, w io.Writer, opts Options) (*Writer, error) {
	blockLog := defaultBlockLog
	if opts.BlockSize != 0 {
		if opts.BlockSize&(opts.BlockSize-1) != 0 || opts.BlockSize < 1<<minBlockLog || opts.BlockSize > 1<<maxBlockLog {
			return nil, fmt.Errorf("lmzip: block size %d is not a power of two in [2^%d, 2^%d]", opts.BlockSize, minBlockLog, maxBlockLog)
		}
		blockLog = bits.Len(uint(opts.BlockSize)) - 1
	}
	h := header{blockLog: byte(blockLog)}
	zw := &Writer{ctx: ctx, w: w, opts: opts}
	switch {
	case opts.Static != nil && opts.Adaptive != "":
		return nil, errors.New("lmzip: both a static model and an adaptive architecture given")
	case opts.Static != nil && opts.Static.Real != nil:
		s := opts.Static
		if s.Model != nil {
			return nil, errors.New("lmzip: static mode with both a token model and a real-valued one")
		}
		if opts.NoMedia {
			return nil, errors.New("lmzip: a real-valued model codes the samples of WAV files; it cannot code plain bytes")
		}
		if _, _, _, _, err := realIntState(s.Real); err != nil {
			return nil, fmt.Errorf("lmzip: %v", err)
		}
		cfg, _ := AdaptivePreset("ngram")
		h.mode, h.modelID, h.path, h.flags = modeStatic, s.ID, PathCDF, flagMedia
		h.config = cfg.String()
		zw.codec = newAdaptiveCodec(cfg)
	case opts.Static != nil:
		s := opts.Static
		if s.Model == nil || s.Tokenizer == nil {
			return nil, errors.New("lmzip: static mode needs a model and its tokenizer")
		}
		h.mode = modeStatic
		h.modelID = s.ID
		h.path = s.numericPath()
		if h.path == PathPlatform {
			h.platform = platformTag()
		}
		if s.Lines {
			h.flags |= flagLines
		}
		if !s.originalLiterals {
			h.flags |= flagTokenFirst
		}
		zw.codec = newStaticCodec(s, h.flags, h.path)
	default:
		arch := opts.Adaptive
		if arch == "" {
			arch = DefaultAdaptive
		}
		cfg, err := AdaptivePreset(arch)
		if err != nil {
			var perr error
			var hasRevision bool
			if cfg, hasRevision, perr = parseAdaptiveConfig(arch); perr != nil {
				return nil, err
			}
			if !hasRevision && cfg.Revision != 0 {
				cfg.Revision = netRevision
			}
		}
		switch {
		case cfg.Revision == 0:
		case opts.legacyNets:
			cfg.Revision = 1
		case cfg.Revision != netRevision:
			return nil, fmt.Errorf("lmzip: adaptive configuration %q: networks of revision %d are decoded, not written (this build writes revision %d)", arch, cfg.Revision, netRevision)
		}
		h.mode = modeAdaptive
		h.config = cfg.String()
		switch {
		case cfg.Profile == 2:
			h.version = versionFast
		case cfg.Profile != 0:
			h.version = versionProfile
		case cfg.Engine == 2:
			h.version = versionContent
		}
		zw.codec = newAdaptiveCodec(cfg)
	}
	if opts.Level < 0 || opts.Level > MaxLevel {
		return nil, fmt.Errorf("lmzip: level %d: want 1 to %d", opts.Level, MaxLevel)
	}
	zw.buf = make([]byte, 0, 1<<blockLog)
	zw.head = &h
	return zw, nil
}

// writeHeader writes the container header before the first block,
// switching the adaptive codec to a media codec if that block starts a
// file of a recognized type.
func (z *Writer) writeHeader() error {
	h := z.head
	z.head = nil
	if h.flags&flagMedia != 0 {
		k := realWavKind(z.opts.Static.Real)
		l, err := k.layout(z.buf, 1)
		if err != nil {
			return fmt.Errorf("lmzip: a real-valued model codes WAV files of integer PCM samples: %v", err)
		}
		mh := mediaHeader{kind: k.name, level: 1, off: l.off, n: l.n}
		if z.codec, err = newModelMediaCodec(z.codec, mh, k, l.codec); err != nil {
			return fmt.Errorf("lmzip: %v", err)
		}
		h.config += mediaSep + mh.String()
	}
	if h.mode == modeAdaptive && !z.opts.NoMedia {
		if mh, body, ok := recognize(z.buf, max(z.opts.Level, 1)); ok {
			mc, err := newMediaCodec(z.codec, mh, body)
			if err != nil {
				return err
			}
			z.codec = mc
			h.config += mediaSep + mh.String()
		}
	}
	hb := h.marshal()
	if _, err := z.w.Write(hb); err != nil {
		return fmt.Errorf("lmzip: %w", err)
	}
	z.n += int64(len(hb))
	return nil
}

// Write compresses p. It buffers up to one block.
func (z *Writer) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.closed {
		return 0, errors.New("lmzip: write after Close")
	}
	n := 0
	for len(p) > 0 {
		k := copy(z.buf[len(z.buf):cap(z.buf)], p)
		z.buf = z.buf[:len(z.buf)+k]
		p = p[k:]
		n += k
		if len(z.buf) == cap(z.buf) {
			if err := z.flushBlock(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flushBlock codes the pending block; a block that is not the last keeps
// back the bytes a media codec wants in the next one (a unit that would
// straddle the two).
func (z *Writer) flushBlock(last bool) error {
	if z.head != nil {
		if err := z.writeHeader(); err != nil {
			z.err = err
			return err
		}
	}
	if len(z.buf) == 0 {
		return nil
	}
	if err := z.ctx.Err(); err != nil {
		z.err = err
		return err
	}
	raw := z.buf
	keep := 0
	if mc, ok := z.codec.(*mediaCodec); ok && !last {
		keep = mc.tail(z.in, len(raw))
	}
	raw = raw[:len(raw)-keep]
	z.payload.Reset()
	enc := arith.NewEncoder(&z.payload)
	z.codec.encode(enc, raw)
	if err := enc.Close(); err != nil {
		z.err = fmt.Errorf("lmzip: %w", err)
		return z.err
	}
	sum := crc32.Checksum(raw, castagnoli)
	out := z.out[:0]
	if z.payload.Len() < len(raw) {
		out = append(out, kindCoded)
		out = binary.AppendUvarint(out, uint64(len(raw)))
		out = binary.AppendUvarint(out, uint64(z.payload.Len()))
		out = append(out, z.payload.Bytes()...)
	} else {
		out = append(out, kindStored)
		out = binary.AppendUvarint(out, uint64(len(raw)))
		out = append(out, raw...)
	}
	out = binary.LittleEndian.AppendUint32(out, sum)
	z.out = out
	if _, err := z.w.Write(out); err != nil {
		z.err = fmt.Errorf("lmzip: %w", err)
		return z.err
	}
	z.crc = crc32.Update(z.crc, castagnoli, raw)
	z.in += int64(len(raw))
	z.n += int64(len(out))
	z.buf = z.buf[:copy(z.buf, z.buf[len(raw):])]
	if z.opts.Progress != nil {
		z.opts.Progress(z.in, z.n)
	}
	return nil
}

// Close compresses the last block and writes the end marker; it does not
// close the underlying writer.
func (z *Writer) Close() error {
	if z.closed {
		return z.err
	}
	z.closed = true
	if z.err != nil {
		return z.err
	}
	for len(z.buf) > 0 || z.head != nil {
		if err := z.flushBlock(true); err != nil {
			return err
		}
	}
	out := []byte{kindEnd}
	out = binary.AppendUvarint(out, uint64(z.in))
	out = binary.LittleEndian.AppendUint32(out, z.crc)
	if _, err := z.w.Write(out); err != nil {
		z.err = fmt.Errorf("lmzip: %w", err)
		return z.err
	}
	z.n += int64(len(out))
	return nil
}

// Written is the number of compressed bytes written so far.
func (z *Writer) Written() int64 { return z.n }

// Compress compresses all of src into dst and returns the number of bytes
// written to dst; ctx is checked before every block.
func Compress(ctx context.Context, dst io.Writer, src io.Reader, opts Options) (int64, error) {
	z, err := NewWriter(ctx, dst, opts)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(z, src); err != nil {
		return z.Written(), err
	}
	err = z.Close()
	return z.Written(), err
}
