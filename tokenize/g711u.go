package tokenize

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/wavfile"
)

// G711U is the tokenizer of G.711 μ-law files (WAV format 7): its tokens
// are the file's sample bytes as they are, so such files are modelled and
// compressed losslessly. G.711's segmented codebook is not WaveNet's
// companding ([MuLaw]); this tokenizer does not convert between them. The
// codes are stored inverted, so silence is 0xFF (and 0x7F, the negative
// zero). Its text form is the bytes themselves.
type G711U struct {
	audio    Audio
	controls []string
}

// NewG711U returns the G.711 μ-law tokenizer of sound of shape a.
func NewG711U(a Audio) (*G711U, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	return &G711U{audio: a}, nil
}

// Kind returns KindG711U.
func (*G711U) Kind() string { return KindG711U }

// Vocab has the 256 byte values as ordinary tokens.
func (g *G711U) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: 256, Controls: g.controls} }

// Audio is the rate and channel count the tokenizer reads.
func (g *G711U) Audio() Audio { return g.audio }

// AppendWAV appends the bytes of a μ-law file's samples.
func (g *G711U) AppendWAV(dst []autoreg.Token, f *wavfile.File) ([]autoreg.Token, error) {
	if err := g.Lossless(f); err != nil {
		return dst, err
	}
	for _, b := range f.Data() {
		dst = append(dst, autoreg.Token(b))
	}
	return dst, nil
}

// WAV returns a G.711 μ-law file of the bytes of ids.
func (g *G711U) WAV(ids []autoreg.Token) (*wavfile.File, error) {
	return wavfile.New(wavfile.Format{Encoding: wavfile.MuLaw, Channels: g.audio.Channels, SampleRate: g.audio.Rate, Bits: 8},
		ordinary(ids, g.audio.Channels))
}

// Lossless accepts exactly the μ-law files of the tokenizer's shape.
func (g *G711U) Lossless(f *wavfile.File) error {
	if err := g.audio.checkShape(f); err != nil {
		return err
	}
	if f.Format.Encoding != wavfile.MuLaw {
		return fmt.Errorf("tokenize: the g711u tokenizer reads G.711 μ-law files, not %d-bit %s", f.Format.Bits, f.Format.Encoding)
	}
	return nil
}

// NewEncoder returns an encoder that emits one token per byte.
func (g *G711U) NewEncoder() Encoder { return &byteEncoder{} }

// AppendText appends the byte of t; specials append nothing.
func (g *G711U) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && t < 256 {
		dst = append(dst, byte(t))
	}
	return dst
}

// Word returns the byte in decimal ("0" … "255").
func (g *G711U) Word(t autoreg.Token) string { return codeWord(g.Vocab(), t) }

// Lookup inverts Word.
func (g *G711U) Lookup(word string) (autoreg.Token, bool) { return lookupCode(g.Vocab(), word) }
