#!/usr/bin/env bash
# Installs the pinned mdbook, unless that exact version is already on PATH.
#
# mdbook is built from crates.io with its own lockfile (--locked), with the
# `search` feature only: `serve` and `watch` (a web server and a file
# watcher, with tokio, axum and notify) are not needed to build the book.
# It took 3m15s on this project's 2-core machine. Links are checked by
# book/build.sh and `cargo test -p lockstep --test book`, not by
# mdbook-linkcheck, whose last release (0.7.7) is built on the mdbook 0.4
# library and its renderer protocol, which mdbook 0.5 changed.
set -euo pipefail
# Where `cargo install` puts binaries, in case it is not on PATH yet.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

MDBOOK_VERSION=0.5.4

if [ "$(mdbook --version 2>/dev/null || true)" = "mdbook v$MDBOOK_VERSION" ]; then
    exit 0
fi
echo "book/install.sh: installing mdbook $MDBOOK_VERSION (a few minutes)" >&2
cargo install --locked --version "=$MDBOOK_VERSION" --no-default-features --features search mdbook
