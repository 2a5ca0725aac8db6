package modelfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/pixelcnn"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/vae"
	"github.com/autoreg/autoreg/wavenet"
)

// Families lists the model families this build reads: token models, then
// the real-valued ones (RealFamilies).
var Families = []string{"ngram", "gpt", "lstm", "gru", "vae", "pixelcnn", "wavenet", "seq2seq", "ar", "lstm-real", "gru-real", "gpt-real"}

// RealFamilies lists the real-valued families (autoreg.RealModel): AR, and
// the neural families' real-valued models (their token family's name with
// "-real").
var RealFamilies = []string{"ar", "lstm-real", "gru-real", "gpt-real"}

// IsReal reports whether family is a real-valued family.
func IsReal(family string) bool { return slices.Contains(RealFamilies, family) }

// decodeReal reads a real-valued family's payload of n bytes.
func decodeReal(family string, r io.Reader, n int64) (autoreg.RealModel, error) {
	switch family {
	case "ar":
		return ar.Read(r, n)
	case "gpt-real":
		return gpt.ReadReal(r, n)
	case "lstm-real", "gru-real":
		m, err := rnn.ReadReal(r, n)
		if err == nil && m.Config().Cell+"-real" != family {
			return nil, fmt.Errorf("family %q holds a %s payload", family, m.Config().Cell)
		}
		return m, err
	}
	return nil, fmt.Errorf("unknown real-valued family %q", family)
}

// decodeModel reads a family's payload of n bytes. The switch is explicit:
// adding a family means adding a case here and nowhere else.
func decodeModel(family string, r io.Reader, n int64) (autoreg.Model, error) {
	switch family {
	case "ngram":
		return ngram.ReadModel(r, n)
	case "gpt":
		return gpt.Read(r, n)
	case "seq2seq":
		return seq2seq.Read(r, n)
	case "pixelcnn":
		return pixelcnn.Read(r, n)
	case "wavenet":
		return wavenet.Read(r, n)
	case "lstm", "gru":
		m, err := rnn.Read(r, n)
		if err == nil && m.Config().Cell != family {
			return nil, fmt.Errorf("family %q holds a %s payload", family, m.Config().Cell)
		}
		return m, err
	case "vae":
		return vae.Read(r, n)
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
// gzip data, or blank and '#' comment lines and then a line "\data\".
func looksLikeARPA(br *bufio.Reader) bool {
	head, _ := br.Peek(4096)
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return true
	}
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
			continue
		case string(line) == `\data\`:
			return true
		}
		return false
	}
	return false
}

// ARPAHeader is the comment line autoreg writes before "\data\" in its ARPA
// files (KenLM accepts '#' lines there), so that reading the file back
// restores the tokenizer and the sequence mode:
//
//	# autoreg tokenizer=char mode=stream
//
// Words in such files are escaped with tokenize.EscapeWord. An ARPA file
// without the header (from KenLM or SRILM) is read as a word model over its
// raw words, in lines mode.
const ARPAHeader = "# autoreg"

// FormatARPAHeader returns the header line for a tokenizer kind and mode.
func FormatARPAHeader(tokenizer, mode string) string {
	return fmt.Sprintf("%s tokenizer=%s mode=%s\n", ARPAHeader, tokenizer, mode)
}

func readARPA(r io.Reader, name string, warn func(string)) (*File, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 1<<20)
	var text *bufio.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %v", err)
		}
		text = bufio.NewReaderSize(zr, 1<<20)
	}
	kind, mode := "", "lines"
	for {
		line, err := text.Peek(1)
		if err != nil || (line[0] != '#' && line[0] != '\n' && line[0] != '\r') {
			break
		}
		l, err := text.ReadString('\n')
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), ARPAHeader+" "); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "tokenizer":
					kind = v
				case "mode":
					mode = v
				}
			}
		}
		if err != nil {
			break
		}
	}
	m, words, err := ngram.ReadARPA(text, name, warn)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, err
	}
	tok, err := arpaTokenizer(kind, words[:m.Vocab().Base], m.Vocab().Controls)
	if err != nil {
		return nil, err
	}
	if _, err := corpus.ParseMode(mode); err != nil {
		return nil, fmt.Errorf("ARPA header: %v", err)
	}
	f := &File{Format: "arpa", Tokenizer: tok, Model: m, Meta: Meta{Family: "ngram", Mode: mode}}
	copy(f.SHA256[:], h.Sum(nil))
	return f, nil
}

// arpaTokenizer rebuilds the tokenizer of an ARPA model from its ordinary
// words (in id order).
func arpaTokenizer(kind string, words []string, controls []string) (tokenize.Tokenizer, error) {
	unescape := func(w string) (string, error) {
		s, ok := tokenize.UnescapeWord(w)
		if !ok {
			return "", fmt.Errorf("ARPA word %q is not a valid escaped token name", w)
		}
		return s, nil
	}
	var tok tokenize.Tokenizer
	switch kind {
	case "": // a foreign ARPA file: raw words
		w, err := tokenize.NewWord(words)
		if err != nil {
			return nil, err
		}
		tok = w
	case tokenize.KindWord:
		ws := make([]string, len(words))
		for i, w := range words {
			s, err := unescape(w)
			if err != nil {
				return nil, err
			}
			ws[i] = s
		}
		w, err := tokenize.NewWord(ws)
		if err != nil {
			return nil, err
		}
		tok = w
	case tokenize.KindChar:
		rs := make([]rune, len(words))
		for i, w := range words {
			s, err := unescape(w)
			if err != nil {
				return nil, err
			}
			r, size := utf8.DecodeRuneInString(s)
			if size == 0 || size != len(s) || r == utf8.RuneError {
				return nil, fmt.Errorf("ARPA word %q is not one character", w)
			}
			if i > 0 && r <= rs[i-1] {
				return nil, fmt.Errorf("ARPA unigrams of a char model are not in character order at %q", w)
			}
			rs[i] = r
		}
		c, err := tokenize.NewChar(rs)
		if err != nil {
			return nil, err
		}
		tok = c
	case tokenize.KindByte:
		if len(words) != 256 {
			return nil, fmt.Errorf("a byte model needs 256 unigrams besides the specials, found %d", len(words))
		}
		for i, w := range words {
			s, err := unescape(w)
			if err != nil {
				return nil, err
			}
			if len(s) != 1 || s[0] != byte(i) {
				return nil, fmt.Errorf("ARPA unigrams of a byte model are not in byte order at %q", w)
			}
		}
		tok = tokenize.NewByte()
	default:
		return nil, fmt.Errorf("ARPA header names unknown tokenizer %q", kind)
	}
	if len(controls) > 0 {
		return tokenize.WithControls(tok, controls)
	}
	return tok, nil
}

// IsRealFile reports whether path is a model file holding a real-valued
// model, reading only its header and META section. Any problem (no such
// file, another format, a corrupt header) reports false: Read and ReadAny
// give the error.
func IsRealFile(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	var hdr [16]byte
	if _, err := io.ReadFull(fh, hdr[:]); err != nil || string(hdr[:8]) != Magic {
		return false
	}
	// The first section is META: its payload starts at the next multiple
	// of Align after its 16-byte header.
	var pad [Align]byte
	if _, err := io.ReadFull(fh, pad[:padding(16)]); err != nil {
		return false
	}
	var sec [16]byte
	if _, err := io.ReadFull(fh, sec[:]); err != nil || string(sec[:4]) != TagMeta {
		return false
	}
	n := binary.LittleEndian.Uint64(sec[8:])
	if n > MaxMetaSize {
		return false
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(fh, b); err != nil {
		return false
	}
	var meta Meta
	return json.Unmarshal(b, &meta) == nil && IsReal(meta.Family)
}
