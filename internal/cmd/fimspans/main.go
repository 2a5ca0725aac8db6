// Command fimspans picks held-out middles for fill-in-the-middle
// evaluation in Go source: spans of one to three whole lines inside a
// function body (between the line of its opening brace and the line of
// its closing one), drawn from a seed. It prints one span per line as
// `autoreg eval --infill --spans` reads them: PATH<TAB>START<TAB>END, byte
// offsets, the middle's newlines included.
//
// Usage:
//
//	go run ./internal/cmd/fimspans [--n 600] [--seed 1] FILE.go...
//
// Files that do not parse are skipped. A span is drawn by picking a
// candidate line uniformly among all files' lines inside function bodies,
// then a length of one to three lines; spans that would leave the body or
// hold only blank lines are drawn again; no span is drawn twice.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"strings"
)

// line is one line of a file: its byte range, the newline included.
type line struct{ start, end int }

// body is a run of lines inside one function body.
type body struct {
	file       int
	first, end int // line indices [first, end)
}

func main() {
	n := flag.Int("n", 600, "spans to draw")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(flag.Args(), *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "fimspans:", err)
		os.Exit(1)
	}
}

func run(paths []string, n int, seed uint64) error {
	var texts [][]byte
	var lines [][]line
	var bodies []body
	var names []string
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		fi := len(texts)
		texts, names = append(texts, src), append(names, p)
		var ls []line
		for off := 0; off < len(src); {
			e := strings.IndexByte(string(src[off:]), '\n')
			if e < 0 {
				e = len(src) - off - 1
			}
			ls = append(ls, line{off, off + e + 1})
			off += e + 1
		}
		lines = append(lines, ls)
		tf := fset.File(f.Pos())
		ast.Inspect(f, func(nd ast.Node) bool {
			var b *ast.BlockStmt
			switch x := nd.(type) {
			case *ast.FuncDecl:
				b = x.Body
			case *ast.FuncLit:
				b = x.Body
			}
			if b != nil {
				// Lines strictly between the braces' lines (0-based).
				first, last := tf.Line(b.Lbrace), tf.Line(b.Rbrace)-1
				if last > first {
					bodies = append(bodies, body{file: fi, first: first, end: last})
				}
			}
			return true
		})
	}
	var total int
	for _, b := range bodies {
		total += b.end - b.first
	}
	if total == 0 {
		return fmt.Errorf("no function bodies in the files given")
	}
	rng := rand.New(rand.NewPCG(seed, 0x7370616e73)) // "spans"
	seen := map[[3]int]bool{}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for got, tries := 0, 0; got < n && tries < 1000*n; tries++ {
		r := rng.IntN(total)
		k := 1 + rng.IntN(3)
		bi := 0
		for r >= bodies[bi].end-bodies[bi].first {
			r -= bodies[bi].end - bodies[bi].first
			bi++
		}
		b := bodies[bi]
		first := b.first + r
		if first+k > b.end {
			continue
		}
		ls := lines[b.file]
		start, end := ls[first].start, ls[first+k-1].end
		key := [3]int{b.file, start, end}
		if seen[key] || strings.TrimSpace(string(texts[b.file][start:end])) == "" {
			continue
		}
		seen[key] = true
		fmt.Fprintf(w, "%s\t%d\t%d\n", names[b.file], start, end)
		got++
	}
	return nil
}
