#!/usr/bin/env bash
# Installs the aims binary into $AIMS_INSTALL_DIR, for the GitHub Action
# (action.yml) and anyone who wants a release binary.
#
#   AIMS_VERSION       a release tag (v0.1.0); a major alias (v1, v1.2) takes
#                      AIMS_PINNED; anything else (a branch, a commit) builds
#                      the source in AIMS_SOURCE with `cargo install --locked`
#   AIMS_PINNED        the release this copy of the action was made for
#   AIMS_REPOSITORY    owner/name on GitHub, where releases are downloaded from
#   AIMS_SOURCE        the aims source tree (the action's own checkout)
#   AIMS_INSTALL_DIR   where the binary goes
#   AIMS_RELEASE_BASE  download base [https://github.com/$AIMS_REPOSITORY/releases/download]
#   AIMS_TARGET        override the detected target triple
#
# A release asset is verified against the release's SHA256SUMS before it is
# installed; a mismatch installs nothing and exits 1.
set -euo pipefail

die() {
    echo "install-aims: $*" >&2
    exit 1
}

version=${AIMS_VERSION:?set AIMS_VERSION}
install_dir=${AIMS_INSTALL_DIR:?set AIMS_INSTALL_DIR}

target() {
    if [ -n "${AIMS_TARGET:-}" ]; then
        echo "$AIMS_TARGET"
        return
    fi
    local os arch
    os=$(uname -s)
    arch=$(uname -m)
    case "$arch" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) die "no release binary for the $arch architecture; give a commit as version to build from source" ;;
    esac
    case "$os" in
        Linux) echo "$arch-unknown-linux-musl" ;;
        Darwin) echo "$arch-apple-darwin" ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT) echo "x86_64-pc-windows-msvc" ;;
        *) die "no release binary for $os; give a commit as version to build from source" ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

fetch() {
    # curl takes file:// URLs too (tests use a local release directory).
    curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ||
        die "cannot download $1"
}

from_source() {
    local source=${AIMS_SOURCE:?set AIMS_SOURCE to build $version from source}
    command -v cargo >/dev/null 2>&1 || die "building $version from source needs cargo (e.g. dtolnay/rust-toolchain)"
    local root
    root=$(mktemp -d)
    cargo install --locked --path "$source" --root "$root"
    mkdir -p "$install_dir"
    cp "$root/bin/"aims* "$install_dir/"
    echo "install-aims: built aims from source ($version) into $install_dir"
}

release=""
if [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    release=$version
elif [[ "$version" =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
    pinned=${AIMS_PINNED:?set AIMS_PINNED for a major version alias}
    case "$pinned" in
        "$version".*) release=$pinned ;;
        *) die "version $version does not match the pinned release $pinned" ;;
    esac
fi
if [ -z "$release" ]; then
    from_source
    exit 0
fi

triple=$(target)
case "$triple" in
    *windows*) asset="aims-$release-$triple.zip" ;;
    *) asset="aims-$release-$triple.tar.gz" ;;
esac
base=${AIMS_RELEASE_BASE:-https://github.com/${AIMS_REPOSITORY:?set AIMS_REPOSITORY}/releases/download}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch "$base/$release/SHA256SUMS" "$work/SHA256SUMS"
fetch "$base/$release/$asset" "$work/$asset"
expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS of $release lists no $asset"
actual=$(sha256 "$work/$asset")
[ "$expected" = "$actual" ] || die "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing installed"
mkdir -p "$work/unpacked" "$install_dir"
case "$asset" in
    *.zip) unzip -q "$work/$asset" -d "$work/unpacked" ;;
    *) tar -xzf "$work/$asset" -C "$work/unpacked" ;;
esac
binary=$(find "$work/unpacked" -type f \( -name aims -o -name aims.exe \) | head -n 1)
[ -n "$binary" ] || die "$asset holds no aims binary"
cp "$binary" "$install_dir/"
chmod +x "$install_dir/$(basename "$binary")"
echo "install-aims: installed $asset ($actual) into $install_dir"
