package modelfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
)

// Families lists the model families this build reads.
var Families = []string{}

// decodeModel reads a family's payload of n bytes. The switch is explicit:
// adding a family means adding a case here and nowhere else.
func decodeModel(family string, r io.Reader, n int64) (autoreg.Model, error) {
	switch family {
	}
	if dec := testFamilies[family]; dec != nil {
		return dec(r, n)
	}
	return nil, fmt.Errorf("unknown model family %q", family)
}

// testFamilies lets this package's tests exercise the container with a
// stand-in family; it is empty in every build.
var testFamilies map[string]func(io.Reader, int64) (autoreg.Model, error)

// looksLikeARPA reports whether the buffered input starts like an ARPA file:
// gzip data, or optional blank lines and then a line "\data\".
func looksLikeARPA(br *bufio.Reader) bool {
	head, _ := br.Peek(512)
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return true
	}
	for len(head) > 0 && (head[0] == '\n' || head[0] == '\r' || head[0] == ' ' || head[0] == '\t') {
		head = head[1:]
	}
	return len(head) >= 6 && string(head[:6]) == `\data\`
}

func readARPA(br *bufio.Reader) (*File, error) {
	return nil, errors.New("ARPA files are not supported by this build")
}
