#!/usr/bin/env sh
# Trunk's post-build hook: bundles the challenge editor (CodeMirror 6 and its Rhai mode, from
# editor/) into $TRUNK_STAGING_DIR/editor.js, which the app loads the first time a page shows
# a challenge. `./x setup` installs editor/node_modules.
set -eu
cd "$(dirname "$0")/../editor"
out=${TRUNK_STAGING_DIR:?run by Trunk as a hook}
exec ./node_modules/.bin/esbuild src/editor.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$out/editor.js"
