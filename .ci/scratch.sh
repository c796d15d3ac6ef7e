# Sourced, not run, from the repository's root, by the scripts that build
# Lockstep against a local copy of wasmi in a scratch directory
# (book/ci/test.sh, fuzz/mutants/run.sh): the registry's wasmi crates laid
# out as in wasmi's repository, a copy of this working tree, and a target
# directory seeded with this repository's target/release, so that only
# wasmi's crates and Lockstep are compiled, not wasmtime. The caller
# defines `fail MESSAGE` (print, exit non-zero).

# wasmi's crates: "directory in wasmi's repository:package".
WASMI_CRATES="wasmi:wasmi core:wasmi_core ir:wasmi_ir collections:wasmi_collections"

# The exact wasmi version Lockstep pins (`wasmi = "=V"` in Cargo.toml).
pinned_wasmi() {
    local v
    v=$(sed -n 's/^wasmi = "=\(.*\)"$/\1/p' Cargo.toml)
    [ -n "$v" ] || fail "no wasmi = \"=VERSION\" in Cargo.toml"
    echo "$v"
}

# copy_wasmi VERSION DEST: the registry's wasmi crates at VERSION, as
# DEST/crates/{wasmi,core,ir,collections}, each as published (its
# dependencies on the others by version, from the registry unless a
# [patch.crates-io] takes them from here).
copy_wasmi() {
    local version=$1 dest=$2 registry crate dir name
    registry=$(dirname "$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"wasmi-$version" 2>/dev/null | head -1)")
    mkdir -p "$dest/crates"
    for crate in $WASMI_CRATES; do
        dir=${crate%%:*} name=${crate#*:}
        [ -d "$registry/$name-$version" ] || fail "$name-$version: not in the registry's cache (build Lockstep first)"
        cp -r "$registry/$name-$version" "$dest/crates/$dir"
    done
}

# patch_wasmi DIR: the [patch.crates-io] lines that take every wasmi crate
# from DIR/crates (as copy_wasmi lays them out).
patch_wasmi() {
    local crate
    echo "[patch.crates-io]"
    for crate in $WASMI_CRATES; do
        echo "${crate#*:} = { path = \"$1/crates/${crate%%:*}\" }"
    done
}

# copy_lockstep DEST: this working tree's files, tracked and untracked
# (not ignored), as they are now.
copy_lockstep() {
    mkdir -p "$1"
    git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
        if [ -e "$f" ]; then printf '%s\0' "$f"; fi
    done | xargs -0 cp --parents -a -t "$1"
}

# seed_target SEED TARGET: TARGET/release gets the dependencies built in
# SEED (a target/release directory), if it exists, but none of Lockstep's
# own artefacts: its build script's output names the Cargo.lock it was
# built with (and so the engine versions it reports).
seed_target() {
    local seed=$1 target=$2
    mkdir -p "$target/release/deps"
    [ -d "$seed" ] || return 0
    cp -a --reflink=auto "$seed/build" "$seed/.fingerprint" "$target/release/"
    find "$seed/deps" -maxdepth 1 -name 'lib*' ! -name 'liblockstep-*' \
        -exec cp -a --reflink=auto -t "$target/release/deps" {} +
    rm -rf "$target"/release/build/lockstep-* "$target"/release/.fingerprint/lockstep-[0-9a-f]*
}
