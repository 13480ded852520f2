#!/usr/bin/env bash
# Installs the Python tools the API tests run (scripts/python-tools.txt) into a virtual
# environment at .build-tools/venv, built from Debian's own python3, and exports where they are:
#   PROOFMARKET_TOOLS_PYTHON   the venv's python (has openapi_spec_validator, and onnx and numpy
#                              for scripts/onnx_conformance.py)
#   PROOFMARKET_SCHEMATHESIS   the venv's schemathesis command
# and installs the Python SDK (clients/python) into it, editable, so its tests run the sources.
# Sourced by scripts/test.sh after bootstrap.sh (which installs python3-venv); safe to rerun:
# nothing is installed while the venv already matches the pinned list.
set -euo pipefail

tools_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_venv="$tools_root/.build-tools/venv"
tools_requirements="$tools_root/scripts/python-tools.txt"
# The venv records the digest of the list it was built from, so a changed pin rebuilds it.
tools_stamp="$tools_venv/.python-tools.sha256"
tools_digest="$(sha256sum "$tools_requirements" | cut -d' ' -f1)"

if [[ ! -x "$tools_venv/bin/python" ]] || [[ "$(cat "$tools_stamp" 2>/dev/null)" != "$tools_digest" ]] \
    || ! "$tools_venv/bin/python" -c "import openapi_spec_validator, schemathesis, httpx, cryptography, pytest, mypy, onnx, numpy" >/dev/null 2>&1; then
  echo "tools: installing the pinned Python tools (scripts/python-tools.txt) into .build-tools/venv" >&2
  rm -rf "$tools_venv"
  /usr/bin/python3 -m venv "$tools_venv"
  "$tools_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$tools_requirements"
  echo "$tools_digest" > "$tools_stamp"
fi

# The SDK, editable and without dependencies (they are the pinned ones above), built with the
# venv's own setuptools: nothing is fetched for it.
if ! "$tools_venv/bin/python" -c "import proofmarket" >/dev/null 2>&1; then
  "$tools_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps \
    --no-build-isolation --editable "$tools_root/clients/python"
fi

export PROOFMARKET_TOOLS_PYTHON="$tools_venv/bin/python"
export PROOFMARKET_SCHEMATHESIS="$tools_venv/bin/schemathesis"
