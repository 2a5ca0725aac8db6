package ngram

import "fmt"

// FormatError reports malformed input: an ARPA file (Line > 0) or a model
// payload (Offset ≥ 0 when Line = 0).
type FormatError struct {
	Name   string // input name as the caller gave it; may be empty
	Line   int    // 1-based ARPA line, or 0
	Offset int64  // byte offset into a payload, when Line is 0
	Msg    string
}

func (e *FormatError) Error() string {
	name := e.Name
	if name == "" {
		name = "input"
	}
	if e.Line > 0 {
		return fmt.Sprintf("ngram: %s: line %d: %s", name, e.Line, e.Msg)
	}
	return fmt.Sprintf("ngram: %s: offset %d: %s", name, e.Offset, e.Msg)
}
