#!/usr/bin/env sh
# Trunk's post-build hook: writes each chapter's body to $TRUNK_STAGING_DIR/chapters/ (the files
# the app fetches when a chapter opens). The content compiler runs natively, so the wasm
# toolchain's environment (which `./x` sets for Trunk) is cleared for it.
set -eu
cd "$(dirname "$0")/.."
out=${TRUNK_STAGING_DIR:?run by Trunk as a hook}
exec env -u RUSTUP_TOOLCHAIN -u RUSTC_BOOTSTRAP -u CARGO_UNSTABLE_BUILD_STD -u CARGO_TARGET_DIR \
  -u CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER -u CARGO_BUILD_TARGET -u RUSTFLAGS \
  cargo run --quiet --locked -p contentc --bin contentc -- content "$out"
