package tokenize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EscapeWord renders the text of an ordinary token as one printable,
// whitespace-free name, the form tokens take in ARPA files:
//
//   - a backslash becomes \\ ;
//   - space, tab, newline and carriage return become \s, \t, \n, \r;
//   - other control characters, Unicode white space and bytes that are not
//     valid UTF-8 become \xHH (one escape per byte);
//   - a leading '<' becomes \< , so no ordinary token can be mistaken for
//     a special such as <s> or <unk> (the word "<unk>" of a corpus is \<unk>);
//   - the empty string (which no tokenizer produces) becomes \0.
//
// Everything else, including all printable non-ASCII characters, stands for
// itself. UnescapeWord inverts it.
func EscapeWord(s string) string {
	if s == "" {
		return `\0`
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02X`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == ' ':
			b.WriteString(`\s`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '<' && i == 0:
			b.WriteString(`\<`)
		case unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r):
			for j := 0; j < size; j++ {
				fmt.Fprintf(&b, `\x%02X`, s[i+j])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// UnescapeWord inverts EscapeWord. It reports false for a malformed escape.
func UnescapeWord(w string) (string, bool) {
	if w == `\0` {
		return "", true
	}
	if strings.IndexByte(w, '\\') < 0 {
		return w, w != ""
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(w) {
			return "", false
		}
		switch w[i] {
		case '\\':
			b.WriteByte('\\')
		case 's':
			b.WriteByte(' ')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case '<':
			if i != 1 {
				return "", false
			}
			b.WriteByte('<')
		case 'x':
			if i+2 >= len(w) {
				return "", false
			}
			hi, ok1 := unhex(w[i+1])
			lo, ok2 := unhex(w[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
