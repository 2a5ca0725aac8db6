package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/tokenize"
)

func writeImage(t *testing.T, path string, im *imagefile.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := imagefile.WriteFile(path, im); err != nil {
		t.Fatal(err)
	}
}

func gray(w, h int, vals ...uint16) *imagefile.Image {
	im := &imagefile.Image{Width: w, Height: h, Channels: 1, MaxVal: 255, Pix: make([]uint16, w*h)}
	copy(im.Pix, vals)
	return im
}

func TestLoadImagesFolders(t *testing.T) {
	dir := t.TempDir()
	writeImage(t, filepath.Join(dir, "cat", "a.png"), gray(2, 2, 0, 255, 128, 127))
	writeImage(t, filepath.Join(dir, "cat", "b.pgm"), gray(2, 2, 1, 2, 3, 4))
	writeImage(t, filepath.Join(dir, "dog", "c.png"), gray(2, 2, 255, 255, 0, 0))
	docs, err := Files([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	set, err := LoadImages(context.Background(), docs, ImageOptions{Control: Control{Kind: ControlParentDir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 3 || !slices.Equal(set.Classes, []string{"cat", "cat", "dog"}) || set.Files != 3 {
		t.Fatalf("%d images, classes %v", len(set.Images), set.Classes)
	}
	if !slices.Equal(set.Tags(), []string{"cat", "dog"}) {
		t.Fatalf("tags %v", set.Tags())
	}
	tok, _ := tokenize.NewPixels(2, tokenize.Shape{Height: 2, Width: 2, Channels: 1})
	ctok, _ := tokenize.WithControls(tok, set.Tags())
	seqs, err := set.Sequences(ctok.(*tokenize.Pixels), Threshold, 1)
	if err != nil {
		t.Fatal(err)
	}
	if seqs.SeqLen() != 6 || seqs.Count() != 3 {
		t.Fatalf("SeqLen %d, Count %d", seqs.SeqLen(), seqs.Count())
	}
	dst := make([]autoreg.Token, 6)
	seqs.Sequence(dst, 0, 0)
	v := ctok.Vocab()
	dogCat, _ := v.Control("cat")
	if want := []autoreg.Token{v.BOS(), dogCat, 0, 1, 1, 0}; !slices.Equal(dst, want) {
		t.Fatalf("sequence 0 is %v, want %v", dst, want)
	}
	// A differently shaped image is refused, naming its file.
	writeImage(t, filepath.Join(dir, "dog", "d.png"), gray(3, 2))
	docs, _ = Files([]string{dir}, Options{})
	if _, err := LoadImages(context.Background(), docs, ImageOptions{}); err == nil || !strings.Contains(err.Error(), "d.png") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadImagesIDXLabels(t *testing.T) {
	dir := t.TempDir()
	ims := []imagefile.Image{*gray(2, 1, 0, 200), *gray(2, 1, 90, 40), *gray(2, 1, 255, 255)}
	var buf bytes.Buffer
	imagefile.EncodeIDXImages(&buf, ims)
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), buf.Bytes(), 0o644)
	buf.Reset()
	zw := gzip.NewWriter(&buf)
	imagefile.EncodeIDXLabels(zw, []byte{7, 1, 7})
	zw.Close()
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), buf.Bytes(), 0o644)
	docs, _ := Files([]string{dir}, Options{})
	set, err := LoadImages(context.Background(), docs, ImageOptions{Control: Control{Kind: ControlLabels}})
	if err != nil {
		t.Fatal(err)
	}
	if set.Files != 1 || !slices.Equal(set.Classes, []string{"7", "1", "7"}) {
		t.Fatalf("files %d, classes %v", set.Files, set.Classes)
	}
	tr, va, err := set.Split(0.34)
	if err != nil || len(tr.Images) != 2 || len(va.Images) != 1 || va.Classes[0] != "7" {
		t.Fatalf("split: %v", err)
	}
	if _, err := LabelFile(filepath.Join(dir, "other.idx")); err == nil {
		t.Fatal("a label file for a name without -images")
	}
}

// TestStochasticBinarization: each sample is 1 with probability v/255,
// the draws differ between epochs and repeat within one.
func TestStochasticBinarization(t *testing.T) {
	im := gray(100, 100)
	for i := range im.Pix {
		im.Pix[i] = uint16(i % 256)
	}
	set := &ImageSet{Images: []imagefile.Image{*im}, Classes: []string{""}}
	tok, _ := tokenize.NewPixels(2, tokenize.Shape{Height: 100, Width: 100, Channels: 1})
	seqs, err := set.Sequences(tok, Stochastic, 42)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := make([]autoreg.Token, seqs.SeqLen()), make([]autoreg.Token, seqs.SeqLen()), make([]autoreg.Token, seqs.SeqLen())
	seqs.Sequence(a, 0, 3)
	seqs.Sequence(b, 0, 3)
	seqs.Sequence(c, 0, 4)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatal("draws do not repeat within an epoch, or repeat across epochs")
	}
	var ones, want float64
	for j, v := range im.Pix {
		ones += float64(a[1+j])
		want += float64(v) / 255
	}
	if d := ones - want; d*d > 4*want { // within two standard deviations (variance ≤ mean)
		t.Fatalf("%v ones, expected %v", ones, want)
	}
	tok4, _ := tokenize.NewPixels(4, tok.Shape())
	if _, err := set.Sequences(tok4, Stochastic, 1); err == nil {
		t.Fatal("stochastic binarization with 4 levels accepted")
	}
}

func TestMNISTLabels(t *testing.T) {
	p := testutil.SharedFile(t, "data/images/mnist/t10k-images-binarized-idx3-ubyte.gz")
	lp, err := LabelFile(p)
	if err != nil || filepath.Base(lp) != "t10k-labels-idx1-ubyte.gz" {
		t.Fatalf("%s, %v", lp, err)
	}
	docs, _ := Files([]string{p}, Options{})
	set, err := LoadImages(context.Background(), docs, ImageOptions{Control: Control{Kind: ControlLabels}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 10000 || set.Classes[0] != "7" || len(set.Tags()) != 10 || set.Images[0].MaxVal != 1 {
		t.Fatalf("%d images, first class %q, %d tags", len(set.Images), set.Classes[0], len(set.Tags()))
	}
}
