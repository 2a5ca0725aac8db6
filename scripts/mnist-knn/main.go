// Command mnist-knn judges class-conditional samples of binarized MNIST
// digits with a 1-nearest-neighbour classifier (Hamming distance) over
// the binarized training images, and tells copies from new digits:
//
//   - accuracy: the share of samples whose nearest training image has the
//     sample's class, beside the share of real (binarized) test digits
//     the same classifier labels correctly; the ratio is the acceptance
//     figure (≥ 0.9);
//   - novelty: the distribution of each sample's Hamming distance to its
//     nearest training image, beside that of the test digits (quantiles,
//     exact copies, and the two-sample Kolmogorov–Smirnov statistic).
//
// The training images are binarized stochastically (each pixel 1 with
// probability v/255) from --seed; the test set is the shared fixed
// binarized one. Labels come from the IDX label files paired by MNIST's
// naming (autoreg sample writes them beside an IDX output).
//
// usage: go run ./scripts/mnist-knn --train TRAIN-images.gz --test TEST-images.gz --samples S-images-idx3-ubyte
package main

import (
	"flag"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/imagefile"
)

func main() {
	train := flag.String("train", "", "training images (IDX; labels paired by name)")
	test := flag.String("test", "", "binarized test images (IDX; labels paired by name)")
	samples := flag.String("samples", "", "samples to judge (IDX; labels paired by name)")
	seed := flag.Uint64("seed", 1, "seed of the training images' stochastic binarization")
	flag.Parse()
	if *train == "" || *test == "" || *samples == "" {
		flag.Usage()
		os.Exit(2)
	}
	tr := load(*train, *seed)
	te := load(*test, *seed)
	sa := load(*samples, *seed)
	fmt.Printf("training images %d, test digits %d, samples %d\n", len(tr.bits), len(te.bits), len(sa.bits))
	teAcc, teDist := judge(tr, te)
	saAcc, saDist := judge(tr, sa)
	fmt.Printf("1-NN accuracy: test digits %.4f, samples %.4f, ratio %.3f (target >= 0.9)\n", teAcc, saAcc, saAcc/teAcc)
	fmt.Println("Hamming distance to the nearest training image (quantiles 0, 5, 25, 50, 75, 95, 100%):")
	fmt.Printf("  test digits %v, mean %.1f, copies (0) %d\n", quantiles(teDist), mean(teDist), count(teDist, 0))
	fmt.Printf("  samples     %v, mean %.1f, copies (0) %d\n", quantiles(saDist), mean(saDist), count(saDist, 0))
	fmt.Printf("  Kolmogorov-Smirnov statistic %.3f\n", ks(teDist, saDist))
	for c := range 10 {
		var n, ok int
		for i, l := range sa.labels {
			if int(l) == c {
				n++
				if sa.pred[i] == int(l) {
					ok++
				}
			}
		}
		if n > 0 {
			fmt.Printf("  class %d: %d/%d samples labelled %d\n", c, ok, n, c)
		}
	}
}

// set is a data set of bilevel 28×28 images packed into 13 words each.
type set struct {
	bits   [][13]uint64
	labels []byte
	pred   []int
}

func load(path string, seed uint64) *set {
	ims, _, err := imagefile.ReadFile(path)
	check(err)
	lp, err := corpus.LabelFile(path)
	check(err)
	lab, err := imagefile.ReadLabels(lp)
	check(err)
	if len(lab) != len(ims) {
		check(fmt.Errorf("%s: %d labels for %d images", lp, len(lab), len(ims)))
	}
	s := &set{bits: make([][13]uint64, len(ims)), labels: lab, pred: make([]int, len(ims))}
	for i, im := range ims {
		if im.Width*im.Height != 784 {
			check(fmt.Errorf("%s: %d×%d images, not 28×28", path, im.Width, im.Height))
		}
		var pcg rand.PCG
		pcg.Seed(seed, uint64(i))
		for j, v := range im.Pix {
			on := v > 0
			if im.MaxVal > 1 { // Bernoulli(v/max)
				on = float64(pcg.Uint64()>>11)/(1<<53)*float64(im.MaxVal) < float64(v)
			}
			if on {
				s.bits[i][j/64] |= 1 << (j % 64)
			}
		}
	}
	return s
}

// judge labels every query by its nearest training image and returns the
// share labelled correctly and each query's distance to its neighbour.
func judge(tr, q *set) (float64, []int) {
	dist := make([]int, len(q.bits))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(q.bits); i += workers {
				best, bi := math.MaxInt, 0
				a := &q.bits[i]
				for j := range tr.bits {
					b := &tr.bits[j]
					d := 0
					for k := range 13 {
						d += bits.OnesCount64(a[k] ^ b[k])
					}
					if d < best {
						best, bi = d, j
					}
				}
				dist[i], q.pred[i] = best, int(tr.labels[bi])
			}
		}()
	}
	wg.Wait()
	ok := 0
	for i, p := range q.pred {
		if p == int(q.labels[i]) {
			ok++
		}
	}
	return float64(ok) / float64(len(q.pred)), dist
}

func quantiles(d []int) []int {
	s := slices.Clone(d)
	slices.Sort(s)
	var out []int
	for _, p := range []float64{0, 0.05, 0.25, 0.5, 0.75, 0.95, 1} {
		out = append(out, s[int(p*float64(len(s)-1))])
	}
	return out
}

func mean(d []int) float64 {
	var s float64
	for _, v := range d {
		s += float64(v)
	}
	return s / float64(len(d))
}

func count(d []int, v int) int {
	n := 0
	for _, x := range d {
		if x == v {
			n++
		}
	}
	return n
}

// ks is the two-sample Kolmogorov–Smirnov statistic: the largest gap
// between the two empirical distribution functions.
func ks(a, b []int) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	var d float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnist-knn:", err)
		os.Exit(1)
	}
}
