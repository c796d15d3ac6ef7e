#!/usr/bin/env bash
# Tests the chapter "Lockstep in your CI" (book/src/ci.md): runs every `run:`
# step of book/ci/lockstep.yml, as GitHub Actions would, in a checkout of
# "wasmi" made from the registry's wasmi 2.0.0 crates laid out as wasmi's
# repository (crates/wasmi, crates/core, crates/ir, crates/collections, with
# path dependencies between them), at another version (2.0.1-dev) and with a
# bug planted (123456789 + 1 is 0) so that the engine Lockstep compares can
# be told apart from the registry's; book/ci/tests/lockstep/ plays the
# repository's own scenarios. It checks that
#   - without the change of version requirement, the patch is not used;
#   - the build step takes wasmi from the checkout (`lockstep --version`);
#   - the corpus and official suite pass, the repository's scenarios fail on
#     the planted bug alone (its known.txt excuses the other divergence),
#     and the campaign passes;
#   - once Lockstep's clone is gone, `wast` and `fuzz` run without its known
#     findings, and say so.
# It fails if the patch is not applied (the planted bug would not show).
#
# Builds in a temporary target directory seeded with a copy of this
# repository's target/release (built by the main job), so that only wasmi's
# crates and Lockstep are compiled, not wasmtime. KEEP=1 keeps the
# temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
source .ci/scratch.sh
start=$SECONDS

tmp=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$tmp"' EXIT; else echo "book/ci/test.sh: keeping $tmp"; fi
fail() {
    echo "book/ci/test.sh: FAIL: $*" >&2
    exit 1
}
command -v jq >/dev/null || fail "jq not found (the workflow's build step uses it)"

# --- The engine's checkout: the registry's wasmi crates, at a dev version.
pinned=$(pinned_wasmi)
dev=2.0.1-dev
ws=$tmp/ws
copy_wasmi "$pinned" "$ws"
for crate in $WASMI_CRATES; do
    dir=${crate%%:*}
    # The package's version, and each dependency on a sibling crate: a path
    # (as in wasmi's repository) and this version.
    sed -i -e "0,/^version = \"$pinned\"/s//version = \"$dev\"/" \
        -e '/^\[dependencies\.wasmi_\(core\|ir\|collections\)\]$/{p;s/.*wasmi_\([a-z]*\)\]/path = "..\/\1"/}' \
        "$ws/crates/$dir/Cargo.toml"
    sed -i "/^path = \"\.\.\//{n;s/^version = \"$pinned\"/version = \"=$dev\"/}" "$ws/crates/$dir/Cargo.toml"
done
add='    fn i32_add(lhs: i32, rhs: i32) -> i32 = i32::wrapping_add;'
grep -qxF "$add" "$ws/crates/core/src/wasm.rs" || fail "wasmi_core's i32_add is not where the planted bug goes"
sed -i "s/^$add\$/    fn i32_add(lhs: i32, rhs: i32) -> i32 = |l: i32, r: i32| if (l, r) == (123456789, 1) { 0 } else { l.wrapping_add(r) };/" \
    "$ws/crates/core/src/wasm.rs"
mkdir -p "$ws/tests"
cp -r book/ci/tests/lockstep "$ws/tests/"

# --- Lockstep's checkout, inside it: this working tree's files.
copy_lockstep "$ws/lockstep"

# --- The build's target directory, and where `cargo install` puts lockstep.
seed=${CARGO_TARGET_DIR:-$repo/target}/release
export CARGO_TARGET_DIR=$tmp/target CARGO_INSTALL_ROOT=$tmp/cargo CARGO_NET_OFFLINE=true
export PATH=$tmp/cargo/bin:$PATH
seed_target "$seed" "$CARGO_TARGET_DIR"
echo "book/ci/test.sh: checkouts and target directory ready ($((SECONDS - start)) s)"

# --- The version requirement matters: a patch at another version is unused.
cp -r "$ws/lockstep" "$ws/lockstep-unchanged"
printf '[patch.crates-io]\nwasmi = { path = "../crates/wasmi" }\nwasmi_core = { path = "../crates/core" }\n' \
    >>"$ws/lockstep-unchanged/Cargo.toml"
(cd "$ws/lockstep-unchanged" && cargo tree -i wasmi 2>&1) >"$tmp/unchanged.log" || fail "cargo tree: $(cat "$tmp/unchanged.log")"
grep -qF "patch \`wasmi v$dev (" "$tmp/unchanged.log" && grep -qF "was not used in the crate graph" "$tmp/unchanged.log" &&
    grep -qx "wasmi v$pinned" "$tmp/unchanged.log" || fail "a patch at $dev was used without its requirement: $(cat "$tmp/unchanged.log")"
rm -rf "$ws/lockstep-unchanged"

# --- The workflow's `run:` steps, each with its name and working directory.
steps=$tmp/steps
mkdir -p "$steps"
awk -v out="$steps" '
function flush() {
    if (run != "") {
        n++
        f = sprintf("%s/%02d.sh", out, n)
        printf "cd %s\n%s", (wd == "" ? "." : wd), run > f
        close(f)
        print f "\t" name > (out "/list")
    }
    name = ""; wd = ""; run = ""; block = 0
}
/^      - / { flush(); sub(/^      - /, "        ") }
block && (/^          / || /^$/) { run = run substr($0, 11) "\n"; next }
{ block = 0 }
/^        name: / { name = substr($0, 15) }
/^        working-directory: / { wd = substr($0, 28) }
/^        run: \|$/ { block = 1; next }
/^        run: / { run = substr($0, 14) "\n" }
END { flush() }
' book/ci/lockstep.yml

declare -A status
while IFS=$'\t' read -r file name; do
    t=$SECONDS
    set +e
    (cd "$ws" && bash --noprofile --norc -eo pipefail "$file") >"$tmp/$name.log" 2>&1
    status[$name]=$?
    set -e
    echo "book/ci/test.sh: step \"$name\": exit ${status[$name]} ($((SECONDS - t)) s)"
done <"$steps/list"

expect() { # NAME STATUS
    [ "${status[$1]-none}" = "$2" ] || fail "step \"$1\": exit ${status[$1]-(not run)}, expected $2: $(tail -40 "$tmp/$1.log" 2>/dev/null)"
}
build="Build Lockstep with this checkout of wasmi"
expect "$build" 0
grep -qF "wasmi $dev (a local path)" "$tmp/$build.log" || fail "lockstep --version does not show wasmi $dev (a local path)"
expect "Lockstep's corpus and the official suite" 0
# The repository's scenarios: the planted bug fails counter.wast, and
# nothing else fails (select-fused.wast is excused by its known.txt).
ours="This repository's scenarios"
expect "$ours" 1
junit=$ws/lockstep-ours.xml
grep -qF '<testsuites name="lockstep" tests="2" failures="1"' "$junit" || fail "$junit: not 2 scripts with 1 failure: $(head -3 "$junit")"
grep -A1 'name="counter.wast"' "$junit" | grep -qF '<failure' || fail "$junit: counter.wast did not fail"
grep -qF 'global:#0.0:value' "$tmp/$ours.log" || fail "the planted bug did not show in counter.wast's global"
grep -q '^KNOWN tests/lockstep/select-fused.wast:' "$tmp/$ours.log" || fail "select-fused.wast was not excused by tests/lockstep/known.txt"
expect "A campaign" 0
grep -qF '"status": "finished"' "$ws/lockstep-findings/summary.json" || fail "the campaign's summary.json does not say finished"

# --- An installed lockstep whose clone is gone.
mv "$ws/lockstep" "$tmp/lockstep-moved"
(cd "$ws" && lockstep wast --quiet spec:wasm-v2/address.wast) >"$tmp/gone-wast.log" 2>&1 ||
    fail "lockstep wast without its clone: $(cat "$tmp/gone-wast.log")"
grep -qF "no known findings file" "$tmp/gone-wast.log" ||
    fail "lockstep wast without its clone does not say it has no known findings: $(cat "$tmp/gone-wast.log")"
(cd "$ws" && lockstep fuzz --cases 1 --engines model,model --out "$tmp/gone-fuzz") >"$tmp/gone-fuzz.log" 2>&1 ||
    fail "lockstep fuzz without its clone: $(cat "$tmp/gone-fuzz.log")"

echo "book/ci/test.sh: the CI recipe works ($((SECONDS - start)) s)"
