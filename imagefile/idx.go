package imagefile

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned
// byte) and the number of dimensions.
const (
	idxImages = 0x00000803 // 2051: unsigned bytes, 3 dimensions (n, rows, cols)
	idxLabels = 0x00000801 // 2049: unsigned bytes, 1 dimension (n)
)

// maxIDXItems bounds the images or labels of one IDX file.
const maxIDXItems = 1 << 24

// DecodeIDXImages reads an IDX image file (magic 2051): n gray images of
// rows × cols unsigned bytes, gzip-compressed or not. IDX declares no
// sample range: the images get MaxVal 255, or 1 when every sample is 0 or
// 1 (a binarized set, such as the fixed binarized MNIST test set). The
// images share one backing array. Memory grows with the data actually
// read, so a short or compressed file cannot make it allocate what it
// merely declares.
func DecodeIDXImages(r io.Reader) ([]Image, error) {
	ims, err := decodeIDXImages(r)
	if err != nil {
		return nil, fmt.Errorf("imagefile: idx: %w", err)
	}
	return ims, nil
}

func decodeIDXImages(r io.Reader) ([]Image, error) {
	br, err := idxReader(r)
	if err != nil {
		return nil, err
	}
	var h [16]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("header: %w", errTruncated)
	}
	if m := binary.BigEndian.Uint32(h[:]); m != idxImages {
		return nil, fmt.Errorf("magic %#08x: not an IDX image file (want %#08x)", m, idxImages)
	}
	n, rows, cols := binary.BigEndian.Uint32(h[4:]), binary.BigEndian.Uint32(h[8:]), binary.BigEndian.Uint32(h[12:])
	if n > maxIDXItems {
		return nil, fmt.Errorf("%d images: at most %d", n, maxIDXItems)
	}
	if rows > MaxSide || cols > MaxSide || rows == 0 || cols == 0 {
		return nil, fmt.Errorf("images of %d × %d pixels", cols, rows)
	}
	if err := checkShape(int(cols), int(rows), 1, 255); err != nil {
		return nil, err
	}
	per := int(rows) * int(cols)
	if int64(n)*int64(per) > MaxSamples {
		return nil, fmt.Errorf("%d images of %d × %d: more than %d samples", n, cols, rows, MaxSamples)
	}
	raw, err := readGrowing(br, int64(n)*int64(per))
	if err != nil {
		return nil, fmt.Errorf("%d images of %d × %d declared: %w", n, cols, rows, err)
	}
	if extra, _ := br.Read(make([]byte, 1)); extra > 0 {
		return nil, errors.New("data after the last image")
	}
	maxVal := 1
	for _, v := range raw {
		if v > 1 {
			maxVal = 255
			break
		}
	}
	pix := make([]uint16, len(raw))
	for i, v := range raw {
		pix[i] = uint16(v)
	}
	ims := make([]Image, n)
	for i := range ims {
		ims[i] = Image{Width: int(cols), Height: int(rows), Channels: 1, MaxVal: maxVal, Pix: pix[i*per : (i+1)*per : (i+1)*per]}
	}
	return ims, nil
}

// DecodeIDXLabels reads an IDX label file (magic 2049): n unsigned bytes,
// gzip-compressed or not.
func DecodeIDXLabels(r io.Reader) ([]byte, error) {
	br, err := idxReader(r)
	if err != nil {
		return nil, fmt.Errorf("imagefile: idx: %w", err)
	}
	var h [8]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("imagefile: idx: header: %w", errTruncated)
	}
	if m := binary.BigEndian.Uint32(h[:]); m != idxLabels {
		return nil, fmt.Errorf("imagefile: idx: magic %#08x: not an IDX label file (want %#08x)", m, idxLabels)
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > maxIDXItems {
		return nil, fmt.Errorf("imagefile: idx: %d labels: at most %d", n, maxIDXItems)
	}
	lab, err := readGrowing(br, int64(n))
	if err != nil {
		return nil, fmt.Errorf("imagefile: idx: %d labels declared: %w", n, err)
	}
	if extra, _ := br.Read(make([]byte, 1)); extra > 0 {
		return nil, errors.New("imagefile: idx: data after the last label")
	}
	return lab, nil
}

// idxReader returns a reader of the IDX bytes, through gzip if the data
// starts with gzip's magic.
func idxReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(false)
		return bufio.NewReaderSize(zr, 1<<16), nil
	}
	return br, nil
}

// readGrowing reads exactly n bytes, allocating as data arrives (at most
// twice what was read so far), so a declared size alone costs no memory.
func readGrowing(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<20))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(nb, buf)
			buf = nb
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF && int64(len(buf)) < n {
			return nil, fmt.Errorf("only %d of %d bytes: %w", len(buf), n, errTruncated)
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
	}
	return buf, nil
}

// EncodeIDXImages writes images of one shape as an IDX image file (not
// compressed). Samples must fit a byte.
func EncodeIDXImages(w io.Writer, ims []Image) error {
	if len(ims) == 0 {
		return errors.New("imagefile: idx: no images")
	}
	W, H := ims[0].Width, ims[0].Height
	bw := bufio.NewWriter(w)
	var h [16]byte
	binary.BigEndian.PutUint32(h[:], idxImages)
	binary.BigEndian.PutUint32(h[4:], uint32(len(ims)))
	binary.BigEndian.PutUint32(h[8:], uint32(H))
	binary.BigEndian.PutUint32(h[12:], uint32(W))
	bw.Write(h[:])
	for i := range ims {
		im := &ims[i]
		if im.Width != W || im.Height != H || im.Channels != 1 || len(im.Pix) != W*H {
			return fmt.Errorf("imagefile: idx: image %d is not a %d × %d gray image", i, W, H)
		}
		for _, v := range im.Pix {
			if v > 255 {
				return fmt.Errorf("imagefile: idx: image %d has sample %d, above 255", i, v)
			}
			bw.WriteByte(byte(v))
		}
	}
	return bw.Flush()
}

// EncodeIDXLabels writes labels as an IDX label file (not compressed).
func EncodeIDXLabels(w io.Writer, labels []byte) error {
	var h [8]byte
	binary.BigEndian.PutUint32(h[:], idxLabels)
	binary.BigEndian.PutUint32(h[4:], uint32(len(labels)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(labels)
	return err
}
