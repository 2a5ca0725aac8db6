#!/usr/bin/env bash
# bench-compress.sh — lmzip against bzip2 -9, xz -9e, zstd -19, gzip -9 and
# (when installed) zpaq -m5,
# measured in the same run on the same inputs.
#
#   scripts/bench-compress.sh            all sections
#   scripts/bench-compress.sh quick      tiny Shakespeare sections only
#   scripts/bench-compress.sh corpus [LEVEL...]
#                                        the corpus table only (below)
#
# Sections:
#   1. tiny Shakespeare, whole file, no prior model: adaptive fast (the
#      default), ngram, mix, lstm, gpt.
#   2. tiny Shakespeare validation part given the training part (first 90%):
#      classic compressors as size(train+valid) − size(train), the adaptive
#      models the same way, and a static order-8 char n-gram trained on the
#      training part.
#   2b. PTB test with a static word 5-gram (lines mode) trained on PTB train:
#      compressed size against the model's cross-entropy from autoreg eval.
#   3. every file of ../shared/data: adaptive ngram round trip.
#   4. a ≥ 100 MB stream (tiny Shakespeare ×96) through a pipe: speed and
#      peak memory of compressor and decompressor, round trip checked.
#   corpus. Files of the kinds a user compresses, gathered from this
#      machine and checked against scripts/compress-corpus.sha256 (text,
#      a tar of Go source, x86-64 and ARM64 executables, manual pages,
#      HTML, CSV tables, a PDF, a zip, WAV and PNG): every anchor (zpaq
#      -m5 and -m4, xz -9e, zstd -19 --long=27, bzip2 -9, brotli -q 11) and
#      the autoreg levels (by default: the default level, fast; ngram, the
#      default before it; balanced and mix), each file's
#      compressed sizes in one row, round trips checked, then each
#      level's compression and decompression speed over the corpus and
#      its peak memory.
# Speeds are wall-clock on a shared 2-core machine: re-run in a quiet period
# and compare side by side. Section 1 runs the `autoreg` CLI; the primed and
# static measurements and the stream run through lmzip/internal/lzbench.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${AUTOREG_SHARED:-../shared}
DATA=$SHARED/data
TS=$DATA/tinyshakespeare/input.txt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/lzbench" ./lmzip/internal/lzbench
go build -o "$WORK/autoreg" ./cmd/autoreg

echo "# machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3)"
echo "# tools: $(bzip2 --version 2>&1 | head -1 | cut -c1-60) | $(xz --version | head -1) | $(zstd --version) | $(gzip --version | head -1)"

# classic CMD FILE: prints "bytes wall-seconds user-seconds" of CMD < FILE
classic() {
	local TIMEFORMAT='%R %U' t n
	t=$( { time $1 < "$2" > "$WORK/out.bin"; } 2>&1 )
	n=$(wc -c < "$WORK/out.bin")
	echo "$n $t"
}
COMPRESSORS=("bzip2 -9" "xz -9e" "zstd -19 -q" "gzip -9")

# zpaq is an archiver: it reads files, not standard input. zpaq FILE prints
# "bytes wall-seconds user-seconds" of its strongest method on one thread.
# Optional: apt-get install -y zpaq.
HAVE_ZPAQ=$(command -v zpaq > /dev/null && echo 1 || echo 0)
zpaq_m5() {
	local TIMEFORMAT='%R %U' t
	rm -rf "$WORK/zq" && mkdir "$WORK/zq" && cp "$1" "$WORK/zq/in"
	t=$( { time (cd "$WORK/zq" && zpaq a out.zpaq in -m5 -t1 -noattributes > /dev/null 2>&1); } 2>&1 )
	echo "$(wc -c < "$WORK/zq/out.zpaq") $t"
}
[ "$HAVE_ZPAQ" = 1 ] && echo "# zpaq: $(zpaq 2>&1 | head -1 | cut -c1-40)"

row() { # label name rawbytes compbytes wall-seconds [user-seconds]
	awk -v l="$1" -v f="$2" -v n="$3" -v c="$4" -v s="$5" -v u="${6:-0}" 'BEGIN {
		sp = (s > 0) ? sprintf("%7.3f MB/s", n / s / 1e6) : "      -     ";
		if (u > 0) sp = sp sprintf(" (%.3f MB/s of CPU time)", n / u / 1e6);
		printf "%-28s %-40s %10d -> %9d  %.4f bits/byte  compress %s\n", l, f, n, c, 8 * c / n, sp }'
}

# corpus DIR gathers the corpus into DIR, one file per kind, every step
# deterministic (tar with fixed order, owners and times; Go builds with
# -trimpath), and checks each file against scripts/compress-corpus.sha256.
# A file that cannot be made here is left out, with a note.
corpus() {
	local d=$1 goroot tooldir modcache
	goroot=$(go env GOROOT)
	tooldir=$(go env GOTOOLDIR)
	modcache=$(go env GOMODCACHE)
	mkdir -p "$d"
	cp "$TS" "$d/shakespeare.txt"
	cp "$DATA/ptb/ptb.valid.txt" "$d/ptb-valid.txt"
	tar -C "$goroot/src" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--format=ustar -cf "$d/go-src-go.tar" go
	head -c 4000000 "$tooldir/compile" > "$d/compile-x86-64"
	(cd "$goroot/src" && GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -o "$d/gofmt-arm64" ./cmd/gofmt)
	dpkg -L coreutils 2> /dev/null | grep '^/usr/share/man/man1/.*\.gz$' | sort | xargs zcat > "$d/coreutils-man1.roff"
	cp "$goroot/doc/go_spec.html" "$d/go_spec.html"
	cp "$DATA/timeseries/births.csv" "$d/births.csv"
	cp "$DATA/images/digits.csv" "$d/digits.csv"
	local pdf=$modcache/codeberg.org/go-pdf/fpdf@v0.11.1/pdf/reference/Fpdf_CellFormat_codepage.pdf
	[ -f "$pdf" ] && cp "$pdf" "$d/fpdf-codepage.pdf"
	cp "$goroot/lib/time/zoneinfo.zip" "$d/zoneinfo.zip"
	cp "$DATA/audio/speech-8k.wav" "$d/speech-8k.wav"
	cp "$DATA/images/photos/grass.png" "$d/grass.png"
	local pins=scripts/compress-corpus.sha256 f want got
	for f in "$d"/*; do
		want=$(awk -v n="${f##*/}" '$2 == n { print $1 }' "$pins")
		got=$(sha256sum < "$f" | cut -d' ' -f1)
		if [ -z "$want" ]; then
			echo "# corpus: ${f##*/} is not pinned in $pins"
		elif [ "$want" != "$got" ]; then
			echo "# corpus: ${f##*/} differs from the pinned file (another Go, Debian or data version): sizes are not comparable"
		fi
	done
	awk '{ print $2 }' "$pins" | while read -r f; do
		[ -f "$d/$f" ] || echo "# corpus: $f could not be made on this machine"
	done
}

# timed CMD...: runs CMD, prints "user-seconds peak-RSS-kB" (GNU time).
timed() {
	/usr/bin/time -f '%U %M' -o "$WORK/time.txt" "$@" > /dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }
	cat "$WORK/time.txt"
}

# corpus_table LEVEL...: the corpus section (see the header).
corpus_table() {
	local d=$WORK/corpus f n c lv
	corpus "$d"
	local levels=("$@")
	[ ${#levels[@]} -gt 0 ] || levels=(default ngram balanced mix)
	local anchors=("zpaq -m5" "zpaq -m4" "xz -9e" "zstd -19 --long=27" "bzip2 -9")
	command -v brotli > /dev/null && anchors+=("brotli -q 11")
	echo
	echo "## corpus: compressed bytes (smallest in bold), every tool on one thread"
	printf '| file | bytes |'
	for c in "${anchors[@]}"; do printf ' `%s` |' "$c"; done
	for lv in "${levels[@]}"; do printf ' autoreg %s |' "$lv"; done
	echo
	printf '|---|---:|'
	for _ in "${anchors[@]}" "${levels[@]}"; do printf -- '---:|'; done
	echo
	: > "$WORK/speed.txt"
	for f in "$d"/*; do
		n=$(wc -c < "$f")
		local sizes=()
		for c in "${anchors[@]}"; do
			case $c in
			zpaq*)
				rm -rf "$WORK/zq" && mkdir "$WORK/zq" && cp "$f" "$WORK/zq/in"
				read -r u m < <(cd "$WORK/zq" && timed zpaq a out.zpaq in ${c#zpaq } -t1 -noattributes)
				sizes+=("$(wc -c < "$WORK/zq/out.zpaq")")
				;;
			*)
				read -r u m < <(timed sh -c "$c < '$f' > '$WORK/out.bin'")
				sizes+=("$(wc -c < "$WORK/out.bin")")
				;;
			esac
			echo "$c|$n|$u|$m|c" >> "$WORK/speed.txt"
		done
		for lv in "${levels[@]}"; do
			local flag=(--adaptive)
			[ "$lv" = default ] || flag=(--adaptive-arch "$lv")
			read -r u m < <(timed "$WORK/autoreg" compress "${flag[@]}" --force --out "$WORK/lv.arz" "$f")
			echo "autoreg $lv|$n|$u|$m|c" >> "$WORK/speed.txt"
			read -r u m < <(timed "$WORK/autoreg" decompress --force --out "$WORK/lv.back" "$WORK/lv.arz")
			echo "autoreg $lv|$n|$u|$m|d" >> "$WORK/speed.txt"
			cmp -s "$f" "$WORK/lv.back" || { echo "ROUND TRIP FAILED ($lv, ${f##*/})"; exit 1; }
			sizes+=("$(wc -c < "$WORK/lv.arz")")
		done
		printf '%s\n' "${sizes[@]}" | awk -v f="${f##*/}" -v n="$n" '
			{ s[NR] = $1; if (NR == 1 || $1 < lo) lo = $1 }
			END { printf "| %s | %d |", f, n; for (i = 1; i <= NR; i++) printf(s[i] == lo ? " **%d** |" : " %d |", s[i]); print "" }'
	done
	echo
	echo "## corpus: speed over all files (user CPU time; a busy machine slows every tool alike only roughly) and peak memory"
	awk -F'|' '{ k = $1 "|" $5; n[k] += $2; u[k] += $3; if ($4 > m[k]) m[k] = $4; if (!(k in o)) { o[k] = ++i; key[i] = k } }
		END {
			z = "zpaq -m5|c"
			for (j = 1; j <= i; j++) { k = key[j]; split(k, p, "|")
				printf "%-28s %-10s %8.3f MB/s  %6.2fx zpaq -m5  peak %6.1f MB\n", p[1], (p[2] == "c" ? "compress" : "decompress"),
					n[k] / u[k] / 1e6, (n[k] / u[k]) / (n[z] / u[z]), m[k] / 1024 } }' "$WORK/speed.txt"
}

if [ "${1:-}" = corpus ]; then
	shift
	corpus_table "$@"
	exit 0
fi

echo
echo "## 1. tiny Shakespeare, whole ($(wc -c < "$TS") bytes), no prior model"
echo "# speeds: wall clock, and input size over user CPU time (steadier on a busy machine)"
for c in "${COMPRESSORS[@]}"; do
	read -r n s u < <(classic "$c" "$TS")
	row "$c" "$TS" "$(wc -c < "$TS")" "$n" "$s" "$u"
done
if [ "$HAVE_ZPAQ" = 1 ]; then
	read -r n s u < <(zpaq_m5 "$TS")
	row "zpaq -m5 -t1" "$TS" "$(wc -c < "$TS")" "$n" "$s" "$u"
fi
for a in fast ngram mix lstm gpt; do
	TIMEFORMAT='%R %U'
	read -r s u < <( { time "$WORK/autoreg" compress --adaptive-arch $a --force --out "$WORK/ts.arz" "$TS" 2> /dev/null; } 2>&1 )
	read -r ds du < <( { time "$WORK/autoreg" decompress --force --out "$WORK/ts.back" "$WORK/ts.arz" 2> /dev/null; } 2>&1 )
	cmp -s "$TS" "$WORK/ts.back" || { echo "ROUND TRIP FAILED ($a)"; exit 1; }
	row "autoreg compress $a" "$TS" "$(wc -c < "$TS")" "$(wc -c < "$WORK/ts.arz")" "$s" "$u"
	awk -v n="$(wc -c < "$TS")" -v s="$ds" -v u="$du" 'BEGIN { printf "%-28s decompress %.3f MB/s (%.3f MB/s of CPU time), round trip OK\n", "", n/s/1e6, n/u/1e6 }'
done
echo
echo "## 2. tiny Shakespeare validation given training (size(train+valid) − size(train))"
python3 - "$TS" "$WORK" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read(); n = int(0.9 * len(d))
open(sys.argv[2] + '/train.txt', 'wb').write(d[:n])
open(sys.argv[2] + '/valid.txt', 'wb').write(d[n:])
open(sys.argv[2] + '/both.txt', 'wb').write(d)
PY
VN=$(wc -c < "$WORK/valid.txt")
for c in "${COMPRESSORS[@]}"; do
	read -r nb _ _ < <(classic "$c" "$WORK/both.txt")
	read -r nt _ _ < <(classic "$c" "$WORK/train.txt")
	row "$c" "valid | train" "$VN" "$((nb - nt))" 0
done
if [ "$HAVE_ZPAQ" = 1 ]; then
	read -r nb _ _ < <(zpaq_m5 "$WORK/both.txt")
	read -r nt _ _ < <(zpaq_m5 "$WORK/train.txt")
	row "zpaq -m5 -t1" "valid | train" "$VN" "$((nb - nt))" 0
fi
"$WORK/lzbench" -arch ngram -prime "$WORK/train.txt" "$WORK/valid.txt"
"$WORK/lzbench" -arch mix -prime "$WORK/train.txt" "$WORK/valid.txt"
"$WORK/lzbench" -arch lstm -prime "$WORK/train.txt" "$WORK/valid.txt"
"$WORK/lzbench" -arch gpt -prime "$WORK/train.txt" "$WORK/valid.txt"
"$WORK/lzbench" -static-order 8 -prime "$WORK/train.txt" -arpa "$WORK/o8.arpa" "$WORK/valid.txt"
echo "autoreg eval of the same model (ARPA) on the validation part (its NLL includes the final </s>):"
"$WORK/autoreg" eval --model "$WORK/o8.arpa" --data "$WORK/valid.txt" | grep -E "NLL|bits"

[ "${1:-}" = quick ] && exit 0

echo
echo "## 2b. PTB test, static word 5-gram (lines mode) trained on PTB train"
"$WORK/autoreg" train --arch ngram --tokenizer word --mode lines --order 5 \
	--data "$DATA/ptb/ptb.train.txt" --out "$WORK/ptb5.arm" > /dev/null 2>&1
"$WORK/autoreg" eval --model "$WORK/ptb5.arm" --data "$DATA/ptb/ptb.test.txt" | grep -E "perplexity|NLL|bits"
TIMEFORMAT='%R %U'
read -r s u < <( { time "$WORK/autoreg" compress --model "$WORK/ptb5.arm" --force --out "$WORK/ptb.arz" "$DATA/ptb/ptb.test.txt" 2> /dev/null; } 2>&1 )
"$WORK/autoreg" decompress --model "$WORK/ptb5.arm" --force --out "$WORK/ptb.back" "$WORK/ptb.arz" 2> /dev/null
cmp -s "$DATA/ptb/ptb.test.txt" "$WORK/ptb.back" || { echo "ROUND TRIP FAILED (PTB static)"; exit 1; }
row "autoreg compress --model" "ptb.test.txt (word KN5)" "$(wc -c < "$DATA/ptb/ptb.test.txt")" "$(wc -c < "$WORK/ptb.arz")" "$s" "$u"
echo "round trip OK"

echo
echo "## 3. every file of $DATA (adaptive ngram; bzip2 -9 and xz -9e for reference)"
find "$DATA" -type f | sort | while read -r f; do
	for c in "bzip2 -9" "xz -9e"; do
		read -r n s u < <(classic "$c" "$f")
		row "$c" "${f#"$DATA"/}" "$(wc -c < "$f")" "$n" "$s" "$u"
	done
	"$WORK/lzbench" -arch ngram "$f"
done

echo
echo "## 4. ≥ 100 MB streamed through a pipe (tiny Shakespeare ×96), adaptive ngram"
big() { for _ in $(seq 96); do cat "$TS"; done; }
BN=$(big | wc -c)
t0=$(date +%s.%N)
big | "$WORK/lzbench" -c -arch ngram 2> "$WORK/c.err" > "$WORK/big.arz"
t1=$(date +%s.%N)
"$WORK/lzbench" -d < "$WORK/big.arz" 2> "$WORK/d.err" | sha256sum > "$WORK/d.sum"
t2=$(date +%s.%N)
big | sha256sum > "$WORK/o.sum"
cmp -s "$WORK/d.sum" "$WORK/o.sum" && ok="round trip OK" || ok="ROUND TRIP FAILED"
CN=$(wc -c < "$WORK/big.arz")
awk -v n="$BN" -v c="$CN" -v a="$t0" -v b="$t1" -v d="$t2" -v ok="$ok" 'BEGIN {
	printf "stream %d -> %d bytes (%.4f bits/byte), compress %.3f MB/s, decompress %.3f MB/s, %s\n", n, c, 8*c/n, n/(b-a)/1e6, n/(d-b)/1e6, ok }'
echo "compressor $(cat "$WORK/c.err"); decompressor $(cat "$WORK/d.err")"
[ "$ok" = "round trip OK" ]
