#!/usr/bin/env bash
# Install the Debian packages Dadkhah needs when run as root; otherwise say what is missing.
# Usage: scripts/system-deps.sh [base|venv|test|ci]
#   base: what `make demo` needs    venv: Debian's venv module, when `python3 -m venv` fails
#   test: + the browser for UI tests and Java for Spark (linkage)
#   ci: + PostgreSQL 15 and Redis (the production smoke test, tests/deploy)
set -euo pipefail
profile=${1:-base}

base=(libmagic1 tesseract-ocr tesseract-ocr-eng tesseract-ocr-fas fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils)
test=(chromium openjdk-17-jre-headless)
ci=(postgresql-15 postgresql-client-15 redis-server)

want=(${base[@]+"${base[@]}"})
# npm fetches the memorial map's Leaflet and basemap at build time; a Node.js installed
# another way (nvm, nodesource) is fine, so Debian's is wanted only when there is none.
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
case "$profile" in
  base) ;;
  venv) want+=(python3-venv) ;;
  test) want+=("${test[@]}") ;;
  ci) want+=("${test[@]}" "${ci[@]}") ;;
  *) echo "usage: $0 [base|test|ci]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Try with the package lists as they are; refresh them once if that fails.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
else
  echo "Missing Debian packages (not root, so not installing): ${missing[*]}" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  if [ "${DADKHAH_REQUIRE_ALL:-0}" = 1 ]; then exit 1; fi
fi
