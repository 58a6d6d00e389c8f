#!/usr/bin/env bash
# Builds the two Native AOT executables for each RID given, the tunnel artifacts/<rid>/udp-over-tcp and
# the bench artifacts/<rid>/udp-over-tcp-bench, and packages them as
# artifacts/udp-over-tcp-<version>-<rid>.tar.gz (both binaries, LICENSE-MIT, LICENSE-APACHE, README.md
# in a folder udp-over-tcp-<version>-<rid>/), then writes artifacts/SHA256SUMS over every archive present.
#
# Usage: ./publish.sh                 this host's RID only (what CI and the README's first command use)
#        ./publish.sh RID...          e.g. ./publish.sh linux-arm64 linux-musl-x64
#        ./publish.sh --all           linux-x64, linux-arm64 and linux-musl-x64 (from a Linux host)
#        PUBLISH_EXTRA_ARGS='-p:SizeBudgetBytes=1000' ./publish.sh
#                                     passes extra arguments (split on spaces) to each `dotnet publish`
#
# The tunnel must stay under its size budget, SizeBudgetBytes in src/UdpOverTcp/UdpOverTcp.csproj:
# `dotnet publish` fails over it (the CheckSizeBudget target there), with one line naming the file,
# its size and the budget, and so does this script, before packaging.
#
# The version comes from one place: <Version> in Directory.Build.props.
#
# Native AOT compiles for the host OS only, but on Linux it can target another architecture or libc
# with clang, lld and the target's C runtime. On a Debian/Ubuntu host this script installs what a
# cross build needs with apt-get, only when it is missing (as root, or through sudo):
#
#   linux-arm64 on an x64 host (and linux-x64 on an arm64 host, the same way):
#     clang                      the C compiler driver Native AOT links with; --target=aarch64-linux-gnu
#                                (any clang-NN already on PATH is used instead, so the host's own
#                                builds, which pick `clang` or else gcc, are not changed by this script)
#     lld (lld-NN for clang-NN)  a linker that links any architecture (-fuse-ld=lld)
#     gcc-aarch64-linux-gnu      the target's crtbegin*.o and libgcc, where clang finds them
#                                (/usr/lib/gcc-cross/aarch64-linux-gnu), and aarch64-linux-gnu-objcopy,
#                                which strips the symbols (StripSymbols)
#     libc6-dev-arm64-cross      the target's glibc: crt1.o, libc, libm (/usr/aarch64-linux-gnu); the
#                                binary runs on any arm64 glibc >= the one it was linked against
#   linux-musl-x64 on an x64 glibc host:
#     clang, lld                 as above; --target=x86_64-linux-musl
#     musl-tools                 brings musl-dev: musl's crt*.o and libc.a (/usr/lib/x86_64-linux-musl).
#                                The script lays out a sysroot from them in artifacts/.sysroot/ and links
#                                a static executable (StaticExecutable=true, static-pie): it needs no libc
#                                and no loader on the target, e.g. FROM scratch. A static binary cannot
#                                load OpenSSL, so --secret-file (HMAC) is refused at start in that build.
#
# Nothing is installed for a build of the host's own RID: it links with the host's clang or gcc.
set -euo pipefail
cd "$(dirname "$0")"

ALL_RIDS=(linux-x64 linux-arm64 linux-musl-x64)
read -r -a user_args <<< "${PUBLISH_EXTRA_ARGS:-}"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

rids=()
for arg in "$@"; do
  case "$arg" in
    --all) rids+=("${ALL_RIDS[@]}") ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "publish.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) rids+=("$arg") ;;
  esac
done

# The host's RID as the SDK names it (linux-x64, linux-arm64, linux-musl-x64, osx-arm64, ...).
host_rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
if [ ${#rids[@]} -eq 0 ]; then
  rids=("$host_rid")
fi

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
if [ -z "$version" ]; then
  echo "publish.sh: no <Version> in Directory.Build.props" >&2
  exit 1
fi

# ---- toolchain -------------------------------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "publish.sh: need root to run: $*" >&2; return 1
  fi
}

apt_updated=0
# Installs the Debian packages given that are not installed yet.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "publish.sh: this cross build needs these Debian/Ubuntu packages (or your distribution's equivalent): ${missing[*]}" >&2
    return 1
  fi
  echo "publish.sh: installing ${missing[*]}"
  # The package lists are refreshed once, and only when they are missing (a fresh machine) or too old
  # for the install to succeed.
  if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# Sets CLANG to a clang driver on PATH (`clang`, else the newest `clang-NN`), installing `clang` if
# there is none, and makes sure that clang finds lld.
clang_and_lld() {
  CLANG=$(command -v clang || true)
  if [ -z "$CLANG" ]; then
    CLANG=$(compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n 1 || true)
  fi
  if [ -z "$CLANG" ]; then
    ensure_packages clang || return 1
    CLANG=clang
  fi
  if ! "$CLANG" -fuse-ld=lld -Wl,--version >/dev/null 2>&1; then
    local v=${CLANG##*clang-}
    if [[ "$v" =~ ^[0-9]+$ ]]; then ensure_packages "lld-$v" || return 1; else ensure_packages lld || return 1; fi
  fi
}

# Sets EXTRA to the extra `dotnet publish` arguments that build $1 on this host, installing what
# that needs.
cross_args() {
  local rid=$1
  EXTRA=()
  if [ "$rid" = "$host_rid" ]; then
    return 0
  fi
  case "$host_rid:$rid" in
    linux-x64:linux-arm64 | linux-arm64:linux-x64)
      local triple deb
      if [ "$rid" = linux-arm64 ]; then triple=aarch64-linux-gnu deb=arm64; else triple=x86_64-linux-gnu deb=amd64; fi
      clang_and_lld || return 1
      ensure_packages "gcc-$triple" "libc6-dev-$deb-cross" || return 1
      # clang --target=$triple finds /usr/lib/gcc-cross/$triple and /usr/$triple by itself (no SysRoot).
      EXTRA=(-p:CppCompilerAndLinker="$CLANG" -p:LinkerFlavor=lld -p:ObjCopyName="$triple-objcopy")
      ;;
    linux-x64:linux-musl-x64)
      clang_and_lld || return 1
      ensure_packages musl-tools || return 1
      # A sysroot in the layout clang expects, made of musl's files; crtbegin/libgcc come from the
      # host's gcc, which clang finds by itself.
      local sysroot=$PWD/artifacts/.sysroot/linux-musl-x64
      rm -rf "$sysroot" && mkdir -p "$sysroot/usr" || return 1
      ln -s /usr/lib/x86_64-linux-musl "$sysroot/usr/lib" || return 1
      ln -s /usr/include/x86_64-linux-musl "$sysroot/usr/include" || return 1
      EXTRA=(-p:CppCompilerAndLinker="$CLANG" -p:LinkerFlavor=lld -p:SysRoot="$sysroot" -p:StaticExecutable=true)
      ;;
    linux-musl-x64:*|*:linux-musl-x64)
      echo "publish.sh: $rid from $host_rid is not supported by this script; build it on a linux-x64 (glibc) host" >&2
      return 1
      ;;
    *)
      echo "publish.sh: Native AOT cannot build $rid on $host_rid (it compiles for the host's OS only:" \
        "build win-* and osx-* with publish.ps1 on Windows or macOS)" >&2
      return 1
      ;;
  esac
}

# ---- build and package -----------------------------------------------------------------------

sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

package() {
  local rid=$1 name="udp-over-tcp-$version-$1"
  local stage
  stage=$(mktemp -d)
  mkdir "$stage/$name"
  cp "artifacts/$rid/udp-over-tcp" "artifacts/$rid/udp-over-tcp-bench" LICENSE-MIT LICENSE-APACHE README.md "$stage/$name/"
  chmod 755 "$stage/$name/udp-over-tcp" "$stage/$name/udp-over-tcp-bench"
  chmod 644 "$stage/$name/LICENSE-MIT" "$stage/$name/LICENSE-APACHE" "$stage/$name/README.md"
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    # Same inputs, same archive: fixed owner, order and time (the last commit's).
    local mtime
    mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -cf - "$name" | gzip -9n > "artifacts/$name.tar.gz"
  else
    tar -C "$stage" -cf - "$name" | gzip -9n > "artifacts/$name.tar.gz"
  fi
  rm -rf "$stage"
  echo "packaged artifacts/$name.tar.gz"
}

write_sums() {
  (
    cd artifacts
    shopt -s nullglob
    local archives=(udp-over-tcp-*.tar.gz udp-over-tcp-*.zip)
    if [ ${#archives[@]} -gt 0 ]; then
      sha256 "${archives[@]}" > SHA256SUMS
      echo "artifacts/SHA256SUMS:" && sed 's/^/  /' SHA256SUMS
    fi
  )
}

failed=()
for rid in "${rids[@]}"; do
  start=$SECONDS
  echo "publishing $rid -> artifacts/$rid/ (udp-over-tcp $version)"
  if ! cross_args "$rid"; then
    failed+=("$rid")
    continue
  fi
  # Both executables into one folder: the tunnel, then the bench (which starts the tunnel beside it).
  ok=1
  for project in src/UdpOverTcp/UdpOverTcp.csproj src/UdpOverTcp.Bench/UdpOverTcp.Bench.csproj; do
    if ! dotnet publish "$project" -c Release -r "$rid" -o "artifacts/$rid" \
        -p:DebugType=none -p:DebugSymbols=false ${EXTRA[@]+"${EXTRA[@]}"} ${user_args[@]+"${user_args[@]}"} -nologo; then
      ok=0
      break
    fi
  done
  if [ "$ok" -eq 0 ]; then
    failed+=("$rid")
    continue
  fi
  ls -l "artifacts/$rid/udp-over-tcp" "artifacts/$rid/udp-over-tcp-bench"
  if [ "$rid" = "$host_rid" ]; then
    for program in udp-over-tcp udp-over-tcp-bench; do
      shown=$("artifacts/$rid/$program" --version)
      if [ "$shown" != "$program $version" ]; then
        echo "publish.sh: $program says '$shown', Directory.Build.props says $version" >&2
        ok=0
      fi
    done
    if [ "$ok" -eq 0 ]; then
      failed+=("$rid")
      continue
    fi
  fi
  package "$rid"
  echo "$rid took $((SECONDS - start)) s"
done

write_sums
if [ ${#failed[@]} -gt 0 ]; then
  echo "publish.sh: failed: ${failed[*]}" >&2
  exit 1
fi
