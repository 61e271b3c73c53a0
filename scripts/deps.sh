#!/usr/bin/env bash
# Install the Debian packages Tongxin needs to build and test, if any are missing.
# Runs apt-get as root (directly, or through sudo when available).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libssl-dev libsqlite3-dev sqlite3
      libevent-dev libprotobuf-c-dev protobuf-c-compiler
      clang libclang-rt-14-dev)   # libFuzzer and the sanitizers' runtimes (scripts/fuzz.sh)
pkgs+=(curl)   # the web desk's HTTP tests (tests/it_web_http.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps: missing packages (${missing[*]}) and not root; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
