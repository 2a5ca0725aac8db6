#!/usr/bin/env bash
# bench-audio.sh — lossless audio compression: autoreg compress (levels 1
# and 2) against FLAC and WavPack, measured in the same run on the same
# files, every round trip checked.
#
#   scripts/bench-audio.sh          the shared clips and the unseen ones
#   scripts/bench-audio.sh shared   the shared clips only
#   scripts/bench-audio.sh mulaw    the μ-law WaveNet against the LPC anchor
#   scripts/bench-audio.sh dlogistic  the 16-bit head: NLL against coded size
#
# mulaw trains the documented WaveNet on the first 80% of speech-8k.wav
# (validation: the last tenth of that part) for at most $WAVENET_TIME
# (default 30m) of wall time, scores the last 20% in bits per sample
# beside a 16-tap linear predictor with an adaptive Laplace residual fitted
# on the same training audio (scripts/audio-anchor -mulaw), and times
# generation. MODEL=FILE scores an existing model instead of training one.
#
# dlogistic trains, on each shared clip, an LSTM (1 layer, 64 cells) with
# the discretized-logistic-mixture head over the 65,536 levels (5
# components) for $DL_STEPS steps (default 600) on the first 80% of the
# clip, then scores the whole clip with eval --test-split 1 (the NLL in
# bits) and codes it with compress --model (the bit-exact state's integer
# frequencies): the coded size is the NLL plus the container and the WAV
# header, within 0.1%. DL_MODELS=DIR keeps the models there.
#
# Anchors, exactly as the data README runs them: flac -8 --no-padding,
# wavpack -hh -x6. Bits per sample = 8 · file bytes / (frames · channels),
# the whole output file (headers included) for every coder. CPU times are
# user + system seconds of one process (/usr/bin/time); the real-time
# factor is seconds of audio per CPU second. On a shared machine the CPU
# times are what to compare; wall times are noisy.
#
# The unseen clips are made here from Debian packages (apt-get install
# flac wavpack sox espeak-ng fluidsynth fluid-soundfont-gm
# asterisk-core-sounds-en-wav):
#   prompts-8k   other prompts of asterisk-core-sounds-en-wav (the 16
#                after those in speech-8k.wav, by name), concatenated to
#                at least 60 s: the same speaker, other words
#   espeak-22k   espeak-ng reading a paragraph, 22,050 Hz mono
#   midi-44k     a piece written below (arpeggiated piano, strings, bass,
#                drums) rendered by FluidSynth with FluidR3 GM as the
#                music clip was: 44.1 kHz stereo
#   synth-48k    sox: plucked chords with reverb, 48 kHz stereo 24-bit
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${AUTOREG_SHARED:-../shared}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for c in flac wavpack sox; do
	command -v $c > /dev/null || { echo "bench-audio.sh: $c is missing (apt-get install flac wavpack sox)" >&2; exit 1; }
done
go build -o "$WORK/autoreg" ./cmd/autoreg
go build -o "$WORK/audio-anchor" ./scripts/audio-anchor

echo "# machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3)"
echo "# tools: $(flac --version) | $(wavpack --version 2>&1 | head -1)"

CLIPS=("$SHARED/data/audio/speech-8k.wav" "$SHARED/data/audio/music-44k.wav")

unseen() {
	local sounds=/usr/share/asterisk/sounds/en_US_f_Allison
	if [ -d "$sounds" ]; then
		# The clip took the first 16 top-level prompts by name; take the
		# next ones until 60 s.
		local files=() total=0 i=0
		for f in $(ls "$sounds"/*.wav | sort); do
			i=$((i + 1))
			[ $i -le 16 ] && continue
			files+=("$f")
			total=$(awk -v t="$total" -v d="$(soxi -D "$f")" 'BEGIN { print t + d }')
			awk -v t="$total" 'BEGIN { exit !(t >= 60) }' && break
		done
		sox "${files[@]}" "$WORK/prompts-8k.wav"
		CLIPS+=("$WORK/prompts-8k.wav")
	else
		echo "# no asterisk-core-sounds-en-wav: prompts-8k skipped"
	fi
	if command -v espeak-ng > /dev/null; then
		espeak-ng -w "$WORK/espeak-22k.wav" "Lossless audio coding predicts every sample from the ones before it, \
and spends bits only on the surprise. A good predictor for speech follows the resonances of the vocal tract \
as they glide from one vowel to the next, and a good coder of what remains follows how loud the speaker is \
from one syllable to the next. Neither needs to know the words, yet both do better on a clear voice than on \
noise, and neither throws anything away: every bit of the recording comes back." 2> /dev/null
		CLIPS+=("$WORK/espeak-22k.wav")
	else
		echo "# no espeak-ng: espeak-22k skipped"
	fi
	local sf
	sf=$(dpkg -L fluid-soundfont-gm 2> /dev/null | grep -m1 'FluidR3_GM.sf2$' || true)
	if command -v fluidsynth > /dev/null && [ -n "$sf" ]; then
		python3 - "$WORK/piece.mid" << 'EOF'
# A standard MIDI file (format 0, 480 ticks per quarter) written with the
# standard library: 24 bars of a i–VI–III–VII progression in A minor at
# 96 bpm, arpeggiated piano, a string pad, a bass line and a drum pattern.
import struct, sys
def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))
events = []  # (tick, order, bytes)
def note(t, dur, ch, key, vel):
    events.append((t, 1, bytes([0x90 | ch, key, vel])))
    events.append((t + dur, 0, bytes([0x80 | ch, key, 0])))
Q = 480
events.append((0, 0, b'\xff\x51\x03' + (60000000 // 96).to_bytes(3, 'big')))
for ch, prog in ((0, 0), (1, 48), (2, 33)):
    events.append((0, 0, bytes([0xC0 | ch, prog])))
chords = [(57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62)]
for bar in range(24):
    t0 = bar * 4 * Q
    root, third, fifth = chords[bar % 4]
    for i in range(8):  # piano arpeggio in eighths
        k = [root, third, fifth, root + 12, fifth + 12, root + 12, fifth, third][i]
        note(t0 + i * Q // 2, Q // 2, 0, k + 12, 70 + (i % 4) * 8)
    for k in (root, third, fifth):  # string pad
        note(t0, 4 * Q - 10, 1, k, 50)
    for i, k in enumerate((root - 24, root - 24, fifth - 24, root - 12)):  # bass
        note(t0 + i * Q, Q - 20, 2, k, 90)
    for i in range(4):  # kick, snare, hi-hats
        note(t0 + i * Q, Q // 4, 9, 36 if i % 2 == 0 else 38, 100)
        note(t0 + i * Q + Q // 2, Q // 4, 9, 42, 60)
events.sort()
track, last = b'', 0
for t, _, e in events:
    track += vlq(t - last) + e
    last = t
track += b'\x00\xff\x2f\x00'
with open(sys.argv[1], 'wb') as f:
    f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, Q))
    f.write(b'MTrk' + struct.pack('>I', len(track)) + track)
EOF
		fluidsynth -q -n -i -F "$WORK/midi-full.wav" -T wav -O s16 -E little -r 44100 -g 0.8 -o synth.cpu-cores=1 "$sf" "$WORK/piece.mid" > /dev/null 2>&1
		sox "$WORK/midi-full.wav" "$WORK/midi-44k.wav" trim 0 30
		CLIPS+=("$WORK/midi-44k.wav")
	else
		echo "# no fluidsynth or fluid-soundfont-gm: midi-44k skipped"
	fi
	sox -n -r 48000 -c 2 -b 24 "$WORK/synth-48k.wav" synth 20 pluck A2 pluck E3 pluck A3 pluck C4 \
		tremolo 3 40 reverb 50 fade 0 20 2 gain -n -3 2> /dev/null
	CLIPS+=("$WORK/synth-48k.wav")
}
MODE=${1:-all}

if [ "$MODE" = mulaw ]; then
	speech="$SHARED/data/audio/speech-8k.wav"
	frames=$(soxi -s "$speech")
	head=$((frames * 8 / 10))
	sox "$speech" "$WORK/train.wav" trim 0 "${head}s"
	model=${MODEL:-}
	if [ -z "$model" ]; then
		model="$WORK/speech.arm"
		echo "# training: first $head of $frames samples, at most ${WAVENET_TIME:-30m}"
		"$WORK/autoreg" train --arch wavenet --layers 10 --stacks 2 --dim 32 --skip 128 \
			--context 2048 --batch 4 --lr 2e-3 --steps 800 --max-time "${WAVENET_TIME:-30m}" \
			--valid-split 0.1 --data "$WORK/train.wav" --out "$model" 2>&1 | grep -v '^\[' || true
		model="$WORK/speech.best.arm"
	fi
	wn=$("$WORK/autoreg" eval --model "$model" --tail 0.2 --json "$speech" | sed 's/.*"bits_per_sample":\([0-9.]*\).*/\1/')
	lpc=$("$WORK/audio-anchor" -mulaw -fit "$WORK/train.wav" -tail 0.2 "$speech" | sed 's/.*"bits_per_sample":\([0-9.]*\).*/\1/')
	printf '\n%-44s %s\n' "speech-8k, last 20%, μ-law" bits/sample
	printf '%-44s %.4f\n' "LPC-16 + adaptive Laplace (fit on the 80%)" "$lpc"
	printf '%-44s %.4f\n' "WaveNet 2×10 layers, 32/32/128 channels" "$wn"
	"$WORK/autoreg" sample --model "$model" --seconds 10 --seed 1 --out "$WORK/gen.wav" 2> "$WORK/stats" > /dev/null
	echo "generation, wall clock (noisy on a loaded machine): $(grep -o '[0-9]* samples/s' "$WORK/stats" | tail -1)"
	exit 0
fi
if [ "$MODE" = dlogistic ]; then
	dir=${DL_MODELS:-$WORK}
	mkdir -p "$dir"
	printf '\n%-10s %9s %11s %13s %13s %9s %8s %s\n' clip samples 'NLL bits' 'NLL bits/smpl' 'coded bits' 'bits/smpl' excess 'round trip'
	for clip in "${CLIPS[@]}"; do
		name=$(basename "$clip" .wav)
		model="$dir/$name-dl.arm"
		if [ ! -f "$dir/$name-dl.best.arm" ]; then
			/usr/bin/time -f '%U %S' -o "$WORK/time" "$WORK/autoreg" train --arch lstm --head dlogistic:5 --grid -32768,1,65536 \
				--data "$clip" --test-split 0.2 --valid-split 0.1 --layers 1 --dim 64 --context 256 --batch 8 \
				--steps "${DL_STEPS:-600}" --out "$model" > /dev/null 2>&1
			echo "# $name: trained in $(awk '{ print $1 + $2 }' "$WORK/time") CPU seconds"
		fi
		model="$dir/$name-dl.best.arm"
		ev=$("$WORK/autoreg" eval --model "$model" --test-split 1 --json "$clip")
		bits=$(echo "$ev" | sed 's/.*"bits":\([0-9.]*\).*/\1/')
		n=$(echo "$ev" | sed 's/.*"points":\([0-9]*\).*/\1/')
		"$WORK/autoreg" compress --model "$model" --force --out "$WORK/x.arz" "$clip" 2> /dev/null
		"$WORK/autoreg" decompress --model "$model" --force --out "$WORK/x.arz.wav" "$WORK/x.arz" 2> /dev/null
		rt=exact
		cmp -s "$WORK/x.arz.wav" "$clip" || rt=DIFFERS
		awk -v c="$name" -v n="$n" -v b="$bits" -v z="$(wc -c < "$WORK/x.arz")" -v rt="$rt" 'BEGIN {
			printf "%-10s %9d %11.0f %13.4f %13d %9.4f %+7.3f%% %s\n", c, n, b, b / n, 8 * z, 8 * z / n, 100 * (8 * z / b - 1), rt
		}'
	done
	exit 0
fi
[ "$MODE" = shared ] || unseen

# cpu CMD...: runs CMD and prints its user + system CPU seconds.
cpu() {
	/usr/bin/time -f '%U %S' -o "$WORK/time" "$@" > /dev/null 2>&1
	awk '{ print $1 + $2 }' "$WORK/time"
}

# same_audio A B: the two WAV files hold the same samples (flac writes its
# own header; autoreg's round trip is checked byte for byte below).
same_audio() {
	cmp -s <(sox "$1" -t raw - 2> /dev/null) <(sox "$2" -t raw - 2> /dev/null)
}

printf '\n%-12s %10s %9s %-22s %11s %9s %11s %11s\n' clip samples seconds coder bytes bits/smpl 'vs wavpack' 'enc / dec ×RT'
for clip in "${CLIPS[@]}"; do
	name=$(basename "$clip" .wav)
	frames=$(soxi -s "$clip")
	chans=$(soxi -c "$clip")
	secs=$(soxi -D "$clip")
	samples=$((frames * chans))
	wv_bytes=0
	report() { # coder bytes enc-cpu dec-cpu
		awk -v n="$name" -v s="$samples" -v d="$secs" -v c="$1" -v b="$2" -v e="$3" -v x="$4" -v w="$wv_bytes" 'BEGIN {
			bps = 8 * b / s
			vs = (w > 0) ? sprintf("%+.2f%%", 100 * (b / w - 1)) : "-"
			# CPU times under 10 ms are below the resolution of /usr/bin/time.
			re = (e >= 0.01) ? sprintf("%6.1f", d / e) : "  fast"
			rx = (x >= 0.01) ? sprintf("%6.1f", d / x) : "  fast"
			printf "%-12s %10d %9.2f %-22s %11d %9.4f %11s %s / %s\n", n, s, d, c, b, bps, vs, re, rx
		}'
	}
	# WavPack first: the others are reported against it.
	e=$(cpu wavpack -hh -x6 -q -y -o "$WORK/x.wv" "$clip")
	x=$(cpu wvunpack -q -y -o "$WORK/x.wv.wav" "$WORK/x.wv")
	same_audio "$WORK/x.wv.wav" "$clip" || echo "# wavpack round trip differs on $name"
	wv_bytes=$(wc -c < "$WORK/x.wv")
	report "wavpack -hh -x6" "$wv_bytes" "$e" "$x"
	e=$(cpu flac -8 --no-padding -f -s -o "$WORK/x.flac" "$clip")
	x=$(cpu flac -d -f -s -o "$WORK/x.flac.wav" "$WORK/x.flac")
	same_audio "$WORK/x.flac.wav" "$clip" || echo "# flac round trip differs on $name"
	report "flac -8" "$(wc -c < "$WORK/x.flac")" "$e" "$x"
	for level in 1 2; do
		e=$(cpu "$WORK/autoreg" compress --level $level --force --out "$WORK/x.arz" "$clip")
		x=$(cpu "$WORK/autoreg" decompress --force --out "$WORK/x.arz.wav" "$WORK/x.arz")
		cmp -s "$WORK/x.arz.wav" "$clip" || { echo "# autoreg round trip differs on $name" >&2; exit 1; }
		report "autoreg --level $level" "$(wc -c < "$WORK/x.arz")" "$e" "$x"
	done
done
