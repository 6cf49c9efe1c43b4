#!/bin/sh
# The clean-document corpus of `npm run measure:office`: the Office files in the source
# packages (test data and documentation) of Debian 12, fetched with apt-get source and
# labelled by label.py (olefile and zipfile, independent of sekisho's parsers).
#
#   bench/office-corpus/fetch.sh DIR        then   OFFICE_CORPUS=DIR npm run measure:office
#
# Needs python3-olefile (apt-get install python3-olefile). The system's APT sources are
# left alone: a deb-src list of its own lives under DIR/apt. About 700 MB are downloaded
# (LibreOffice's source alone is 576 MB); files already in DIR/src are not fetched again.
set -eu
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES="libreoffice libapache-poi-java pandoc gnumeric calligra antiword"

mkdir -p "$DIR/apt/lists/partial" "$DIR/apt/parts" "$DIR/src" "$DIR/files"
cat > "$DIR/apt/parts/deb-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > "$DIR/apt/apt.conf" <<CONF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$DIR/apt/parts";
Dir::State::Lists "$DIR/apt/lists";
CONF
export APT_CONFIG="$DIR/apt/apt.conf"
apt-get update >/dev/null

for p in $PACKAGES; do
  mkdir -p "$DIR/src/$p" "$DIR/files/$p"
  (cd "$DIR/src/$p" && apt-get source --download-only "$p" >/dev/null)
  for t in "$DIR/src/$p"/*.orig.tar.*; do
    case "$t" in *.asc|*helpcontent*|*translations*) continue ;; esac
    tar -xf "$t" -C "$DIR/files/$p" --wildcards \
      '*.[dD][oO][cC]' '*.[dD][oO][cC][xX]' '*.[dD][oO][tT]' '*.[dD][oO][tT][xX]' \
      '*.[xX][lL][sS]' '*.[xX][lL][sS][xX]' '*.[xX][lL][tT]' '*.[xX][lL][tT][xX]' \
      '*.[pP][pP][tT]' '*.[pP][pP][tT][xX]' '*.[pP][oO][tT]' '*.[pP][oO][tT][xX]' '*.[rR][tT][fF]' 2>/dev/null || true
  done
done

cd "$DIR"
find files -type f | LC_ALL=C sort > files.txt
tr '\n' '\0' < files.txt | xargs -0 /usr/bin/python3 "$HERE/label.py" > labels.tsv
cut -f3 labels.tsv | sort | uniq -c
