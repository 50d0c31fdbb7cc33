#!/usr/bin/env bash
# Installs the Debian packages the tests run against when they are missing: PostgreSQL (the shop's
# tests start a throwaway cluster) and Chromium's headless shell (the browser tests; see
# test/support/browser.ts, CHROMIUM_PATH picks another binary), plus a CJK font so Korean screenshots
# render. Nothing is downloaded outside Debian's packages.
set -euo pipefail

missing=()
have_initdb() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
have_initdb || missing+=(postgresql)
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
else
  [ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
fi
fc-list 2>/dev/null | grep -qi -e nanum -e 'noto sans cjk' || missing+=(fonts-nanum)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}. Install them (Debian: sudo apt-get install -y ${missing[*]}) and run again." >&2
  exit 1
fi
echo "Installing system packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}"
