#!/usr/bin/env bash
# Simulate a Binder build of this repository, then run every course notebook in it.
#
#   binder/simulate.sh
#
# The steps follow repo2docker's Python build pack: a fresh virtual environment, then
# `pip install -r binder/requirements.txt` run from a copy of the repository, then
# binder/postBuild run from that copy. The notebooks are then executed headless with no
# network (only loopback) when unshare can create a network namespace, as on Binder after
# launch, where nothing may be fetched at run time. Docker itself is not used.
#
# Environment:
#   PYTHON           the interpreter for the new environment (default python3)
#   SIMULATE_KEEP    set to 1 to keep the temporary folder for inspection
# pip's download cache is used, so that a second run takes a fraction of the first.
# Exits non-zero when any step fails.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/llmcost-binder.XXXXXX")
if [[ "${SIMULATE_KEEP:-0}" == 1 ]]; then
    echo "Keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi

step() {
    printf '\n== %s (%ss)\n' "$1" "$SECONDS"
}

offline() {
    # Run a command with no network except loopback, to prove that nothing is fetched.
    if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null 2>&1 \
        && unshare -n true 2>/dev/null; then
        unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
    else
        echo "unshare is not available; running the notebooks with the network up." >&2
        "$@"
    fi
}

step "Copy the repository"
# repo2docker copies the repository into the image; local environments and build output
# are left behind, as they are not part of a clone.
mkdir "$work/repo"
tar -C "$repo" \
    --exclude=./.git --exclude=./.venv --exclude='*.egg-info' --exclude=./build \
    --exclude=./docs/_build --exclude='__pycache__' --exclude='.ipynb_checkpoints' \
    -cf - . | tar -C "$work/repo" -xf -

step "Create a fresh virtual environment"
"$python" -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH"
# Keep the kernel and Jupyter away from files of the person running the simulation.
export JUPYTER_CONFIG_DIR="$work/jupyter-config" JUPYTER_DATA_DIR="$work/jupyter-data"
export IPYTHONDIR="$work/ipython" MPLCONFIGDIR="$work/matplotlib"
unset JUPYTER_PATH PYTHONPATH

cd "$work/repo"
step "pip install -r binder/requirements.txt"
pip install --quiet --disable-pip-version-check -r binder/requirements.txt

step "binder/postBuild"
./binder/postBuild

step "Execute the course notebooks offline"
notebooks=(notebooks/[0-9][0-9]_*.ipynb)
if [[ ! -e "${notebooks[0]}" ]]; then
    echo "No course notebooks found in notebooks/." >&2
    exit 1
fi
for notebook in "${notebooks[@]}"; do
    echo "$notebook"
    offline jupyter execute --timeout=300 --kernel_name=python3 "$notebook" 2>"$work/execute.log" \
        || { cat "$work/execute.log" >&2; echo "FAILED: $notebook" >&2; exit 1; }
done

step "Done: the Binder environment runs all ${#notebooks[@]} notebooks"
