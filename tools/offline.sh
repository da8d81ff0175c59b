#!/usr/bin/env sh
# Trunk's last post-build hook (release builds only): writes sw.js, the service worker that
# precaches every file of the build, into $TRUNK_STAGING_DIR. Its version is a hash of the
# files' hashes, so any change to the build makes a new cache. A debug build (`./x serve`) gets
# none, so live reload is never served from a cache.
set -eu
cd "$(dirname "$0")/.."
out=${TRUNK_STAGING_DIR:?run by Trunk as a hook}
if [ "${TRUNK_PROFILE:-release}" != "release" ]; then
  rm -f "$out/sw.js"
  exit 0
fi
files=$(cd "$out" && find . -type f ! -name sw.js | sed 's|^\./||' | LC_ALL=C sort)
version=$(cd "$out" && printf '%s\n' "$files" | xargs sha256sum | sha256sum | cut -c1-16)
list=$(printf '%s\n' "$files" | sed 's|.*|"./&"|' | paste -sd, -)
sed -e "s|__VERSION__|$version|" -e "s|__FILES__|[$list]|" tools/sw.js > "$out/sw.js"
