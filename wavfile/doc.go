// Package wavfile reads and writes WAV files (Microsoft RIFF/WAVE): linear
// PCM of 8, 16, 24 and 32 bits, IEEE floating point of 32 and 64 bits,
// ITU-T G.711 A-law and μ-law, any number of channels and any sample rate,
// in the plain and the WAVE_FORMAT_EXTENSIBLE forms of the fmt chunk.
//
// A [File] keeps every chunk of the file byte for byte, those it does not
// know included (LIST, cue, bext, …), and any bytes after the RIFF chunk,
// so decoding and encoding a file gives it back unchanged: a lossless
// audio coder stores the non-sample bytes as they are and codes only the
// samples ([File.DataOffset] says where they start).
//
// The reader trusts no size field: it checks every size against what the
// enclosing chunk leaves before reading, allocates chunk bodies as their
// bytes arrive, and reports truncated files, disagreeing sizes and formats
// it does not read as errors naming the problem and its byte offset. It is
// fuzzed.
//
// The package is a leaf: it knows nothing of models or tokens.
package wavfile
