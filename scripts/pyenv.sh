#!/usr/bin/env bash
# Makes (once) the Python the protocol tests use: a venv with the strict HTTP
# client h11, the websockets library and kosoku (Autobahn's cases from Python
# 3), pinned. Prints the venv's python on stdout; scripts/test.sh exports it
# as MNET_PYTHON. PyPI is the only network it needs.
#
#   scripts/pyenv.sh [venv dir]        (default: target/pyenv)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/pyenv}
want="h11==0.16.0 websockets==17.4 kosoku==0.1.0"
stamp="$dir/.mnet-pins"
if [ ! -x "$dir/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "pyenv: making $dir ($want)" >&2
    python3 -m venv "$dir" >&2
    # shellcheck disable=SC2086
    "$dir/bin/pip" install --quiet --disable-pip-version-check $want >&2
    echo "$want" >"$stamp"
fi
echo "$(cd "$dir" && pwd)/bin/python"
