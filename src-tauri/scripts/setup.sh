#!/usr/bin/env bash
# Installs what building, running and testing Loris Studio needs on Debian 12 / Ubuntu 22.04+:
# system packages (when root or with sudo), the UI's npm packages, and the test fixtures.
# Safe to run again: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { echo "=== setup: $*"; }

APT_PACKAGES=(
  # building the Tauri app
  build-essential pkg-config curl wget file libwebkit2gtk-4.1-dev libgtk-3-dev libxdo-dev
  libssl-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev
  # the keychain tests: a Secret Service (GNOME Keyring) on a private D-Bus, the kernel keyring
  gnome-keyring keyutils
  # end-to-end tests: a virtual display and the WebKit WebDriver
  xvfb xauth webkit2gtk-driver dbus-daemon fonts-dejavu-core
  # fixtures, packaging, and the virtual environments of the API conformance tests
  python3-pip python3-venv dpkg-dev
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || {
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
}
command -v npm >/dev/null || {
  echo "Node.js 20+ and npm are missing: install them (apt-get install nodejs npm), then run this again." >&2
  exit 1
}

step "ui: npm ci"
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm ci --prefix ui --no-audit --no-fund --loglevel=error
fi

step "fixtures"
bash tests/fixtures/fetch.sh
