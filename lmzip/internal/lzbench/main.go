// Command lzbench measures the lmzip compressor for scripts/bench-compress.sh
// where the CLI does not measure directly (a model primed on a training
// part, a static n-gram trained on the fly, streams): sizes, bits per byte
// and speeds, with a verified round trip.
//
//	lzbench -arch ngram|mix|lstm|CONFIG FILE...     adaptive mode, one line per file
//	lzbench -arch ngram -prime TRAIN VALID          adaptive, VALID coded after TRAIN: size(TRAIN+VALID) − size(TRAIN)
//	lzbench -static-order 8 -prime TRAIN VALID      static order-8 char n-gram trained on TRAIN, coding VALID
//	        [-arpa OUT.arpa]                        ... through an ARPA model file read back with modelfile
//	lzbench -c -arch ngram < in > out               compress a stream (stdin to stdout)
//	lzbench -d < in > out                           decompress a stream
//
// Peak memory (VmHWM) goes to stderr in the stream modes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

func main() {
	arch := flag.String("arch", "ngram", "adaptive architecture or configuration")
	order := flag.Int("static-order", 0, "static mode: order of the char n-gram trained on the -prime file")
	prime := flag.String("prime", "", "training/priming file: report the cost of the files after it")
	arpa := flag.String("arpa", "", "static mode: write the trained model as an ARPA file here and code with the model read back from it (its SHA-256 is the identity)")
	comp := flag.Bool("c", false, "compress stdin to stdout")
	decomp := flag.Bool("d", false, "decompress stdin to stdout")
	flag.Parse()
	ctx := context.Background()
	switch {
	case *comp:
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		_, err := lmzip.Compress(ctx, w, bufio.NewReaderSize(os.Stdin, 1<<20), lmzip.Options{Adaptive: *arch})
		check(err)
		check(w.Flush())
		peak()
		return
	case *decomp:
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		_, err := lmzip.Decompress(ctx, w, os.Stdin, lmzip.ReaderOptions{Name: "stdin"})
		check(err)
		check(w.Flush())
		peak()
		return
	}
	var pre []byte
	if *prime != "" {
		var err error
		pre, err = os.ReadFile(*prime)
		check(err)
	}
	for _, path := range flag.Args() {
		data, err := os.ReadFile(path)
		check(err)
		var opts lmzip.Options
		label := *arch
		if *order > 0 {
			opts.Static = trainNgram(pre, *order, *arpa)
			label = fmt.Sprintf("static char %d-gram", *order)
			pre = nil // the model holds the training part
		} else {
			opts.Adaptive = *arch
		}
		base := 0
		if pre != nil {
			base = len(run(ctx, pre, opts, nil).out)
		}
		r := run(ctx, append(append([]byte(nil), pre...), data...), opts, opts.Static)
		size := len(r.out) - base
		name := path
		if pre != nil {
			name += " | " + *prime
			label += " (primed)"
		}
		fmt.Printf("%-28s %-40s %10d -> %9d  %.4f bits/byte  compress %7.3f MB/s  decompress %7.3f MB/s\n",
			label, name, len(data), size, float64(size*8)/float64(len(data)), r.cMBs, r.dMBs)
	}
}

type result struct {
	out        []byte
	cMBs, dMBs float64
}

func run(ctx context.Context, data []byte, opts lmzip.Options, s *lmzip.Static) result {
	var out bytes.Buffer
	t0 := time.Now()
	_, err := lmzip.Compress(ctx, &out, bytes.NewReader(data), opts)
	check(err)
	c := time.Since(t0)
	var back bytes.Buffer
	t0 = time.Now()
	_, err = lmzip.Decompress(ctx, &back, bytes.NewReader(out.Bytes()), lmzip.ReaderOptions{Static: s})
	check(err)
	d := time.Since(t0)
	if !bytes.Equal(back.Bytes(), data) {
		check(fmt.Errorf("round trip differs"))
	}
	mb := float64(len(data)) / 1e6
	return result{out.Bytes(), mb / c.Seconds(), mb / d.Seconds()}
}

func trainNgram(train []byte, order int, arpa string) *lmzip.Static {
	if train == nil {
		check(fmt.Errorf("-static-order needs -prime TRAIN"))
	}
	cb := tokenize.NewCharBuilder()
	check(cb.Add(train))
	check(cb.Flush())
	tok, err := cb.Build()
	check(err)
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: order})
	check(err)
	enc := tok.NewEncoder()
	seq := []autoreg.Token{tok.Vocab().BOS()}
	seq, err = enc.Encode(seq, train)
	check(err)
	seq, _ = enc.Flush(seq)
	check(b.Add(append(seq, tok.Vocab().EOS())))
	m, err := b.Build(context.Background())
	check(err)
	if arpa == "" {
		return &lmzip.Static{ID: sha256.Sum256(train), Model: m, Tokenizer: lmzip.FromTokenizer(tok)}
	}
	f, err := os.Create(arpa)
	check(err)
	w := bufio.NewWriter(f)
	_, err = io.WriteString(w, modelfile.FormatARPAHeader(tok.Kind(), "stream"))
	check(err)
	check(m.WriteARPA(w, tok.Word))
	check(w.Flush())
	check(f.Close())
	mf, err := modelfile.Read(arpa)
	check(err)
	return lmzip.StaticFromFile(mf)
}

func peak() {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Fprintln(os.Stderr, "peak memory", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
		}
	}
}

func check(err error) {
	if err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "lzbench:", err)
		os.Exit(1)
	}
}
