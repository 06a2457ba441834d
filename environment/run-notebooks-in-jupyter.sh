#!/usr/bin/env bash
# Executes notebooks in real Jupyter with the .NET kernel from setup-jupyter.sh (the third way
# notebooks must run, beside the headless runner and VS Code). Builds the library first.
#   environment/run-notebooks-in-jupyter.sh [notebook.ipynb ...]   (default: every notebook)
# Executed copies go to artifacts/jupyter/. Exit code non-zero if any cell fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
command -v jupyter >/dev/null || { echo "jupyter not found. Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel" >&2; exit 3; }
"$here/setup-jupyter.sh"
dotnet build "$root/lib/ParameterSaliency.Notebooks" -c Release -v quiet -nologo >/dev/null
export JUPYTER_PATH="$here/.jupyter"
cd "$root"
notebooks=("$@")
[ ${#notebooks[@]} -gt 0 ] || notebooks=(notebooks/*.ipynb)
for notebook in "${notebooks[@]}"; do
  echo "jupyter nbconvert --execute $notebook"
  jupyter nbconvert --to notebook --execute "$notebook" --output-dir artifacts/jupyter \
    --ExecutePreprocessor.kernel_name=.net-csharp --ExecutePreprocessor.timeout=1200
done
