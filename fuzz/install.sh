#!/usr/bin/env bash
# Installs the pinned cargo-fuzz, unless that exact version is already on
# PATH. Works with the stable toolchain when targets are built with
# `--sanitizer none` (see fuzz/README.md); libFuzzer itself is compiled by
# libfuzzer-sys with the machine's C++ compiler (g++ here).
set -euo pipefail
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

CARGO_FUZZ_VERSION=0.13.2

if [ "$(cargo fuzz --version 2>/dev/null || true)" = "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    exit 0
fi
echo "fuzz/install.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION (a minute or two)" >&2
cargo install --locked --version "=$CARGO_FUZZ_VERSION" cargo-fuzz
