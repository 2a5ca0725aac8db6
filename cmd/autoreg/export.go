package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
)

func init() {
	register(&command{
		name:    "export",
		summary: "Write an n-gram model as an ARPA file (KenLM-compatible; gzip-compressed if OUT ends in .gz).",
		usage:   "--model FILE --arpa OUT",
		run:     runExport,
	})
}

// runExport is `autoreg export`.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export")
	model := fs.String("model", "", "the n-gram model: an autoreg model file or an ARPA `FILE`")
	arpa := fs.String("arpa", "", "write the ARPA file here (`OUT`; .gz compresses)")
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if err := checkOut("--arpa", *arpa); err != nil {
		return err
	}
	f, err := loadModel(*model)
	if err != nil {
		return err
	}
	m, ok := f.Model.(*ngram.Model)
	if !ok {
		return fmt.Errorf("%s: a %s model has no ARPA form (only n-gram models do)", *model, f.Meta.Family)
	}
	word := func(t autoreg.Token) string { return f.Tokenizer.Word(t) }
	err = atomicfile.WriteFile(*arpa, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		var out io.Writer = bw
		var zw *gzip.Writer
		if strings.HasSuffix(*arpa, ".gz") {
			zw = gzip.NewWriter(bw)
			out = zw
		}
		if _, err := io.WriteString(out, modelfile.FormatARPAHeader(f.Tokenizer.Kind(), f.Meta.Mode)); err != nil {
			return err
		}
		if err := m.WriteARPA(out, word); err != nil {
			return err
		}
		if zw != nil {
			if err := zw.Close(); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	counts := m.Counts()
	fmt.Fprintf(stderr, "wrote %s: order %d, %s n-grams, %s\n", *arpa, m.Order(), thousands(int64(sum(counts))), humanBytes(fileSize(*arpa)))
	return nil
}
