#!/usr/bin/env bash
# Installs the system programs the test suite starts besides Node: redis-server (the shared-state
# tests run their own), postgresql (the ledger tests start their own server; Debian keeps its
# binaries under /usr/lib/postgresql/<version>/bin, off PATH) and Chromium (the bench report and
# console tests drive it headless). All are Debian/Ubuntu packages; on other systems install the
# same programs with their package manager. Does nothing when all are already there. Needs root
# (or sudo) to install.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
{ command -v postgres >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; } ||
  missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install these with your package manager, then run npm test: ${missing[*]}" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
