#!/usr/bin/env bash
# The main job in one command: install prerequisites, build dist/pyoco, then start
# `pyoco up --with-nats-bootstrap --with-worker`, submit the example flows and follow them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYOCO_SETUP_BROWSER=0 bash scripts/setup.sh
export PATH="$PATH:/usr/sbin"
exec bun run demo "$@"
