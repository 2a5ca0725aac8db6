// Command cmudict writes the grapheme-to-phoneme data sets of the CMU
// Pronouncing Dictionary as tab-separated pairs for `autoreg train --arch
// seq2seq`, under the deterministic split of the shared data's README: the
// base word (the word without a trailing "(n)") goes to train, dev or test
// by r = (first 8 bytes of SHA-256(base word), big-endian) mod 100: r < 90
// train, r < 95 dev, else test, so every pronunciation of a word lands in
// the same part.
//
// Usage:
//
//	go run ./internal/cmd/cmudict [--dict ../shared/data/cmudict/cmudict.txt] --out DIR
//
// It writes DIR/{train,dev,test}.tsv with the 39 phonemes without stress
// digits (the convention of the published results) and
// DIR/{train,dev,test}-stress.tsv with them, one pronunciation per line:
// "WORD<TAB>PH ON EM ES". Words holding a character other than a letter,
// an apostrophe, a period or a hyphen are left out (their count is
// printed), as are pronunciations that become duplicates once the stress
// digits are dropped.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreg/autoreg/internal/atomicfile"
)

// Part returns the split part of a base word: "train", "dev" or "test".
func Part(base string) string {
	sum := sha256.Sum256([]byte(base))
	switch r := binary.BigEndian.Uint64(sum[:8]) % 100; {
	case r < 90:
		return "train"
	case r < 95:
		return "dev"
	}
	return "test"
}

// baseWord strips a trailing "(n)" alternate marker.
func baseWord(w string) string {
	if i := strings.LastIndexByte(w, '('); i > 0 && strings.HasSuffix(w, ")") {
		return w[:i]
	}
	return w
}

// keep reports whether a word has only letters, apostrophes, periods and
// hyphens.
func keep(w string) bool {
	for _, r := range w {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '\'' || r == '.' || r == '-') {
			return false
		}
	}
	return w != ""
}

func stripStress(phones string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, phones)
}

func main() {
	dict := flag.String("dict", "../shared/data/cmudict/cmudict.txt", "the dictionary (WORD<TAB>PHONES per line)")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "cmudict: --out is required")
		os.Exit(2)
	}
	if err := run(*dict, *out); err != nil {
		fmt.Fprintln(os.Stderr, "cmudict:", err)
		os.Exit(1)
	}
}

func run(dict, dir string) error {
	f, err := os.Open(dict)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type part struct{ plain, stress strings.Builder }
	parts := map[string]*part{"train": {}, "dev": {}, "test": {}}
	words := map[string]map[string]bool{} // kept base words per part
	seen := map[string]bool{}             // base word + stress-free phones
	dropped := map[string]bool{}
	var lines, droppedLines, dup int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
		w, phones, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			return fmt.Errorf("%s: line %d: no tab", dict, lines)
		}
		base := baseWord(w)
		if !keep(base) {
			dropped[base] = true
			droppedLines++
			continue
		}
		p := Part(base)
		if words[p] == nil {
			words[p] = map[string]bool{}
		}
		words[p][base] = true
		fmt.Fprintf(&parts[p].stress, "%s\t%s\n", base, phones)
		plain := stripStress(phones)
		if seen[base+"\t"+plain] {
			dup++
			continue
		}
		seen[base+"\t"+plain] = true
		fmt.Fprintf(&parts[p].plain, "%s\t%s\n", base, plain)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for name, p := range parts {
		for suffix, text := range map[string]string{"": p.plain.String(), "-stress": p.stress.String()} {
			if err := write(filepath.Join(dir, name+suffix+".tsv"), text); err != nil {
				return err
			}
		}
	}
	fmt.Printf("%d lines; left out %d words (%d lines) with characters other than letters, ' . -; "+
		"%d pronunciations that repeat another once stress is dropped\n", lines, len(dropped), droppedLines, dup)
	for _, name := range []string{"train", "dev", "test"} {
		fmt.Printf("%s: %d words\n", name, len(words[name]))
	}
	return nil
}

func write(path, text string) error {
	w, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write([]byte(text)); err != nil {
		return err
	}
	return w.Commit()
}
