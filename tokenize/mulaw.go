package tokenize

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/wavfile"
)

// MuLaw is WaveNet's μ-law tokenizer (van den Oord et al. 2016): a 16-bit
// sample v becomes one of 256 codes by the companding
//
//	x = v / 32768 ∈ [−1, 1),  F(x) = sign(x)·ln(1 + 255|x|) / ln 256,
//	code = ⌊(F(x) + 1)/2 · 255 + ½⌋ ∈ 0..255,
//
// so the codes are F rounded to a grid of 256 points 2/255 apart, and code
// k decodes to the centre of its interval, F⁻¹(2k/255 − 1)·32768 rounded
// to the nearest 16-bit value (clamped to 32767). This is the pinned form
// of the project's audio anchors (golden codes: −32768→0, −1024→77, 0→128,
// 1024→178, 32767→255); it is not G.711's segmented μ-law (see [G711U]).
// It is lossy: 65,536 values share 256 codes, at a round-trip SNR of
// about 38 dB on speech.
//
// Other integer widths and floating-point files are read through the same
// 16-bit scale (a 24-bit sample is shifted right by 8, a float sample
// multiplied by 32768, rounded and clamped).
//
// Its text form is 16-bit little-endian PCM: the encoder reads byte pairs
// (a dangling last byte becomes <unk>) and AppendText writes a code's
// decoded sample, so decoding then encoding gives the same codes.
//
// The codes are computed once into tables with float64 logarithms; every
// table entry lies at least 10⁻⁹ away from a rounding boundary (a test
// checks it), so platforms whose logarithms differ in the last bit build
// the same tables.
type MuLaw struct {
	audio    Audio
	controls []string
}

// NewMuLaw returns the μ-law tokenizer of sound of shape a.
func NewMuLaw(a Audio) (*MuLaw, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	return &MuLaw{audio: a}, nil
}

var muTables = sync.OnceValues(func() (*[1 << 16]uint8, *[256]int16) {
	var enc [1 << 16]uint8
	var dec [256]int16
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		enc[uint16(v)] = uint8(muCode(float64(v)))
	}
	for k := range dec {
		dec[k] = int16(math.Round(min(muCentre(k), 32767)))
	}
	return &enc, &dec
})

// muCode returns (F(v/32768)+1)/2·255 + ½ before truncation: the code of
// v is its integer part.
func muCode(v float64) float64 {
	x := v / 32768
	f := math.Log(1+255*math.Abs(x)) / math.Log(256)
	if x < 0 {
		f = -f
	}
	return (f+1)/2*255 + 0.5
}

// muCentre returns the centre of code k's interval on the 16-bit scale,
// F⁻¹(2k/255 − 1)·32768, before rounding.
func muCentre(k int) float64 {
	c := 2*float64(k)/255 - 1
	y := (math.Pow(256, math.Abs(c)) - 1) / 255
	if c < 0 {
		y = -y
	}
	return y * 32768
}

// MuLawCode returns the code of a 16-bit sample.
func MuLawCode(v int16) autoreg.Token {
	enc, _ := muTables()
	return autoreg.Token(enc[uint16(v)])
}

// MuLawSample returns the 16-bit sample a code decodes to (0 for a
// token that is not a code).
func MuLawSample(t autoreg.Token) int16 {
	if t < 0 || t >= 256 {
		return 0
	}
	_, dec := muTables()
	return dec[t]
}

// Kind returns KindMuLaw.
func (*MuLaw) Kind() string { return KindMuLaw }

// Vocab has the 256 codes as ordinary tokens.
func (m *MuLaw) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: 256, Controls: m.controls} }

// Audio is the rate and channel count the tokenizer reads.
func (m *MuLaw) Audio() Audio { return m.audio }

// AppendWAV appends the codes of f's samples (any encoding, read through
// the 16-bit scale).
func (m *MuLaw) AppendWAV(dst []autoreg.Token, f *wavfile.File) ([]autoreg.Token, error) {
	if err := m.audio.checkShape(f); err != nil {
		return dst, err
	}
	enc, _ := muTables()
	ff := f.Format
	if ff.Encoding == wavfile.Float {
		for _, x := range f.Floats(nil) {
			v := math.Round(float64(x) * 32768)
			if math.IsNaN(v) {
				v = 0
			}
			dst = append(dst, autoreg.Token(enc[uint16(int16(max(-32768, min(32767, v))))]))
		}
		return dst, nil
	}
	ints, err := f.Ints(nil)
	if err != nil {
		return dst, fmt.Errorf("tokenize: %w", err)
	}
	shift := 0
	if ff.Encoding == wavfile.PCM {
		shift = ff.Bits - 16 // −8 for 8-bit samples
	}
	for _, v := range ints {
		switch {
		case shift > 0:
			v >>= shift
		case shift < 0:
			v <<= -shift
		}
		dst = append(dst, autoreg.Token(enc[uint16(int16(v))]))
	}
	return dst, nil
}

// WAV returns 16-bit PCM of the decoded samples of ids.
func (m *MuLaw) WAV(ids []autoreg.Token) (*wavfile.File, error) {
	codes := ordinary(ids, m.audio.Channels)
	_, dec := muTables()
	data := make([]byte, 2*len(codes))
	for i, c := range codes {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(dec[c]))
	}
	return wavfile.New(wavfile.Format{Encoding: wavfile.PCM, Channels: m.audio.Channels, SampleRate: m.audio.Rate, Bits: 16}, data)
}

// Lossless accepts 16-bit PCM whose every sample is the decoded value of a
// code (sound that went through this companding before); anything else
// would not come back from its codes.
func (m *MuLaw) Lossless(f *wavfile.File) error {
	if err := m.audio.checkShape(f); err != nil {
		return err
	}
	if ff := f.Format; ff.Encoding != wavfile.PCM || ff.Bits != 16 {
		return fmt.Errorf("tokenize: %d-bit %s samples do not come back from μ-law codes (a μ-law model codes 16-bit samples that are μ-law values)", ff.Bits, ff.Encoding)
	}
	enc, dec := muTables()
	d := f.Data()
	for i := 0; i+1 < len(d); i += 2 {
		v := int16(binary.LittleEndian.Uint16(d[i:]))
		if dec[enc[uint16(v)]] != v {
			return fmt.Errorf("tokenize: sample %d = %d is not a μ-law value (the nearest code gives %d): μ-law is lossy for this 16-bit file; compress it without a μ-law model", i/2, v, dec[enc[uint16(v)]])
		}
	}
	return nil
}

// NewEncoder returns an encoder of 16-bit little-endian PCM bytes.
func (m *MuLaw) NewEncoder() Encoder { return &muEncoder{} }

// AppendText appends the decoded sample of a code as two bytes (16-bit
// little-endian); specials append nothing.
func (m *MuLaw) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && t < 256 {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(MuLawSample(t)))
	}
	return dst
}

// Word returns the code in decimal ("0" … "255").
func (m *MuLaw) Word(t autoreg.Token) string { return codeWord(m.Vocab(), t) }

// Lookup inverts Word.
func (m *MuLaw) Lookup(word string) (autoreg.Token, bool) { return lookupCode(m.Vocab(), word) }

type muEncoder struct {
	held    []byte // a byte waiting for its pair
	unknown int64
}

func (e *muEncoder) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	enc, _ := muTables()
	if len(e.held) == 1 && len(text) > 0 {
		dst = append(dst, autoreg.Token(enc[uint16(e.held[0])|uint16(text[0])<<8]))
		e.held, text = e.held[:0], text[1:]
	}
	for len(text) >= 2 {
		dst = append(dst, autoreg.Token(enc[binary.LittleEndian.Uint16(text)]))
		text = text[2:]
	}
	e.held = append(e.held, text...)
	return dst, nil
}

// Flush turns a dangling odd byte into <unk>.
func (e *muEncoder) Flush(dst []autoreg.Token) ([]autoreg.Token, error) {
	if len(e.held) > 0 {
		dst = append(dst, autoreg.Vocab{Base: 256}.UNK())
		e.unknown++
		e.held = e.held[:0]
	}
	return dst, nil
}

func (e *muEncoder) Unknown() int64 { return e.unknown }
