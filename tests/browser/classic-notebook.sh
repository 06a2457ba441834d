#!/usr/bin/env bash
# Runs a notebook in Jupyter's classic Notebook (Debian's python3-notebook) through its UI in headless Chromium, with
# no network beyond 127.0.0.1, and prints the chart counts as one JSON line (classic-notebook.mjs).
#   tests/browser/classic-notebook.sh notebooks/01-profiling.ipynb SCREENSHOT.png
# The server serves a scratch copy of the checkout (the notebook copied, everything else linked), so the committed
# notebook is never saved over; it listens on 127.0.0.1 only, and everything started here is stopped on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
notebook="$1"
screenshot="$(realpath -m "$2")"
command -v jupyter-notebook >/dev/null || { echo "jupyter-notebook not found (Debian: apt-get install python3-notebook)" >&2; exit 3; }
command -v node >/dev/null || { echo "node not found (Debian: apt-get install nodejs npm)" >&2; exit 3; }

"$root/environment/setup-jupyter.sh" >/dev/null
dotnet build "$root/lib/ParameterSaliency.Notebooks" -c Release -v quiet -nologo >/dev/null
if [ ! -d "$here/node_modules/puppeteer-core" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

scratch="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
    pkill -KILL -P "$server" 2>/dev/null || true
    kill -KILL "$server" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

site="$scratch/site"
mkdir -p "$site/notebooks" "$scratch/jupyter"
for entry in "$root"/* "$root"/.[!.]*; do
  name="$(basename "$entry")"
  case "$name" in notebooks|.git) ;; *) ln -s "$entry" "$site/$name" ;; esac
done
cp "$root/$notebook" "$site/notebooks/"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
JUPYTER_PATH="$root/environment/.jupyter" JUPYTER_CONFIG_DIR="$scratch/jupyter/config" JUPYTER_DATA_DIR="$scratch/jupyter/data" \
JUPYTER_RUNTIME_DIR="$scratch/jupyter/runtime" \
  jupyter-notebook --no-browser --allow-root --ip=127.0.0.1 --port="$port" --port-retries=0 --NotebookApp.token="$token" \
    --notebook-dir="$site" --MappingKernelManager.default_kernel_name=.net-csharp >"$scratch/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/api/status?token=$token" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$scratch/server.log" >&2; exit 1; }
  sleep 0.5
done

name="$(basename "$notebook")"
status=0
node "$here/classic-notebook.mjs" "http://127.0.0.1:$port/notebooks/notebooks/$name?token=$token" "$screenshot" 15 || status=$?
[ "$status" = 0 ] || tail -n 40 "$scratch/server.log" >&2
exit "$status"
