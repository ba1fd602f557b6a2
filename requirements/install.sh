#!/usr/bin/env bash
# ossbot's environment for the composite action, apart from the job's own Python and packages.
#   install.sh key      writes the cache key (and whether the LLM SDKs go in) to GITHUB_OUTPUT
#   install.sh install  creates the environment at $OSSBOT_VENV from the lock files
# Inputs come from the environment only: OSSBOT_PYTHON (the interpreter setup-python installed),
# OSSBOT_VENV, OSSBOT_PROVIDER / OSSBOT_API_KEY_SET (key), OSSBOT_LLM (install).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

case "${1:-}" in
  key)
    llm=false
    if [ -n "${OSSBOT_PROVIDER:-}" ] || [ "${OSSBOT_API_KEY_SET:-false}" = "true" ]; then llm=true; fi
    version=$("$OSSBOT_PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    # What the environment holds: the locks, and ossbot's own code at this action's version.
    digest=$(cd "$root" && find requirements pyproject.toml src prompts -type f \
      ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum \
      | sha256sum | cut -c1-16)
    key="ossbot-env-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-py${version}-llm-${llm}-${digest}"
    echo "key=$key" >> "${GITHUB_OUTPUT:-/dev/stdout}"
    echo "llm=$llm" >> "${GITHUB_OUTPUT:-/dev/stdout}"
    ;;
  install)
    rm -rf "$OSSBOT_VENV"
    "$OSSBOT_PYTHON" -m venv "$OSSBOT_VENV"
    py="$OSSBOT_VENV/bin/python"
    locks=(-r "$here/ossbot.lock")
    if [ "${OSSBOT_LLM:-false}" = "true" ]; then locks+=(-r "$here/llm.lock"); fi
    # uv installs the locked set in a few seconds; pip is the fallback (same locks, slower).
    if "$py" -m pip install -q --disable-pip-version-check uv \
      && "$OSSBOT_VENV/bin/uv" pip install -q --python "$py" --no-deps --compile-bytecode \
        "${locks[@]}" "$root"; then
      "$OSSBOT_VENV/bin/uv" pip uninstall -q --python "$py" uv || true
    else
      echo "::notice title=ossbot::uv was not available; installing with pip"
      "$py" -m pip install -q --disable-pip-version-check --no-deps "${locks[@]}" "$root"
    fi
    "$OSSBOT_VENV/bin/ossbot" --version
    ;;
  *)
    echo "usage: install.sh key|install" >&2
    exit 2
    ;;
esac
