#!/usr/bin/env bash
# Install the Debian packages Tongxin needs to build and test, if any are missing.
# Runs apt-get as root (directly, or through sudo when available).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libssl-dev libsqlite3-dev sqlite3 mandoc tzdata
      libevent-dev libprotobuf-c-dev protobuf-c-compiler libsystemd-dev
      debhelper dpkg-dev lintian
      clang libclang-rt-14-dev)   # libFuzzer and the sanitizers' runtimes (scripts/fuzz.sh)
pkgs+=(curl chromium fonts-noto-cjk)   # the web desk's tests (tests/it_web_*.sh)
# The PostgreSQL store (issue 13): libpq for tongxind, and the server programs
# for the tests, which start a private cluster of their own (tests/pg.sh); the
# packaged cluster is never used.
pkgs+=(libpq-dev postgresql)
# The browser tests' npm packages (puppeteer-core, pinned by tests/web/package-lock.json).
web_test_deps() {
  local web
  web="$(cd "$(dirname "$0")/.." && pwd)/tests/web"
  [ -d "$web/node_modules/puppeteer-core" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "deps: npm is missing; the browser tests (tests/it_web_browser.sh) need Node.js 18+ and npm" >&2
    return 0
  fi
  echo "deps: npm ci in tests/web" >&2
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "deps: npm ci in tests/web failed; the browser tests will fail until it succeeds" >&2
}
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { web_test_deps; exit 0; }
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
web_test_deps
