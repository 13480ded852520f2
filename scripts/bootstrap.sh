#!/usr/bin/env bash
# Installs what ProofMarket needs on Debian 12, only what is missing, so it is safe to rerun.
# Swift itself is not a Debian package: it is expected at /opt/swift or on PATH.
set -euo pipefail

# python3-venv: scripts/tools.sh builds the API tests' Python tools on Debian's python3.
# chromium (with a font to draw text in): DashboardBrowserTests drive it headless.
packages=(libpq-dev libssl-dev libgmp-dev postgresql pkg-config build-essential python3-venv chromium fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  else
    echo "bootstrap: Swift 6 is required: install a Swift 6 toolchain for Debian 12 (swift.org) into /opt/swift" >&2
    exit 1
  fi
fi
