#!/usr/bin/env bash
# bench-images.sh — lossless image compression: autoreg's image model (fast
# and slow levels) beside optipng -o7, cwebp -lossless -z 9 and
# cjxl -d 0 -e 9, on the same files in the same run, sizes of whole files.
#
#   scripts/bench-images.sh                the development photographs
#                                          (../shared/data/images/photos) and
#                                          Go's image/testdata/video-001.png
#   scripts/bench-images.sh FILE|DIR...    other PNG, PGM or PPM images
#                                          (directories: their *.png *.pgm *.ppm)
#
# Every autoreg round trip is checked pixel for pixel (PIL, from Debian's
# python3-pil), besides the samples' CRC-32C the container holds. Speeds
# are megapixels per second of CPU time (user+sys) at GOMAXPROCS=1, the
# coder being single-threaded: steadier than wall time on a shared
# machine, but other processes still disturb caches; re-run when it is
# quiet. Needs the Debian packages optipng, webp and libjxl-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${AUTOREG_SHARED:-../shared}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for tool in optipng cwebp cjxl; do
	command -v $tool >/dev/null || { echo "$tool not found: apt-get install optipng webp libjxl-tools" >&2; exit 1; }
done
go build -o "$WORK/autoreg" ./cmd/autoreg
files=()
if [ $# -eq 0 ]; then
	files=("$SHARED"/data/images/photos/*.png "$(go env GOROOT)/src/image/testdata/video-001.png")
else
	for a in "$@"; do
		if [ -d "$a" ]; then
			for f in "$a"/*.png "$a"/*.pgm "$a"/*.ppm; do [ -e "$f" ] && files+=("$f"); done
		else
			files+=("$a")
		fi
	done
fi

echo "# machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3)"
echo "# tools: $(optipng --version | head -1) | $(cwebp -version 2>&1 | head -1 | sed 's/^/cwebp /') | $(cjxl --version 2>&1 | head -1)"
echo "# sizes in bytes (fast, slow: autoreg compress --level); speeds in megapixels/s of CPU time, one core"
printf "%-22s %9s %9s %9s %9s %9s %9s %9s %7s %7s %7s %7s %s\n" file pixels original optipng cwebp cjxl fast slow \
	fast-enc fast-dec slow-enc slow-dec pixel-exact

# cpu CMD...: runs CMD, prints its user+sys seconds
cpu() {
	local TIMEFORMAT='%U %S' t
	t=$( { time "$@" > /dev/null 2>&1; } 2>&1 )
	echo "$t" | awk '{print $1 + $2}'
}
# same A B: are the two images the same pixels (and mode)?
same() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from PIL import Image
a, b = Image.open(sys.argv[1]), Image.open(sys.argv[2])
ok = a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes()
if ok and a.mode == "P":
    ok = a.getpalette() == b.getpalette()
print("yes" if ok else "NO")
PY
}
declare -A tot
for f in "${files[@]}"; do
	name=$(basename "$f")
	ext=${name##*.}
	px=$(/usr/bin/python3 -c "from PIL import Image; i = Image.open('$f'); print(i.size[0] * i.size[1])")
	orig=$(wc -c < "$f")
	optipng -quiet -clobber -o7 -out "$WORK/o.png" "$f" 2>/dev/null && opt=$(wc -c < "$WORK/o.png") || opt=-
	cwebp -quiet -lossless -z 9 "$f" -o "$WORK/w.webp" 2>/dev/null && web=$(wc -c < "$WORK/w.webp") || web=-
	cjxl -d 0 -e 9 --quiet "$f" "$WORK/j.jxl" 2>/dev/null && jxl=$(wc -c < "$WORK/j.jxl") || jxl=-
	cp "$f" "$WORK/in.$ext"
	row=()
	exact=yes
	for level in fast slow; do
		te=$(GOMAXPROCS=1 cpu "$WORK/autoreg" compress --force --level $level --out "$WORK/c.arz" "$WORK/in.$ext")
		n=$(wc -c < "$WORK/c.arz")
		td=$(GOMAXPROCS=1 cpu "$WORK/autoreg" decompress --force --out "$WORK/back.$ext" "$WORK/c.arz")
		[ "$(same "$WORK/in.$ext" "$WORK/back.$ext")" = yes ] || exact=NO
		row+=("$n" "$(awk -v p="$px" -v t="$te" 'BEGIN{printf "%.2f", p/1e6/t}')" "$(awk -v p="$px" -v t="$td" 'BEGIN{printf "%.2f", p/1e6/t}')")
	done
	printf "%-22s %9s %9s %9s %9s %9s %9s %9s %7s %7s %7s %7s %s\n" "$name" "$px" "$orig" "$opt" "$web" "$jxl" "${row[0]}" "${row[3]}" \
		"${row[1]}" "${row[2]}" "${row[4]}" "${row[5]}" "$exact"
	for k in orig:$orig opt:$opt web:$web jxl:$jxl fast:${row[0]} slow:${row[3]}; do
		tot[${k%%:*}]=$(( ${tot[${k%%:*}]:-0} + ${k#*:} ))
	done
done
printf "%-22s %9s %9s %9s %9s %9s %9s %9s\n" total "" "${tot[orig]}" "${tot[opt]}" "${tot[web]}" "${tot[jxl]}" "${tot[fast]}" "${tot[slow]}"
