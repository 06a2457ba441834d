#!/usr/bin/env bash
# A shareable page of an executed notebook whose charts draw without internet: nbconvert's HTML with plotly.js inside
# (the template environment/nbconvert/offline). Math still comes from MathJax's CDN, as in any nbconvert page.
#   environment/share-notebook.sh artifacts/notebooks/01-profiling.ipynb [more.ipynb ...]   (pages beside each notebook)
# Needs Jupyter's nbconvert (Debian: apt-get install jupyter-nbconvert).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
[ $# -gt 0 ] || { echo "usage: environment/share-notebook.sh EXECUTED.ipynb [...]" >&2; exit 2; }
command -v jupyter-nbconvert >/dev/null || { echo "jupyter-nbconvert not found (Debian: apt-get install jupyter-nbconvert)" >&2; exit 3; }
template="$here/nbconvert/offline"
if [ ! -s "$template/plotly.js.j2" ]; then
  dotnet build "$root/lib/NotebookRunner" -c Release -v quiet -nologo >/dev/null
  dotnet "$root/lib/NotebookRunner/bin/Release/net10.0/NotebookRunner.dll" plotly-js --jinja-raw "$template/plotly.js.j2.tmp"
  mv "$template/plotly.js.j2.tmp" "$template/plotly.js.j2"
fi
jupyter-nbconvert --to html --template offline --TemplateExporter.extra_template_basedirs="$here/nbconvert" "$@"
