package corpus

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// Control says how training examples get a control code: a reserved token,
// named by a tag, put right after the sequence's <s> so that a model learns
// P(x | tag) and generation can be steered with the tag (CTRL, Keskar et al.
// 2019).
type Control struct {
	// Kind is ControlNone, ControlParentDir, ControlLinePrefix or ControlGlob.
	Kind ControlKind
	// Globs maps file-name patterns to tags, first match wins (ControlGlob).
	Globs []GlobTag
}

// ControlKind names a rule for finding an example's tag.
type ControlKind int

// Control rules.
const (
	// ControlNone: no control codes.
	ControlNone ControlKind = iota
	// ControlParentDir: a file's tag is the name of the directory holding it.
	ControlParentDir
	// ControlLinePrefix: a line starting "TAG:" has tag TAG, and the prefix
	// (with one following space) is removed from the text. In stream mode
	// the first line of a file tags the file.
	ControlLinePrefix
	// ControlGlob: a file's tag is that of the first pattern its name
	// matches (patterns with a '/' match the whole path).
	ControlGlob
	// ControlLabels: an IDX image's tag is its label, in decimal, from
	// the IDX label file beside the images (see LabelFile). Images only.
	ControlLabels
)

// GlobTag pairs a file-name pattern with a tag.
type GlobTag struct {
	Pattern, Tag string
}

// MaxTagLen bounds a tag's length in bytes.
const MaxTagLen = 64

// ParseControl parses the --control-from syntax: "" (none), "parent-dir",
// "line-prefix", "labels" or "glob:PATTERN=TAG,PATTERN=TAG,...".
func ParseControl(s string) (Control, error) {
	switch {
	case s == "" || s == "none":
		return Control{}, nil
	case s == "parent-dir":
		return Control{Kind: ControlParentDir}, nil
	case s == "line-prefix":
		return Control{Kind: ControlLinePrefix}, nil
	case s == "labels":
		return Control{Kind: ControlLabels}, nil
	case strings.HasPrefix(s, "glob:"):
		c := Control{Kind: ControlGlob}
		for _, part := range strings.Split(strings.TrimPrefix(s, "glob:"), ",") {
			pat, tag, ok := strings.Cut(part, "=")
			if !ok || pat == "" || !validTag(tag) {
				return Control{}, fmt.Errorf("corpus: --control-from: %q is not PATTERN=TAG (a tag is 1 to %d non-space bytes)", part, MaxTagLen)
			}
			if _, err := filepath.Match(pat, ""); err != nil {
				return Control{}, fmt.Errorf("corpus: --control-from: bad pattern %q", pat)
			}
			c.Globs = append(c.Globs, GlobTag{pat, tag})
		}
		return c, nil
	}
	return Control{}, fmt.Errorf("corpus: --control-from %q: want parent-dir, line-prefix, labels or glob:PATTERN=TAG,...", s)
}

// String returns the --control-from form of c.
func (c Control) String() string {
	switch c.Kind {
	case ControlParentDir:
		return "parent-dir"
	case ControlLinePrefix:
		return "line-prefix"
	case ControlLabels:
		return "labels"
	case ControlGlob:
		var parts []string
		for _, g := range c.Globs {
			parts = append(parts, g.Pattern+"="+g.Tag)
		}
		return "glob:" + strings.Join(parts, ",")
	}
	return ""
}

func validTag(tag string) bool {
	if tag == "" || len(tag) > MaxTagLen {
		return false
	}
	for _, r := range tag {
		if unicode.IsSpace(r) || r == '>' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// docTag returns the tag of a whole document (parent-dir and glob rules).
// A document that is not a file (TextDoc, ReaderDoc, standard input) has
// no directory; a glob rule matches its Name.
func (c Control) docTag(d Doc) string {
	path := d.Path
	switch c.Kind {
	case ControlParentDir:
		if path == "" || path == "-" {
			return ""
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return ""
		}
		if tag := filepath.Base(filepath.Dir(abs)); validTag(tag) {
			return tag
		}
	case ControlGlob:
		if path == "" {
			path = d.Name
		}
		for _, g := range c.Globs {
			target := filepath.Base(path)
			if strings.Contains(g.Pattern, "/") {
				target = filepath.ToSlash(path)
			}
			if ok, _ := filepath.Match(g.Pattern, target); ok {
				return g.Tag
			}
		}
	}
	return ""
}

// linePrefix splits "TAG: text" into its tag and the text after the prefix
// and one space. It returns "" and the line unchanged when there is no valid
// prefix.
func linePrefix(line []byte) (string, []byte) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > MaxTagLen || !validTag(string(line[:i])) {
		return "", line
	}
	rest := line[i+1:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return string(line[:i]), rest
}

// Tags returns the tags the rule gives the corpus, sorted: the control codes
// a model trained on it needs. Only line-prefix reads the files.
func (c Control) Tags(ctx context.Context, docs []Doc, mode Mode) ([]string, error) {
	seen := map[string]bool{}
	switch c.Kind {
	case ControlNone:
		return nil, nil
	case ControlParentDir, ControlGlob:
		for _, d := range docs {
			if tag := c.docTag(d); tag != "" {
				seen[tag] = true
			}
		}
	case ControlLinePrefix:
		var line []byte
		atStart := true
		err := Read(ctx, docs, nil, func(_ Doc, p []byte) error {
			for len(p) > 0 {
				i := bytes.IndexByte(p, '\n')
				end := len(p)
				if i >= 0 {
					end = i
				}
				if atStart && len(line) <= MaxTagLen+1 {
					line = append(line, p[:min(end, MaxTagLen+2)]...)
				}
				if i < 0 {
					return nil
				}
				if atStart {
					if tag, _ := linePrefix(line); tag != "" {
						seen[tag] = true
					}
				}
				line = line[:0]
				atStart = mode == Lines
				p = p[i+1:]
			}
			return nil
		}, func(Doc) error {
			if atStart {
				if tag, _ := linePrefix(line); tag != "" {
					seen[tag] = true
				}
			}
			line, atStart = line[:0], true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	tags := make([]string, 0, len(seen))
	for t := range seen {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return tags, nil
}
