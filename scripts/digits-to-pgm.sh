#!/usr/bin/env bash
# Writes the sklearn 8×8 digits (the shared data's images/digits.csv: 64
# levels 0..16 and a label per row) as a folder data set of plain PGM
# images with maximum 16, one sub-folder per class, in the data README's
# split: the first 1,500 rows in OUT/train, the last 297 in OUT/test.
#
# usage: scripts/digits-to-pgm.sh OUT
set -euo pipefail
out=${1:?usage: scripts/digits-to-pgm.sh OUT}
src=${AUTOREG_SHARED:-$(dirname "$0")/../../shared}/data/images/digits.csv
awk -F, -v out="$out" 'NR > 1 {
	n = NR - 1
	part = (n <= 1500) ? "train" : "test"
	dir = out "/" part "/" $65
	if (!(dir in made)) { system("mkdir -p " dir); made[dir] = 1 }
	f = sprintf("%s/%04d.pgm", dir, n)
	printf "P2\n8 8\n16\n" > f
	for (i = 1; i <= 64; i++) printf "%s%s", $i, (i % 8 == 0 ? "\n" : " ") > f
	close(f)
}' "$src"
echo "wrote $(find "$out/train" -name '*.pgm' | wc -l) training and $(find "$out/test" -name '*.pgm' | wc -l) test images to $out"
