package corpus

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/tokenize"
)

// Images.
//
// A data set of images is a list of documents (files, or directories read
// recursively, as Files finds them), each a PNG, PGM, PPM or IDX file; an
// IDX file holds many images, the others one. An image's class, its
// control code, comes from the rule of ImageOptions.Control: the name of
// the directory holding the file (ControlParentDir, so a folder with one
// sub-folder per class is a labelled data set), or an IDX label file
// (ControlLabels). IDX label files met while walking a directory are
// paired with their images, never read as images.
//
// One image is one sequence, <s>, its class's control code (when the
// tokenizer has control codes), then its samples quantized by the pixel
// tokenizer, in raster order. It has no </s>: every image of a data set
// has the tokenizer's shape, so the length is known.

// ImageSet is a data set of images of one shape, each with a class (or
// none).
type ImageSet struct {
	Images []imagefile.Image
	// Classes holds each image's class tag ("" for none).
	Classes []string
	// Files is the number of files read.
	Files int
}

// ImageOptions says how LoadImages reads a data set.
type ImageOptions struct {
	// Control gives images their classes: ControlNone, ControlParentDir
	// (the name of the directory holding an image file) or ControlLabels
	// (an IDX image file's label file, see LabelFile).
	Control Control
	// Progress, if not nil, receives the bytes read so far.
	Progress Progress
}

// LoadImages reads the images of the documents. Every image must have the
// shape of the first; errors name the file.
func LoadImages(ctx context.Context, docs []Doc, opts ImageOptions) (*ImageSet, error) {
	switch opts.Control.Kind {
	case ControlNone, ControlParentDir, ControlLabels:
	default:
		return nil, fmt.Errorf("corpus: images take their classes from parent-dir or labels, not %s", opts.Control)
	}
	set := &ImageSet{}
	total := TotalSize(docs)
	var done int64
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if d.Path != "" && d.Path != "-" && d.src == nil {
			if lab, err := isLabelFile(d.Path); err != nil {
				return nil, err
			} else if lab {
				continue // paired with its images, not an image file
			}
		}
		ims, err := readImages(d)
		if err != nil {
			return nil, err
		}
		classes := make([]string, len(ims))
		switch opts.Control.Kind {
		case ControlParentDir:
			tag := opts.Control.docTag(d)
			for i := range classes {
				classes[i] = tag
			}
		case ControlLabels:
			if d.Path == "" || d.Path == "-" {
				return nil, fmt.Errorf("corpus: %s: labels come from a label file beside an IDX file", d.display())
			}
			lp, err := LabelFile(d.Path)
			if err != nil {
				return nil, err
			}
			lab, err := imagefile.ReadLabels(lp)
			if err != nil {
				return nil, err
			}
			if len(lab) != len(ims) {
				return nil, fmt.Errorf("corpus: %s has %d labels for the %d images of %s", lp, len(lab), len(ims), d.Path)
			}
			for i, l := range lab {
				classes[i] = strconv.Itoa(int(l))
			}
		}
		for i := range ims {
			if len(set.Images) > 0 {
				a, b := &set.Images[0], &ims[i]
				if a.Width != b.Width || a.Height != b.Height || a.Channels != b.Channels {
					return nil, fmt.Errorf("corpus: %s: a %d×%d image of %d channels; the data set's first is %d×%d of %d",
						d.display(), b.Width, b.Height, b.Channels, a.Width, a.Height, a.Channels)
				}
			}
			set.Images = append(set.Images, ims[i])
		}
		set.Classes = append(set.Classes, classes...)
		set.Files++
		done += d.Size
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	if len(set.Images) == 0 {
		return nil, fmt.Errorf("corpus: no images in %s", docNames(docs))
	}
	return set, nil
}

func docNames(docs []Doc) string {
	var names []string
	for _, d := range docs {
		names = append(names, d.display())
	}
	return strings.Join(names, ", ")
}

// readImages decodes a document's images.
func readImages(d Doc) ([]imagefile.Image, error) {
	if d.src == nil && d.Path != "-" {
		ims, _, err := imagefile.ReadFile(d.Path)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		return ims, nil
	}
	r, release, err := d.open()
	if err != nil {
		return nil, err
	}
	defer release()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", d.display(), err)
	}
	ims, _, err := imagefile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("corpus: %s: %s", d.display(), strings.TrimPrefix(err.Error(), "imagefile: "))
	}
	return ims, nil
}

// isLabelFile reports whether path is an IDX label file, gzipped or not.
func isLabelFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("corpus: %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return false, nil // not gzip after all; the image reader will say so
		}
		r = zr
	}
	var m [4]byte
	if _, err := io.ReadFull(r, m[:]); err != nil {
		return false, nil
	}
	return imagefile.IsLabels(m[:]), nil
}

// LabelFile returns the IDX label file of an IDX image file, found by
// MNIST's naming: the part of the name before "-images" followed by
// "-labels-idx1-ubyte", with or without ".gz", in the same directory
// (train-images-idx3-ubyte.gz → train-labels-idx1-ubyte.gz, and
// t10k-images-binarized-idx3-ubyte.gz → t10k-labels-idx1-ubyte.gz).
func LabelFile(imagePath string) (string, error) {
	dir, base := filepath.Split(imagePath)
	i := strings.Index(base, "-images")
	if i < 0 {
		i = strings.Index(base, ".images")
	}
	if i < 0 {
		return "", fmt.Errorf("corpus: %s: no label file: the name has no \"-images\" part to pair with \"-labels-idx1-ubyte\"", imagePath)
	}
	var tried []string
	for _, suffix := range []string{"-labels-idx1-ubyte.gz", "-labels-idx1-ubyte"} {
		p := filepath.Join(dir, base[:i]+suffix)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("corpus: %s: no label file (looked for %s)", imagePath, strings.Join(tried, " and "))
}

// Tags returns the set's distinct classes, sorted: the control codes a
// model trained on it needs.
func (s *ImageSet) Tags() []string {
	var tags []string
	for _, c := range s.Classes {
		if c != "" {
			tags = append(tags, c)
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// Shape is the shape of the set's images.
func (s *ImageSet) Shape() tokenize.Shape {
	im := &s.Images[0]
	return tokenize.Shape{Height: im.Height, Width: im.Width, Channels: im.Channels}
}

// Split holds out a fraction frac, in [0, 1), of the images, spread
// evenly over the set (image i goes to valid when ⌊(i+1)·frac⌋ >
// ⌊i·frac⌋): a folder data set is read class by class, so its end would
// be one class.
func (s *ImageSet) Split(frac float64) (train, valid *ImageSet, err error) {
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("corpus: split fraction %g: want a fraction in [0, 1)", frac)
	}
	train, valid = &ImageSet{Files: s.Files}, &ImageSet{Files: s.Files}
	for i := range s.Images {
		dst := train
		if math.Floor(float64(i+1)*frac) > math.Floor(float64(i)*frac) {
			dst = valid
		}
		dst.Images = append(dst.Images, s.Images[i])
		dst.Classes = append(dst.Classes, s.Classes[i])
	}
	if len(train.Images) == 0 {
		return nil, nil, fmt.Errorf("corpus: split fraction %g of %d images leaves none to train on", frac, len(s.Images))
	}
	if len(valid.Images) == 0 {
		valid = nil
	}
	return train, valid, nil
}

// Binarize says how the images of a two-level pixel tokenizer are made
// bilevel.
type Binarize int

const (
	// Threshold quantizes as the tokenizer does: v ≥ (M+1)/2 is 1.
	Threshold Binarize = iota
	// Stochastic makes each sample 1 with probability v/M, drawn anew in
	// every epoch from the seed (dynamic binarization, the convention of
	// the published binarized-MNIST results).
	Stochastic
)

// ParseBinarize parses "threshold" or "stochastic".
func ParseBinarize(s string) (Binarize, error) {
	switch s {
	case "threshold", "":
		return Threshold, nil
	case "stochastic":
		return Stochastic, nil
	}
	return 0, fmt.Errorf("corpus: binarization %q: want threshold or stochastic", s)
}

// String returns "threshold" or "stochastic".
func (b Binarize) String() string {
	if b == Stochastic {
		return "stochastic"
	}
	return "threshold"
}

// Sequences is a data set of token sequences of one length, each drawn
// whole (images): Sequence may differ from one epoch to the next (fresh
// stochastic binarization) but depends on nothing else, so a training run
// can be resumed from its position.
type Sequences interface {
	// Count is the number of sequences.
	Count() int
	// SeqLen is the length of every sequence, <s> included.
	SeqLen() int
	// Sequence writes sequence i as drawn in epoch epoch into dst
	// (len(dst) == SeqLen()).
	Sequence(dst []autoreg.Token, i, epoch int)
}

// ImageSequences is an ImageSet as token sequences for a pixel tokenizer:
// <s>, the class's control code if the tokenizer has control codes, then
// the image's levels. It implements Sequences.
type ImageSequences struct {
	set        *ImageSet
	tok        *tokenize.Pixels
	codes      []autoreg.Token // per image; nil without control codes
	stochastic bool
	seed       uint64
	seqLen     int
}

// Sequences returns the set as token sequences of tok. With control codes
// in tok's vocabulary every image needs a class the vocabulary holds.
// Stochastic binarization needs a two-level tokenizer; its draws for image
// i in epoch e depend only on seed, e and i.
func (s *ImageSet) Sequences(tok *tokenize.Pixels, b Binarize, seed uint64) (*ImageSequences, error) {
	if s.Shape() != tok.Shape() {
		return nil, fmt.Errorf("corpus: %s images, the model reads %s", s.Shape(), tok.Shape())
	}
	if b == Stochastic && tok.Levels() != 2 {
		return nil, fmt.Errorf("corpus: stochastic binarization needs 2 levels, not %d", tok.Levels())
	}
	q := &ImageSequences{set: s, tok: tok, stochastic: b == Stochastic, seed: seed, seqLen: 1 + tok.Shape().Samples()}
	v := tok.Vocab()
	if len(v.Controls) > 0 {
		q.codes = make([]autoreg.Token, len(s.Images))
		for i, c := range s.Classes {
			id, ok := v.Control(c)
			if !ok {
				if c == "" {
					return nil, fmt.Errorf("corpus: image %d has no class, and the model needs one of %d", i, len(v.Controls))
				}
				return nil, fmt.Errorf("corpus: image %d has class %q, which the model does not know", i, c)
			}
			q.codes[i] = id
		}
		q.seqLen++
	}
	return q, nil
}

// Count is the number of images.
func (q *ImageSequences) Count() int { return len(q.set.Images) }

// SeqLen is 1 (<s>), plus 1 with control codes, plus the samples of an
// image.
func (q *ImageSequences) SeqLen() int { return q.seqLen }

// Sequence writes image i's tokens as drawn in epoch e.
func (q *ImageSequences) Sequence(dst []autoreg.Token, i, e int) {
	if len(dst) != q.seqLen {
		panic(fmt.Sprintf("corpus: Sequence: dst of %d tokens, sequences have %d", len(dst), q.seqLen))
	}
	dst[0] = q.tok.Vocab().BOS()
	px := dst[1:]
	if q.codes != nil {
		dst[1] = q.codes[i]
		px = dst[2:]
	}
	im := &q.set.Images[i]
	if !q.stochastic {
		for j, v := range im.Pix {
			px[j] = q.tok.Level(int(v), im.MaxVal)
		}
		return
	}
	// Bernoulli(v/M) per sample: u < v/M with u uniform in [0, 1) on 53
	// bits, from a PCG stream of this epoch and image.
	var pcg rand.PCG
	pcg.Seed(q.seed^0x62696e6172697a65, uint64(uint32(e))<<32|uint64(uint32(i))) // "binarize"
	m := float64(im.MaxVal)
	for j, v := range im.Pix {
		u := float64(pcg.Uint64()>>11) / (1 << 53)
		px[j] = 0
		if u*m < float64(v) {
			px[j] = 1
		}
	}
}
