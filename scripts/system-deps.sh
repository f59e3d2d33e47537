#!/usr/bin/env bash
# Install the Debian packages Dadkhah needs when run as root; otherwise say what is missing.
# Usage: scripts/system-deps.sh [base|test|ci]
#   base: what `make demo` needs      test: + the browser for UI tests      ci: + PostgreSQL 15
set -euo pipefail
profile=${1:-base}

base=(python3-venv fonts-noto-core)
test=(chromium)
ci=(postgresql-15 postgresql-client-15)

want=("${base[@]}")
case "$profile" in
  base) ;;
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
  stamp=/var/lib/apt/periodic/update-success-stamp
  if [ ! -e /var/lib/apt/lists/lock ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq
  fi
  : "$stamp"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (not root, so not installing): ${missing[*]}" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  if [ "${DADKHAH_REQUIRE_ALL:-0}" = 1 ]; then exit 1; fi
fi
