package decode

import (
	"bytes"
	"unicode/utf8"
)

// stopper releases rendered text as it streams while watching for stop
// strings across token boundaries. Text that could still be the start of a
// stop string is held back; once a stop string is complete, only the text
// before it is released and the rest is dropped. It also holds back a
// trailing incomplete UTF-8 sequence, so that every released chunk of valid
// UTF-8 text is itself valid UTF-8.
//
// Invariant: no stop string occurs in pending, and released text never ends
// a proper prefix of a stop string that continues into pending — hence a
// stop string, whenever it completes, lies entirely inside pending.
type stopper struct {
	stops   [][]byte
	pending []byte
	out     []byte
}

func newStopper(stops []string) *stopper {
	s := &stopper{}
	for _, x := range stops {
		s.stops = append(s.stops, []byte(x))
	}
	return s
}

func (s *stopper) reset() {
	s.pending = s.pending[:0]
	s.out = s.out[:0]
}

// push adds text and returns the text that can be released now (valid
// until the next call) and whether a stop string completed; after a stop,
// the stopper must be reset before reuse.
func (s *stopper) push(text []byte) (release []byte, stopped bool) {
	s.pending = append(s.pending, text...)
	p := s.pending
	// The earliest complete stop string ends generation.
	at := -1
	for _, x := range s.stops {
		if i := bytes.Index(p, x); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at >= 0 {
		s.out = append(s.out[:0], p[:at]...)
		s.pending = s.pending[:0]
		return s.out, true
	}
	// Hold back the longest suffix that is a proper prefix of a stop string.
	hold := 0
	for _, x := range s.stops {
		for k := min(len(x)-1, len(p)); k > hold; k-- {
			if bytes.HasSuffix(p, x[:k]) {
				hold = k
				break
			}
		}
	}
	end := len(p) - hold
	end = completeUTF8(p[:end])
	s.out = append(s.out[:0], p[:end]...)
	n := copy(s.pending, p[end:])
	s.pending = s.pending[:n]
	return s.out, false
}

// flush releases everything held back (the text ended without a stop).
func (s *stopper) flush() []byte {
	s.out = append(s.out[:0], s.pending...)
	s.pending = s.pending[:0]
	return s.out
}

// completeUTF8 returns the length of b without a trailing incomplete (but so
// far valid) UTF-8 sequence.
func completeUTF8(b []byte) int {
	for back := 1; back <= utf8.UTFMax-1 && back <= len(b); back++ {
		c := b[len(b)-back]
		if c < 0x80 {
			return len(b) // ASCII: nothing pending
		}
		if c >= 0xC0 { // a leading byte
			if !utf8.FullRune(b[len(b)-back:]) {
				return len(b) - back
			}
			return len(b)
		}
		// continuation byte: look further back
	}
	return len(b)
}

// cutAtStop returns text up to the first occurrence of any stop string, and
// whether one was found (for whole texts: beams, reranked samples).
func cutAtStop(text []byte, stops []string) ([]byte, bool) {
	at := -1
	for _, x := range stops {
		if i := bytes.Index(text, []byte(x)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return text, false
	}
	return text[:at], true
}
