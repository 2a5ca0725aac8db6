package autoreg_test

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// The documentation's Go code is compiled code. Every ```go block of the
// Markdown files at the module root (README.md, CONTRIBUTING.md) and in
// docs/ must be either
//
//   - the body of an Example function in one of the module's test files,
//     modulo indentation, with or without its "// Output:" comment, and
//     optionally preceded by an import declaration naming packages that
//     the Example's file imports; or
//   - type declarations, each equal (comments and layout aside) to the
//     declaration of the same name in the module's source.
//
// So a document cannot show code that does not compile or has drifted
// from the API: write the Example first, then paste its body.
func TestDocsGoBlocks(t *testing.T) {
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, more...)
	if !slices.Contains(docs, "README.md") {
		t.Fatal("README.md not found: the test runs in the module root")
	}
	idx := indexModule(t, ".")
	checked := 0
	for _, doc := range docs {
		src, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range fencedBlocks(string(src)) {
			where := doc + ":" + strconv.Itoa(b.line)
			switch {
			case b.lang == "go":
				checked++
				if msg := idx.check(b.text); msg != "" {
					t.Errorf("%s: %s", where, msg)
				}
			case b.lang == "" && looksLikeGo.MatchString(b.text):
				t.Errorf("%s: a code block that shows Go must be marked ```go (and be an Example's body)", where)
			}
		}
	}
	if checked == 0 {
		t.Error("no ```go block found: the extraction is broken")
	}
}

var looksLikeGo = regexp.MustCompile(`^\s*(package|func|import|type) [A-Za-z_("]`)

// mdBlock is one fenced code block of a Markdown file.
type mdBlock struct {
	line int    // 1-based line of the opening fence
	lang string // the info string's first word
	text string // the content, with the fence's indentation removed
}

// fencedBlocks returns the ``` fenced blocks of a Markdown text, also those
// indented inside list items.
func fencedBlocks(md string) []mdBlock {
	var out []mdBlock
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " \t")
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		ticks := len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
		fence := strings.Repeat("`", ticks)
		b := mdBlock{line: i + 1}
		if f := strings.Fields(trimmed[ticks:]); len(f) > 0 {
			b.lang = f[0]
		}
		var body []string
		for i++; i < len(lines); i++ {
			if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, fence) && strings.Trim(l, "`") == "" {
				break
			}
			l := lines[i]
			cut := 0
			for cut < indent && cut < len(l) && (l[cut] == ' ' || l[cut] == '\t') {
				cut++
			}
			body = append(body, l[cut:])
		}
		b.text = strings.Join(body, "\n")
		out = append(out, b)
	}
	return out
}

// example is one Example function of the module's tests.
type example struct {
	name    string // package directory and function name, for messages
	body    []string
	imports map[string]bool
}

// moduleIndex holds what documentation blocks are checked against.
type moduleIndex struct {
	examples []example
	types    map[string][]string // type name → its definitions, as types.ExprString
}

// indexModule parses every Go file of the module rooted at root (nested
// modules, testdata and hidden directories excluded).
func indexModule(t *testing.T, root string) *moduleIndex {
	t.Helper()
	idx := &moduleIndex{types: map[string][]string{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_test.go") {
			idx.addExamples(fset, f, src, filepath.Dir(path))
		} else {
			idx.addTypes(f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.examples) == 0 || len(idx.types) == 0 {
		t.Fatal("no Example functions or no types found in the module: the index is broken")
	}
	return idx
}

func (idx *moduleIndex) addExamples(fset *token.FileSet, f *ast.File, src []byte, dir string) {
	imports := map[string]bool{}
	for _, im := range f.Imports {
		if p, err := strconv.Unquote(im.Path.Value); err == nil {
			imports[p] = true
		}
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Example") {
			continue
		}
		lo := fset.Position(fn.Body.Lbrace).Offset + 1
		hi := fset.Position(fn.Body.Rbrace).Offset
		idx.examples = append(idx.examples, example{
			name:    dir + "." + fn.Name.Name,
			body:    normalize(string(src[lo:hi])),
			imports: imports,
		})
	}
}

func (idx *moduleIndex) addTypes(f *ast.File) {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			idx.types[ts.Name.Name] = append(idx.types[ts.Name.Name], typeString(ts))
		}
	}
}

// typeString renders a type declaration without comments or layout.
func typeString(ts *ast.TypeSpec) string {
	var b strings.Builder
	if ts.TypeParams != nil {
		b.WriteString("[")
		for i, p := range ts.TypeParams.List {
			if i > 0 {
				b.WriteString(", ")
			}
			for j, n := range p.Names {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(n.Name)
			}
			b.WriteString(" " + types.ExprString(p.Type))
		}
		b.WriteString("] ")
	}
	if ts.Assign.IsValid() {
		b.WriteString("= ")
	}
	b.WriteString(types.ExprString(ts.Type))
	return b.String()
}

// check returns why a ```go block is not compiled code, or "".
func (idx *moduleIndex) check(text string) string {
	if strings.TrimSpace(text) == "" {
		return "empty ```go block"
	}
	if f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+text, 0); err == nil && len(f.Decls) > 0 {
		return idx.checkDecls(f)
	}
	imports, rest, msg := splitImports(text)
	if msg != "" {
		return msg
	}
	body := normalize(rest)
	for _, ex := range idx.examples {
		if !slices.Equal(body, ex.body) && !slices.Equal(body, withoutOutput(ex.body)) {
			continue
		}
		for _, p := range imports {
			if !ex.imports[p] {
				return "the block imports " + strconv.Quote(p) + ", which the file of " + ex.name + " does not"
			}
		}
		return ""
	}
	return "this ```go block is not the body of any Example function in the module's tests " +
		"(modulo indentation): write it as an Example and paste its body here"
}

func (idx *moduleIndex) checkDecls(f *ast.File) string {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			return "a ```go block of declarations may hold only type declarations; show other code as an Example's body"
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			defs, ok := idx.types[ts.Name.Name]
			if !ok {
				return "type " + ts.Name.Name + " is declared nowhere in the module"
			}
			want := typeString(ts)
			found := false
			for _, d := range defs {
				found = found || d == want
			}
			if !found {
				return "type " + ts.Name.Name + " differs from its declaration in the module: the block has " +
					want + ", the module " + strings.Join(defs, " or ")
			}
		}
	}
	return ""
}

// splitImports separates a leading import declaration from the statements
// after it, returning the imported paths.
func splitImports(text string) (paths []string, rest, msg string) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if !strings.HasPrefix(lines[0], "import") {
		return nil, text, ""
	}
	end := 0
	if strings.TrimSpace(lines[0]) == "import (" {
		for end = 1; end < len(lines) && strings.TrimSpace(lines[end]) != ")"; end++ {
		}
		if end == len(lines) {
			return nil, "", "unterminated import declaration"
		}
	}
	decl := strings.Join(lines[:end+1], "\n")
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+decl, parser.ImportsOnly)
	if err != nil {
		return nil, "", "bad import declaration: " + err.Error()
	}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		paths = append(paths, p)
	}
	return paths, strings.Join(lines[end+1:], "\n"), ""
}

// normalize splits code into lines without their indentation or trailing
// space, dropping blank lines at either end.
func normalize(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimSpace(l))
	}
	return trimBlank(out)
}

func trimBlank(ls []string) []string {
	for len(ls) > 0 && ls[0] == "" {
		ls = ls[1:]
	}
	for len(ls) > 0 && ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// withoutOutput drops an Example's trailing "// Output:" comment.
func withoutOutput(ls []string) []string {
	for i := len(ls) - 1; i >= 0; i-- {
		if strings.HasPrefix(ls[i], "// Output:") || strings.HasPrefix(ls[i], "// Unordered output:") {
			return trimBlank(ls[:i])
		}
	}
	return ls
}

// TestDocsCheckerRejects makes sure the checker fails on what it must.
func TestDocsCheckerRejects(t *testing.T) {
	idx := indexModule(t, ".")
	for _, bad := range []string{
		"fmt.Println(\"not an example\")",
		"type State interface{ Reset() }",
		"type NoSuchType int",
		"func f() {}",
		"import \"net/http\"\n\nf, err := modelfile.Read(\"shakes8.arm\")",
	} {
		if idx.check(bad) == "" {
			t.Errorf("accepted %q", bad)
		}
	}
	blocks := fencedBlocks("text\n  ```go\n  x := 1\n  ```\n```\nfunc main() {}\n```\n")
	if len(blocks) != 2 || blocks[0].lang != "go" || blocks[0].text != "x := 1" || blocks[0].line != 2 ||
		blocks[1].lang != "" || !looksLikeGo.MatchString(blocks[1].text) {
		t.Errorf("fencedBlocks: %+v", blocks)
	}
}

// TestModelFileExample runs Example_modelFile on a character 3-gram
// written where the example expects its files.
func TestModelFileExample(t *testing.T) {
	text := []byte(strings.Repeat("ROMEO: But soft, what light through yonder window breaks?\n"+
		"JULIET: O Romeo, Romeo, wherefore art thou Romeo?\n", 20))
	cb := tokenize.NewCharBuilder()
	if err := cb.Add(text); err != nil {
		t.Fatal(err)
	}
	if err := cb.Flush(); err != nil {
		t.Fatal(err)
	}
	tok, err := cb.Build()
	if err != nil {
		t.Fatal(err)
	}
	enc := tok.NewEncoder()
	seq, _ := enc.Encode([]autoreg.Token{tok.Vocab().BOS()}, text)
	seq, _ = enc.Flush(seq)
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: 3, Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(append(seq, tok.Vocab().EOS())); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &modelfile.File{Meta: modelfile.Meta{Family: "ngram", Mode: "stream"}, Tokenizer: tok, Model: m}
	if err := modelfile.Write(filepath.Join(dir, "shakes8.arm"), f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "valid.txt"), text[:200], 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	out, err := os.CreateTemp(dir, "stdout")
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = out
	defer func() { os.Stdout = stdout }()
	Example_modelFile()
	os.Stdout = stdout
	got, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	first, sample, _ := bytes.Cut(got, []byte("\n"))
	if !bytes.HasSuffix(first, []byte(" bits per character")) || len(bytes.TrimSpace(sample)) == 0 {
		t.Errorf("Example_modelFile printed %q: want a bits-per-character line and a sample", got)
	}
}
