#!/usr/bin/env bash
# Builds the book into book/book/ with the pinned mdbook, and fails on what
# mdbook only logs: an {{#include}} it could not read, or any other error or
# warning. Then checks every relative link of the rendered pages. (Anchors,
# #fragments and SUMMARY.md are checked at the source by
# `cargo test -p lockstep --test book`.)
set -euo pipefail
# Where `cargo install` puts binaries, in case it is not on PATH yet.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$(dirname "$0")/.."

bash book/install.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
mdbook build book 2>&1 | tee "$log"
if grep -E '(^|[[:space:]])(ERROR|WARN)[[:space:]]' "$log" >/dev/null; then
    echo "book/build.sh: mdbook reported errors or warnings (above)" >&2
    exit 1
fi

# Every relative href and src of every page must name a file of the book.
broken=0
while IFS= read -r page; do
    dir=$(dirname "$page")
    while IFS= read -r target; do
        case "$target" in
            http://* | https://* | mailto:* | '#'* | javascript:* | data:*) continue ;;
        esac
        file=${target%%#*}
        file=${file%%\?*}
        [ -z "$file" ] && continue
        if [ ! -e "$dir/$file" ]; then
            echo "book/build.sh: ${page#book/book/}: broken link $target" >&2
            broken=1
        fi
    done < <(grep -oE '(href|src)="[^"]*"' "$page" | sed -E 's/^(href|src)="//; s/"$//')
done < <(find book/book -name '*.html')
if [ "$broken" -ne 0 ]; then
    exit 1
fi
echo "book/build.sh: book/book/index.html built; links checked"
