#!/usr/bin/env bash
# Prepares everything DistSys Lab needs to build and test, idempotently (a second run takes
# about a second). `./x setup` runs it; `./x serve|build|test` run it first.
#
#   wasm32 target   rustup, with a timeout; if that fails, Debian's rustc-web + rust-web-src
#                   (std rebuilt from source) linked as the rustup toolchain `debweb`
#   trunk           cargo install, pinned version (0.22 needs a newer rustc than ours)
#   wasm-bindgen    wasm-bindgen-cli at exactly the version in Cargo.lock
#   wasm-opt        npm binaryen (Debian's binaryen 108 produces broken modules)
#   browser         Debian chromium + chromium-driver, npm playwright-core for e2e/
#
# Writes .wasm-toolchain.env: source it only for wasm builds (in fallback mode it switches
# cargo to another toolchain). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGET=wasm32-unknown-unknown
RUSTUP_TIMEOUT_S=${RUSTUP_TIMEOUT_S:-90}
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
BINARYEN_DIR=$ROOT/.tools/binaryen-$BINARYEN_VERSION
ENV_FILE=$ROOT/.wasm-toolchain.env
MODE_FILE=$ROOT/.wasm-toolchain.mode
WASM_LD=/usr/lib/llvm-19/bin/wasm-ld
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin

unset RUSTUP_TOOLCHAIN RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER

log() { echo "[setup] $*" >&2; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
deb_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || echo "$p"
  done
}
APT_UPDATED=
apt_install() {
  [[ -n $APT_UPDATED ]] || { log "apt-get update"; as_root apt-get update -qq >&2 || true; APT_UPDATED=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# --- the wasm32 target -------------------------------------------------------------------
mode=
if [[ ${FORCE_FALLBACK:-0} != 1 ]]; then
  if rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    mode=rustup
  elif [[ -f $MODE_FILE && $(cat "$MODE_FILE") == debweb ]]; then
    log "an earlier run fell back to Debian's toolchain; keeping it"
  else
    log "rustup target add $TARGET (timeout ${RUSTUP_TIMEOUT_S}s)"
    if timeout -k 10 "$RUSTUP_TIMEOUT_S" rustup target add "$TARGET" >&2 \
      && rustup target list --installed | grep -qx "$TARGET"; then
      mode=rustup
    else
      log "rustup could not add $TARGET; using the Debian fallback"
    fi
  fi
fi
if [[ $mode != rustup ]]; then
  mode=debweb
  missing=$(deb_missing rustc-web cargo-web rust-web-src lld-19)
  if [[ -n $missing ]]; then
    . /etc/os-release
    log "installing $missing from ${VERSION_CODENAME}-security"
    apt_install -t "${VERSION_CODENAME}-security" rustc-web cargo-web rust-web-src lld-19
  fi
  rustup toolchain list | grep -q '^debweb' || rustup toolchain link debweb /usr >&2
  [[ -x $WASM_LD && -d /usr/lib/rustlib/src/rust/library ]] || { log "fallback incomplete: $WASM_LD or rust-web-src missing"; exit 1; }
fi
echo "$mode" > "$MODE_FILE"

# --- host tools ----------------------------------------------------------------------------
if [[ $("$CARGO_BIN/trunk" --version 2>/dev/null) != "trunk $TRUNK_VERSION" ]]; then
  log "cargo install trunk $TRUNK_VERSION (about 9 minutes the first time)"
  cargo install --locked "trunk@$TRUNK_VERSION" >&2
fi

WBG=$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[[ -n $WBG ]] || { log "no wasm-bindgen in Cargo.lock"; exit 1; }
if [[ $("$CARGO_BIN/wasm-bindgen" --version 2>/dev/null) != "wasm-bindgen $WBG" ]]; then
  log "cargo install wasm-bindgen-cli $WBG"
  if ! cargo install --locked wasm-bindgen-cli --version "=$WBG" >&2; then
    # The crate's own lock can pin a version the registry mirror lacks: re-resolve only the
    # packages cargo names, keep the rest locked.
    log "re-resolving the lock entries the registry lacks"
    crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/wasm-bindgen-cli-"$WBG".crate | head -1)
    work=$(mktemp -d)
    tar -xzf "$crate" -C "$work"
    (
      cd "$work/wasm-bindgen-cli-$WBG"
      for _ in 1 2 3 4 5 6 7 8; do
        cargo metadata --locked --format-version 1 >/dev/null 2>"$work/err" && break
        pkg=$(sed -n 's/.*failed to select a version for the requirement `\([^ `]*\) = .*/\1/p' "$work/err" | head -1)
        [[ -n $pkg ]] || { cat "$work/err" >&2; exit 1; }
        cargo update -p "$pkg" >&2
      done
      cargo install --locked --path . >&2
    )
    rm -rf "$work"
  fi
fi

if [[ $("$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null) != *"(version_${BINARYEN_VERSION%%.*})"* ]]; then
  log "npm install binaryen@$BINARYEN_VERSION"
  mkdir -p "$BINARYEN_DIR"
  npm install --prefix "$BINARYEN_DIR" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION" >&2
fi

# --- the code editor (CodeMirror 6, bundled by esbuild in Trunk's post-build hook) ---------
# Reinstalled whenever its lock file changes.
if ! cmp -s editor/package-lock.json editor/node_modules/.installed-lock.json; then
  log "npm ci in editor/"
  (cd editor && npm ci --no-audit --no-fund --loglevel=error >&2 && cp package-lock.json node_modules/.installed-lock.json)
fi

# --- browser tests -------------------------------------------------------------------------
if [[ ${SKIP_BROWSER:-0} != 1 ]]; then
  missing=$(deb_missing chromium chromium-driver)
  if [[ -n $missing ]]; then
    log "installing $missing"
    apt_install chromium chromium-driver
  fi
  if ! cmp -s e2e/package-lock.json e2e/node_modules/.installed-lock.json; then
    log "npm ci in e2e/"
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error >&2 && cp package-lock.json node_modules/.installed-lock.json)
  fi
fi

# --- the env for wasm builds ---------------------------------------------------------------
{
  echo "# written by tools/setup.sh (mode: $mode); source only for wasm builds"
  echo "export PATH=\"$BINARYEN_DIR/node_modules/.bin:$CARGO_BIN:\$PATH\""
  echo "export TRUNK_TOOLS_WASM_BINDGEN=$WBG"
  echo "export TRUNK_TOOLS_WASM_OPT=version_${BINARYEN_VERSION%%.*}"
  echo "export CHROMEDRIVER=/usr/bin/chromedriver"
  if [[ $mode == rustup ]]; then
    echo "unset RUSTUP_TOOLCHAIN RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER"
  else
    echo "export RUSTUP_TOOLCHAIN=debweb RUSTC_BOOTSTRAP=1"
    echo "export CARGO_UNSTABLE_BUILD_STD=std,panic_abort"
    echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$WASM_LD"
    # Another toolchain: keep its artifacts apart so native builds stay cached.
    echo "export CARGO_TARGET_DIR=$ROOT/target/debweb"
  fi
} > "$ENV_FILE"
if [[ $mode == debweb && ! -f $ROOT/target/debweb/.fetched ]]; then
  # std's own dependencies are fetched only with the build env and the wasm target.
  ( . "$ENV_FILE" && cargo fetch --target "$TARGET" >&2 && mkdir -p "$ROOT/target/debweb" && touch "$ROOT/target/debweb/.fetched" )
fi
log "ready (wasm toolchain: $mode)"
