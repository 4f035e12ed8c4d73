#!/usr/bin/env bash
# Debian's Chromium for the end-to-end tests; never a downloaded browser build.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
/usr/bin/chromium --version
