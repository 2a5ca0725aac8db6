package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavfile"
)

func init() {
	register(&command{
		name: "compress",
		summary: "Compress a file losslessly with a model driving an arithmetic coder. By default the model is adaptive: it starts empty and learns as it codes, " +
			"so decompressing needs nothing else (--adaptive-arch picks a stronger one). --model uses a trained model instead (decompressing needs the same file). " +
			"A PNG, PGM or PPM image is coded pixel-exactly by an image model, its metadata kept; a WAV file has its samples coded by an adaptive audio model and its other bytes by the byte model " +
			"(--level 2 for a slower, smaller model of either).",
		usage: "[--model FILE | --adaptive-arch fast|ngram|balanced|mix|lstm|gpt] [--level 1|2] [--no-media] [--out OUT] IN",
		run:   runCompress,
	})
	register(&command{
		name:    "decompress",
		summary: "Restore a file written by compress (a static file needs the same --model).",
		usage:   "[--model FILE] [--out OUT] IN",
		run:     runDecompress,
	})
}

// runCompress is `autoreg compress`.
func runCompress(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compress")
	model := fs.String("model", "", "compress with this trained model `FILE` (autoreg model or ARPA; a real-valued model of 16-bit sound with a dlogistic head codes the samples of WAV files)")
	adaptive := fs.Bool("adaptive", false, "no model file: learn from the data as it is coded (the default without --model)")
	arch := fs.String("adaptive-arch", "", "adaptive model: fast (the default: content-aware, machine code, repeats, compressed data; smaller than xz -9e at about 1 MB/s), ngram (byte contexts only, the default before fast), balanced (more contexts than fast, at about half its speed), mix (context mixing, stronger), lstm (mix with an online LSTM, strongest), gpt (mix with an online transformer) or a configuration string (implies --adaptive)")
	out := fs.String("out", "", "write to `OUT` (default IN.arz; standard output when IN is -; - for standard output)")
	block := fs.Int("block-size", 0, "input bytes per block, a power of two from 4096 to 64 MiB (default 1 MiB)")
	force := fs.Bool("force", false, "overwrite an existing output file")
	level := fs.String("level", "1", fmt.Sprintf("images and WAV files: the media model's `level`, 1 (fast) to %d (slower, smaller); fast and slow name 1 and 2", lmzip.MaxLevel))
	noMedia := fs.Bool("no-media", false, "code an image or WAV file as plain bytes, like any other file")
	in, err := parseInput(fs, args, stdout)
	if err != nil {
		return err
	}
	if *arch != "" {
		*adaptive = true
	}
	lvl, err := parseLevel(*level)
	if err != nil {
		return err
	}
	if !*adaptive && *model == "" && !*noMedia {
		isImage, err := sniffImage(in)
		if err != nil {
			return err
		}
		if isImage {
			return compressImage(ctx, stdout, stderr, in, *out, lvl, *force)
		}
	}
	opts := lmzip.Options{BlockSize: *block, Level: lvl, NoMedia: *noMedia}
	switch {
	case *adaptive && *model != "":
		return usagef("--model and --adaptive exclude each other")
	case *model == "":
		opts.Adaptive = *arch
		if opts.Adaptive == "" {
			opts.Adaptive = lmzip.DefaultAdaptive
		}
		if _, err := lmzip.ParseAdaptiveConfig(opts.Adaptive); err != nil && !slices.Contains(lmzip.AdaptiveArchs(), opts.Adaptive) {
			return usagef("--adaptive-arch %q: want one of %s, or a configuration string (%v)", opts.Adaptive, strings.Join(lmzip.AdaptiveArchs(), ", "), err)
		}
	default:
		f, err := modelfile.ReadAny(*model)
		if err != nil {
			return err
		}
		if f.Real != nil && *noMedia {
			return usagef("--model %s is a real-valued model: it codes the samples of WAV files, not plain bytes (drop --no-media)", *model)
		}
		if snd, ok := f.Tokenizer.(tokenize.Sound); ok {
			if err := checkSoundInput(in, *model, snd); err != nil {
				return err
			}
		}
		if _, ok := f.Tokenizer.(*tokenize.Pixels); ok {
			return usagef("--model %s is a model of images, which the static mode cannot use yet: compress images without --model (the adaptive image coder; --level slow for the slower, smaller one)", *model)
		}
		opts.Static = lmzip.StaticFromFile(f)
	}
	dst := *out
	if dst == "" {
		dst = "-"
		if in != "-" {
			dst = in + ".arz"
		}
	}
	return transcode(stdout, stderr, in, dst, *force, "compress", func(w io.Writer, r io.Reader, progress func(in, out int64)) (int64, error) {
		opts.Progress = progress
		return lmzip.Compress(ctx, w, r, opts)
	})
}

// checkSoundInput refuses to code a file with a token model of sound
// (μ-law, G.711 μ-law) unless it is a WAV file whose samples come back
// from the model's tokens: the static coder would escape every other
// sample byte by byte, a file larger than the adaptive audio coder's.
func checkSoundInput(in, model string, snd tokenize.Sound) error {
	if in == "-" {
		return usagef("--model %s is a model of sound: name the WAV file (standard input is not checked)", model)
	}
	wf, err := wavfile.ReadFile(in)
	if err != nil {
		return fmt.Errorf("--model %s is a model of sound, which codes WAV files: %v", model, err)
	}
	if err := snd.Lossless(wf); err != nil {
		return fmt.Errorf("%s: %v (the adaptive audio coder, without --model, codes it losslessly)", in, err)
	}
	return nil
}

// sniffImage reports whether the input file starts like a PNG, PGM or
// PPM image (standard input is never sniffed: it is read once).
func sniffImage(in string) (bool, error) {
	if in == "-" {
		return false, nil
	}
	f, err := os.Open(in)
	if err != nil {
		return false, fmt.Errorf("%s: %v", in, unwrapPathErr(err))
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return lmzip.IsImage(head[:n]), nil
}

// parseLevel reads --level: a number from 1 to lmzip.MaxLevel, or fast
// (1) or slow (2).
func parseLevel(s string) (int, error) {
	switch s {
	case "fast":
		return 1, nil
	case "slow":
		return 2, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > lmzip.MaxLevel {
		return 0, usagef("--level %q: want 1 to %d, fast or slow", s, lmzip.MaxLevel)
	}
	return n, nil
}

// compressImage compresses an image file with the image model at level
// (1 fast, 2 slow).
func compressImage(ctx context.Context, stdout, stderr io.Writer, in, out string, level int, force bool) error {
	opts := lmzip.ImageOptions{Level: level}
	dst := out
	if dst == "" {
		dst = in + ".arz"
	}
	start := time.Now()
	var pixels, coded int64
	err := transcode(stdout, stderr, in, dst, force, "compress", func(w io.Writer, r io.Reader, progress func(in, out int64)) (int64, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		if ims, _, err := imagefile.Decode(data); err == nil {
			pixels = int64(ims[0].Width * ims[0].Height)
		}
		n, err := lmzip.CompressImage(ctx, w, data, opts)
		coded = n
		return n, err
	})
	if err == nil && pixels > 0 {
		fmt.Fprintf(stderr, "image: %s pixels, %.3f bits/pixel, %.2f megapixels/s (%s level)\n", thousands(pixels),
			8*float64(coded)/float64(pixels), float64(pixels)/1e6/time.Since(start).Seconds(), map[int]string{1: "fast", 2: "slow"}[opts.Level])
	}
	return err
}

// runDecompress is `autoreg decompress`.
func runDecompress(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("decompress")
	model := fs.String("model", "", "the model `FILE` the file was compressed with (static mode)")
	out := fs.String("out", "", "write to `OUT` (default IN without .arz; standard output when IN is -; - for standard output)")
	force := fs.Bool("force", false, "overwrite an existing output file")
	allow := fs.Bool("allow-platform-mismatch", false, "try a file whose model probabilities are tied to another platform (checksums still catch a difference)")
	in, err := parseInput(fs, args, stdout)
	if err != nil {
		return err
	}
	opts := lmzip.ReaderOptions{Name: in}
	if *model != "" {
		f, err := modelfile.ReadAny(*model)
		if err != nil {
			return err
		}
		opts.Static = lmzip.StaticFromFile(f)
		opts.Static.AllowPlatformMismatch = *allow
	}
	dst := *out
	if dst == "" {
		switch {
		case in == "-":
			dst = "-"
		case strings.HasSuffix(in, ".arz") && len(in) > 4:
			dst = strings.TrimSuffix(in, ".arz")
		default:
			return usagef("%s does not end in .arz: name the output with --out", in)
		}
	}
	return transcode(stdout, stderr, in, dst, *force, "decompress", func(w io.Writer, r io.Reader, progress func(in, out int64)) (int64, error) {
		opts.Progress = progress
		return lmzip.Decompress(ctx, w, r, opts)
	})
}

// parseInput parses the flags of a command that takes one input file and
// returns its name.
func parseInput(fs *flag.FlagSet, args []string, stdout io.Writer) (string, error) {
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return "", err
	}
	switch len(args) {
	case 0:
		return "", usagef("name the input file (or - for standard input)")
	case 1:
		return args[0], nil
	}
	return "", usagef("one input file at a time, got %d", len(args))
}

// transcode runs fn from the input path to the output path; the output file
// appears only when fn succeeded (written to a temporary name, synced,
// renamed), so a failure or Ctrl-C never leaves a partial file.
func transcode(stdout, stderr io.Writer, in, out string, force bool, verb string, fn func(w io.Writer, r io.Reader, progress func(in, out int64)) (int64, error)) error {
	var r io.Reader = os.Stdin
	var total int64
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return fmt.Errorf("%s: %v", in, unwrapPathErr(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			if fi.IsDir() {
				return fmt.Errorf("%s: is a directory", in)
			}
			total = fi.Size()
		}
		r = f
	}
	if out != "-" {
		if _, err := os.Stat(out); err == nil && !force {
			return fmt.Errorf("%s exists (use --force to overwrite)", out)
		}
		if err := checkOut("--out", out); err != nil {
			return err
		}
	}
	start := time.Now()
	pr := newProgress(stderr, verb)
	progress := func(nin, nout int64) {
		if verb == "compress" {
			pr.bytes(nin, total)
		} else {
			pr.bytes(nout, 0)
		}
	}
	var nin, nout int64
	count := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	var err error
	if out == "-" {
		bw := bufio.NewWriterSize(stdout, 1<<20)
		cw := &countingWriter{w: bw}
		_, err = fn(cw, count, progress)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		nout = cw.n
	} else {
		var af *atomicfile.File
		if af, err = atomicfile.Create(out); err != nil {
			return err
		}
		defer af.Abort()
		bw := bufio.NewWriterSize(af, 1<<20)
		cw := &countingWriter{w: bw}
		_, err = fn(cw, count, progress)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = af.Commit()
		}
		nout = cw.n
	}
	pr.done()
	nin = count.n
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return err
	}
	el := time.Since(start)
	plain, packed := nin, nout
	if verb == "decompress" {
		plain, packed = nout, nin
	}
	bpb := 0.0
	if plain > 0 {
		bpb = 8 * float64(packed) / float64(plain)
	}
	fmt.Fprintf(stderr, "%s: %s -> %s bytes (%.3f bits/byte) in %s, %.2f MB/s\n", nameOf(in), thousands(nin), thousands(nout), bpb,
		el.Round(time.Millisecond), float64(plain)/1e6/el.Seconds())
	return nil
}

func nameOf(p string) string {
	if p == "-" {
		return "standard input"
	}
	return p
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
