package imagefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// PNM is a decoded Netpbm graymap (PGM) or pixmap (PPM): one channel or
// three (R, G, B), samples 0..MaxVal.
type PNM struct {
	Image
	// Plain records the plain (ASCII) forms P2 and P3; otherwise the raw
	// forms P5 and P6, one byte per sample, or two (big-endian) when
	// MaxVal exceeds 255.
	Plain bool
}

// DecodePNM decodes a PGM or PPM file (P2, P3, P5 or P6). Comments in the
// header are skipped; only the first image of a file is read, and what
// follows it must be white space (a plain file) or nothing (a raw one). The
// declared size is checked against the bytes the file holds before the
// samples are allocated.
func DecodePNM(data []byte) (*PNM, error) {
	p, err := decodePNM(data)
	if err != nil {
		return nil, fmt.Errorf("imagefile: pnm: %w", err)
	}
	return p, nil
}

func decodePNM(data []byte) (*PNM, error) {
	if len(data) < 2 || data[0] != 'P' {
		return nil, errors.New("not a PGM or PPM file (bad magic)")
	}
	p := &PNM{}
	switch data[1] {
	case '2':
		p.Channels, p.Plain = 1, true
	case '3':
		p.Channels, p.Plain = 3, true
	case '5':
		p.Channels = 1
	case '6':
		p.Channels = 3
	default:
		return nil, fmt.Errorf("magic P%c: want P2, P3, P5 or P6", data[1])
	}
	r := &pnmReader{b: data, off: 2}
	var fields [3]int
	for i := range fields {
		v, err := r.header()
		if err != nil {
			return nil, err
		}
		fields[i] = v
	}
	p.Width, p.Height, p.MaxVal = fields[0], fields[1], fields[2]
	if err := checkShape(p.Width, p.Height, p.Channels, p.MaxVal); err != nil {
		return nil, err
	}
	// Exactly one white-space byte ends the header (header() stopped on it).
	if r.off >= len(data) || !isSpace(data[r.off]) {
		return nil, fmt.Errorf("at byte %d: %w (no white space after the header)", r.off, errTruncated)
	}
	r.off++
	n := p.Samples()
	if p.Plain {
		// Every sample but the last needs a digit and a separator.
		if int64(len(data)-r.off) < 2*int64(n)-1 {
			return nil, fmt.Errorf("declares %d × %d pixels but holds only %d bytes of samples", p.Width, p.Height, len(data)-r.off)
		}
		p.Pix = make([]uint16, n)
		for i := range p.Pix {
			v, err := r.number()
			if err != nil {
				return nil, fmt.Errorf("sample %d: %w", i, err)
			}
			if v > p.MaxVal {
				return nil, fmt.Errorf("sample %d is %d, above the maximum %d", i, v, p.MaxVal)
			}
			p.Pix[i] = uint16(v)
		}
		for ; r.off < len(data); r.off++ {
			if !isSpace(data[r.off]) {
				return nil, fmt.Errorf("at byte %d: data after the image", r.off)
			}
		}
		return p, nil
	}
	size := 1
	if p.MaxVal > 255 {
		size = 2
	}
	raster := data[r.off:]
	if int64(len(raster)) != int64(n)*int64(size) {
		if int64(len(raster)) < int64(n)*int64(size) {
			return nil, fmt.Errorf("declares %d × %d pixels but holds only %d bytes of samples", p.Width, p.Height, len(raster))
		}
		return nil, fmt.Errorf("%d bytes after the image", int64(len(raster))-int64(n)*int64(size))
	}
	p.Pix = make([]uint16, n)
	for i := range p.Pix {
		v := int(raster[i*size])
		if size == 2 {
			v = v<<8 | int(raster[2*i+1])
		}
		if v > p.MaxVal {
			return nil, fmt.Errorf("sample %d is %d, above the maximum %d", i, v, p.MaxVal)
		}
		p.Pix[i] = uint16(v)
	}
	return p, nil
}

type pnmReader struct {
	b   []byte
	off int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// header reads one header number, skipping white space and comments
// (from '#' to the end of the line), and leaves off at the byte after it.
func (r *pnmReader) header() (int, error) {
	for r.off < len(r.b) {
		c := r.b[r.off]
		switch {
		case isSpace(c):
			r.off++
		case c == '#':
			for r.off < len(r.b) && r.b[r.off] != '\n' && r.b[r.off] != '\r' {
				r.off++
			}
		default:
			return r.digits()
		}
	}
	return 0, fmt.Errorf("header: %w", errTruncated)
}

// number reads one plain sample: white space, then digits.
func (r *pnmReader) number() (int, error) {
	for r.off < len(r.b) && isSpace(r.b[r.off]) {
		r.off++
	}
	return r.digits()
}

func (r *pnmReader) digits() (int, error) {
	start := r.off
	v := 0
	for r.off < len(r.b) && r.b[r.off] >= '0' && r.b[r.off] <= '9' {
		v = v*10 + int(r.b[r.off]-'0')
		if v > 1<<30 {
			return 0, fmt.Errorf("at byte %d: number too large", start)
		}
		r.off++
	}
	if r.off == start {
		if r.off == len(r.b) {
			return 0, errTruncated
		}
		return 0, fmt.Errorf("at byte %d: %q is not a digit", r.off, r.b[r.off])
	}
	if r.off < len(r.b) && !isSpace(r.b[r.off]) && r.b[r.off] != '#' {
		return 0, fmt.Errorf("at byte %d: %q after a number", r.off, r.b[r.off])
	}
	return v, nil
}

// Encode writes p as P2/P3 (Plain) or P5/P6. A plain file has at most 70
// characters per line, as Netpbm writes it.
func (p *PNM) Encode(w io.Writer) error {
	if err := p.Image.Check(); err != nil {
		return err
	}
	if p.Channels != 1 && p.Channels != 3 {
		return fmt.Errorf("imagefile: pnm: %d channels: PGM holds 1, PPM 3", p.Channels)
	}
	magic := 5
	if p.Channels == 3 {
		magic = 6
	}
	if p.Plain {
		magic -= 3
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "P%d\n%d %d\n%d\n", magic, p.Width, p.Height, p.MaxVal)
	if p.Plain {
		line := 0
		var num []byte
		for _, v := range p.Pix {
			num = strconv.AppendUint(num[:0], uint64(v), 10)
			if line > 0 && line+1+len(num) > 70 {
				bw.WriteByte('\n')
				line = 0
			}
			if line > 0 {
				bw.WriteByte(' ')
				line++
			}
			bw.Write(num)
			line += len(num)
		}
		bw.WriteByte('\n')
		return bw.Flush()
	}
	for _, v := range p.Pix {
		if p.MaxVal > 255 {
			bw.WriteByte(byte(v >> 8))
		}
		bw.WriteByte(byte(v))
	}
	return bw.Flush()
}
