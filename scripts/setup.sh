#!/usr/bin/env bash
# Installs what pyoco needs on a fresh Debian machine, idempotently:
# nats-server, Chromium and a Japanese font (dashboard tests), Python 3 with pip and venv (wheel sync)
# from Debian; Bun (pinned) from npm;
# then the JavaScript dependencies from the lockfile. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION=1.4.5
need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
[ -x /usr/bin/python3 ] || need_apt+=(python3)
# Wheel sync installs with pip (--no-index, --target), so do its tests.
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -m pip --version >/dev/null 2>&1; } || need_apt+=(python3-pip)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ensurepip, venv" >/dev/null 2>&1; } || need_apt+=(python3-venv)
if [ "${PYOCO_SETUP_BROWSER:-1}" = "1" ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# Japanese glyphs for the dashboard screenshots (tests/artifacts) of the ja page.
if [ "${PYOCO_SETUP_BROWSER:-1}" = "1" ] && ! fc-list :lang=ja 2>/dev/null | grep -q .; then need_apt+=(fonts-ipafont-gothic); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian" >&2
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "setup: installing bun@$BUN_VERSION from npm" >&2
  npm install -g --allow-scripts=bun "bun@$BUN_VERSION" >/dev/null 2>&1 || npm install -g "bun@$BUN_VERSION" >/dev/null
fi
bun install --frozen-lockfile >/dev/null
echo "setup: ready (bun $(bun --version), $(nats-server --version 2>/dev/null || /usr/sbin/nats-server --version))" >&2
