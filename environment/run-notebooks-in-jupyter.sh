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
# The kernel sends JSON MIME types other than application/json as JSON text (a chart's application/vnd.plotly.v1+json):
# nbformat and JupyterLab's renderers want the object.
/usr/bin/python3 - "${notebooks[@]}" <<'PY'
import json, os, sys
for notebook in sys.argv[1:]:
    path = os.path.join("artifacts", "jupyter", os.path.basename(notebook))
    with open(path, encoding="utf-8") as f:
        executed = json.load(f)
    changed = False
    for cell in executed.get("cells", []):
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                if mime != "application/json" and mime.endswith("+json") and isinstance(value, (str, list)):
                    output["data"][mime] = json.loads(value if isinstance(value, str) else "".join(value))
                    changed = True
    if changed:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(executed, f, indent=1, ensure_ascii=False)
            f.write("\n")
PY
