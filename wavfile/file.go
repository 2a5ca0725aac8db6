package wavfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/autoreg/autoreg/internal/atomicfile"
)

// MaxChunks bounds the chunks of a file this package reads, so that a
// file of many empty chunks cannot make it allocate much more than its
// size.
const MaxChunks = 1 << 16

// Chunk is one chunk of a RIFF file, kept byte for byte.
type Chunk struct {
	ID   string // four characters, such as "fmt ", "data", "LIST"
	Data []byte // the body, without the pad byte
	// Pad is the byte after a body of odd length (RIFF pads every chunk
	// to an even size; it should be 0, but whatever a file holds is kept).
	Pad byte
}

// File is a WAV file: its format, and every chunk in file order. The fmt
// and data chunks are among Chunks; chunks this package does not know
// (LIST, cue, fact, bext, …) are kept as they were, so a file that is
// decoded and encoded again comes back byte for byte.
type File struct {
	Format Format
	Chunks []Chunk
	// Trailer holds any bytes after the RIFF chunk (some tools append
	// tags there), kept as they were.
	Trailer []byte
}

// New returns a file of the given format holding data, the interleaved
// samples as stored (Format.BlockAlign bytes per frame): a fmt chunk, a
// fact chunk (the frame count) for encodings other than PCM, as the
// format's documentation asks, and the data chunk.
func New(f Format, data []byte) (*File, error) {
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("wavfile: %v", err)
	}
	if len(data)%f.BlockAlign() != 0 {
		return nil, fmt.Errorf("wavfile: %d bytes of data are not a whole number of %d-byte frames", len(data), f.BlockAlign())
	}
	if int64(len(data)) > maxRIFF-100 {
		return nil, fmt.Errorf("wavfile: %d bytes of data do not fit a WAV file", len(data))
	}
	wf := &File{Format: f, Chunks: []Chunk{{ID: "fmt ", Data: f.Chunk()}}}
	if f.Encoding != PCM {
		n := binary.LittleEndian.AppendUint32(nil, uint32(len(data)/f.BlockAlign()))
		wf.Chunks = append(wf.Chunks, Chunk{ID: "fact", Data: n})
	}
	wf.Chunks = append(wf.Chunks, Chunk{ID: "data", Data: data})
	return wf, nil
}

// maxRIFF is the largest RIFF chunk: its size field is 32 bits.
const maxRIFF = 1<<32 - 1

// dataIndex returns the index of the data chunk in Chunks, or −1.
func (f *File) dataIndex() int {
	for i, c := range f.Chunks {
		if c.ID == "data" {
			return i
		}
	}
	return -1
}

// Data returns the body of the data chunk: the interleaved samples as
// stored (nil if there is none).
func (f *File) Data() []byte {
	if i := f.dataIndex(); i >= 0 {
		return f.Chunks[i].Data
	}
	return nil
}

// Frames is the number of frames (one sample of every channel) in the
// data chunk.
func (f *File) Frames() int {
	if ba := f.Format.BlockAlign(); ba > 0 {
		return len(f.Data()) / ba
	}
	return 0
}

// Seconds is the duration of the data at the sample rate.
func (f *File) Seconds() float64 { return float64(f.Frames()) / float64(f.Format.SampleRate) }

// DataOffset is the offset of the data chunk's body in the bytes Encode
// writes (and so in the file the File was decoded from).
func (f *File) DataOffset() int64 {
	off := int64(12)
	for _, c := range f.Chunks {
		off += 8
		if c.ID == "data" {
			return off
		}
		off += int64(len(c.Data)) + int64(len(c.Data)&1)
	}
	return -1
}

// riffSize is the value of the RIFF size field: "WAVE" and every chunk.
func (f *File) riffSize() int64 {
	n := int64(4)
	for _, c := range f.Chunks {
		n += 8 + int64(len(c.Data)) + int64(len(c.Data)&1)
	}
	return n
}

// WriteTo writes the file: the RIFF header, every chunk (padded to an
// even size with its Pad byte) and the trailer.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	size := f.riffSize()
	if size > maxRIFF {
		return 0, fmt.Errorf("wavfile: %d bytes of chunks do not fit a RIFF file", size)
	}
	bw := bufio.NewWriter(w)
	var n int64
	put := func(b []byte) {
		m, _ := bw.Write(b)
		n += int64(m)
	}
	le := binary.LittleEndian
	put(le.AppendUint32([]byte("RIFF"), uint32(size)))
	put([]byte("WAVE"))
	for _, c := range f.Chunks {
		if len(c.ID) != 4 {
			return n, fmt.Errorf("wavfile: chunk ID %q is not four bytes", c.ID)
		}
		put(le.AppendUint32([]byte(c.ID), uint32(len(c.Data))))
		put(c.Data)
		if len(c.Data)&1 == 1 {
			put([]byte{c.Pad})
		}
	}
	put(f.Trailer)
	return n, bw.Flush()
}

// Encode returns the bytes WriteTo writes.
func (f *File) Encode() ([]byte, error) {
	var b bytes.Buffer
	_, err := f.WriteTo(&b)
	return b.Bytes(), err
}

// Decode decodes a WAV file held in memory (see Read).
func Decode(b []byte) (*File, error) { return Read(bytes.NewReader(b)) }

// Read reads a WAV file: the RIFF header "RIFF" size "WAVE", then chunks
// until the RIFF size is used up, then any trailing bytes. The fmt chunk
// must come before the data chunk, and the data chunk must hold a whole
// number of frames. Truncated files, sizes that disagree, formats it does
// not read and files without fmt or data are errors saying what is wrong
// and at which offset. Sizes are checked before anything is allocated,
// and chunk bodies are read in pieces as they arrive, so a size field
// that lies costs no memory beyond the bytes actually present.
func Read(r io.Reader) (*File, error) {
	f, err := read(r)
	if err != nil {
		return nil, fmt.Errorf("wavfile: %w", err)
	}
	return f, nil
}

func read(r io.Reader) (*File, error) {
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n >= 4 && string(hdr[:4]) != "RIFF" || n > 0 && n < 4 && !bytes.HasPrefix([]byte("RIFF"), hdr[:n]) {
			return nil, errors.New("not a WAV file (no RIFF header)")
		}
		return nil, fmt.Errorf("truncated RIFF header (%d of 12 bytes)", n)
	}
	if string(hdr[:4]) == "RF64" || string(hdr[:4]) == "RIFX" {
		return nil, fmt.Errorf("%s files are not supported (only little-endian RIFF)", hdr[:4])
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file (no RIFF/WAVE header)")
	}
	riff := int64(binary.LittleEndian.Uint32(hdr[4:]))
	if riff < 4 {
		return nil, fmt.Errorf("RIFF size %d is less than 4", riff)
	}
	f := &File{}
	off, end := int64(12), 8+riff
	haveFmt := false
	for off < end {
		if len(f.Chunks) == MaxChunks {
			return nil, fmt.Errorf("more than %d chunks", MaxChunks)
		}
		if end-off < 8 {
			return nil, fmt.Errorf("offset %d: %d bytes left in the RIFF chunk, too few for a chunk header", off, end-off)
		}
		var ch [8]byte
		if n, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("offset %d: truncated chunk header (%d of 8 bytes; the RIFF header promises %d more)", off+int64(n), n, end-off-int64(n))
		}
		id, size := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		off += 8
		padded := size + size&1
		if padded > end-off {
			return nil, fmt.Errorf("offset %d: chunk %q of %d bytes overruns the RIFF chunk (%d bytes left)", off-8, id, size, end-off)
		}
		body, err := readGrowing(r, padded)
		if err != nil {
			return nil, fmt.Errorf("offset %d: chunk %q: truncated (%d of %d bytes)", off, id, len(body), padded)
		}
		c := Chunk{ID: id, Data: body[:size]}
		if size&1 == 1 {
			c.Pad = body[size]
		}
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, fmt.Errorf("offset %d: a second fmt chunk", off-8)
			}
			if f.Format, err = parseFormat(c.Data); err != nil {
				return nil, fmt.Errorf("offset %d: %v", off-8, err)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("offset %d: data chunk before the fmt chunk", off-8)
			}
			if f.dataIndex() >= 0 {
				return nil, fmt.Errorf("offset %d: a second data chunk", off-8)
			}
			if ba := int64(f.Format.BlockAlign()); size%ba != 0 {
				return nil, fmt.Errorf("offset %d: data chunk of %d bytes is not a whole number of %d-byte frames", off-8, size, ba)
			}
		}
		f.Chunks = append(f.Chunks, c)
		off += padded
	}
	if !haveFmt {
		return nil, errors.New("no fmt chunk")
	}
	if f.dataIndex() < 0 {
		return nil, errors.New("no data chunk")
	}
	trailer, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(trailer) > 0 {
		f.Trailer = trailer
	}
	return f, nil
}

// readGrowing reads exactly n bytes, allocating as they arrive rather than
// trusting n up front; on a short read it returns what it got and an error.
func readGrowing(r io.Reader, n int64) ([]byte, error) {
	const step = 1 << 20
	if n <= step {
		b := make([]byte, n)
		m, err := io.ReadFull(r, b)
		return b[:m], err
	}
	var buf bytes.Buffer
	m, err := io.CopyN(&buf, r, n)
	if err == nil && m != n {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

// IsWAV reports whether head, the first bytes of a file (12 suffice),
// starts like a WAV file.
func IsWAV(head []byte) bool {
	return len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE"
}

// ReadFile reads the WAV file at path (see Read); errors name the file.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wavfile: %w", err)
	}
	defer fh.Close()
	f, err := read(bufio.NewReaderSize(fh, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("wavfile: %s: %w", path, err)
	}
	return f, nil
}

// WriteFile writes f to path atomically (a temporary file renamed into
// place when complete).
func WriteFile(path string, f *File) error {
	if err := atomicfile.WriteFile(path, func(w io.Writer) error { _, err := f.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("wavfile: %s: %w", path, err)
	}
	return nil
}

// Layout reads the start of a WAV file, up to and including the data
// chunk's header, from prefix (the file's first bytes; more may follow),
// and returns the format and where the samples lie: size bytes from offset
// off. A lossless coder uses it to find the samples of a stream before
// the stream has ended; the data chunk's size is as the header says (the
// file may end earlier). The chunks before the data chunk are checked as
// Read checks them.
func Layout(prefix []byte) (f Format, off, size int64, err error) {
	le := binary.LittleEndian
	if !IsWAV(prefix) {
		return f, 0, 0, errors.New("wavfile: not a WAV file (no RIFF/WAVE header)")
	}
	haveFmt := false
	p := int64(12)
	for {
		if p+8 > int64(len(prefix)) {
			return f, 0, 0, fmt.Errorf("wavfile: no data chunk in the first %d bytes", len(prefix))
		}
		id, n := string(prefix[p:p+4]), int64(le.Uint32(prefix[p+4:]))
		body := p + 8
		switch id {
		case "fmt ":
			if haveFmt {
				return f, 0, 0, fmt.Errorf("wavfile: offset %d: a second fmt chunk", p)
			}
			if body+n > int64(len(prefix)) {
				return f, 0, 0, fmt.Errorf("wavfile: offset %d: fmt chunk of %d bytes past the first %d bytes", p, n, len(prefix))
			}
			if f, err = parseFormat(prefix[body : body+n]); err != nil {
				return f, 0, 0, fmt.Errorf("wavfile: offset %d: %v", p, err)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return f, 0, 0, fmt.Errorf("wavfile: offset %d: data chunk before the fmt chunk", p)
			}
			return f, body, n, nil
		}
		p = body + n + n&1
	}
}
