package tokenize

import (
	"fmt"
	"strconv"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/wavfile"
)

// Kinds of the audio tokenizers.
const (
	KindMuLaw = "mulaw" // WaveNet's μ-law companding of 16-bit samples
	KindG711U = "g711u" // the bytes of G.711 μ-law files
)

// Audio is the shape of the sound an audio tokenizer reads: its sample
// rate and channel count. Channels are interleaved, one token per sample,
// so a frame of a stereo file is two tokens (left, then right).
type Audio struct {
	Rate     int `json:"rate"`     // frames per second
	Channels int `json:"channels"` // samples per frame
}

// String is "8000 Hz mono", "44100 Hz stereo" or "48000 Hz, 6 channels".
func (a Audio) String() string {
	switch a.Channels {
	case 1:
		return fmt.Sprintf("%d Hz mono", a.Rate)
	case 2:
		return fmt.Sprintf("%d Hz stereo", a.Rate)
	}
	return fmt.Sprintf("%d Hz, %d channels", a.Rate, a.Channels)
}

func (a Audio) check() error {
	if a.Rate < 1 || int64(a.Rate) > 1<<32-1 || a.Channels < 1 || a.Channels > wavfile.MaxChannels {
		return fmt.Errorf("tokenize: audio of %d Hz and %d channels out of range", a.Rate, a.Channels)
	}
	return nil
}

// Sound is an audio tokenizer: its tokens are the samples of WAV files.
// Both audio tokenizers have 256 ordinary tokens, carry their [Audio]
// shape (which the model file records, so that sampling writes sound at
// the model's rate), and convert between WAV files and tokens.
type Sound interface {
	Tokenizer
	// Audio is the rate and channel count the tokenizer reads.
	Audio() Audio
	// AppendWAV appends the tokens of f's samples, interleaved. f must
	// have the tokenizer's rate and channels and an encoding it reads.
	AppendWAV(dst []autoreg.Token, f *wavfile.File) ([]autoreg.Token, error)
	// WAV returns a WAV file of the samples of ids at the tokenizer's
	// rate (ordinary tokens only; specials are skipped, and a last
	// partial frame is dropped).
	WAV(ids []autoreg.Token) (*wavfile.File, error)
	// Lossless reports whether the tokens of f give its samples back
	// exactly, and if not, why, so that a compressor can refuse f.
	Lossless(f *wavfile.File) error
}

// checkShape reports whether f has the shape a.
func (a Audio) checkShape(f *wavfile.File) error {
	if got := (Audio{f.Format.SampleRate, f.Format.Channels}); got != a {
		return fmt.Errorf("tokenize: a WAV file of %s, the tokenizer reads %s", got, a)
	}
	return nil
}

// ordinary returns the ordinary tokens of ids (below 256), cut to whole
// frames of ch channels.
func ordinary(ids []autoreg.Token, ch int) []byte {
	b := make([]byte, 0, len(ids))
	for _, t := range ids {
		if t >= 0 && t < 256 {
			b = append(b, byte(t))
		}
	}
	return b[:len(b)/ch*ch]
}

// codeWord names a code 0..255 in decimal; specials by their names.
func codeWord(v autoreg.Vocab, t autoreg.Token) string {
	if w, ok := specialWord(v, t); ok {
		return w
	}
	if t < 0 || t >= 256 {
		return ""
	}
	return strconv.Itoa(int(t))
}

// lookupCode inverts codeWord.
func lookupCode(v autoreg.Vocab, word string) (autoreg.Token, bool) {
	if t, ok := lookupSpecial(v, word); ok {
		return t, true
	}
	n, err := strconv.Atoi(word)
	if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != word {
		return 0, false
	}
	return autoreg.Token(n), true
}
