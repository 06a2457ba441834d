#!/usr/bin/env bash
# The API and docs site: DocFX (a local tool, docfx 2.81.0) over the XML docs of ParameterSaliency,
# ParameterSaliency.Imaging and ParameterSaliency.Notebooks and the articles here, into artifacts/site/ with every
# warning (a broken link, an unresolved reference) an error. The notebooks' executed pages come from the main job
# (artifacts/notebooks/*.html); a notebook not run yet gets a page that says so.
#   environment/docs/build-site.sh        then open artifacts/site/index.html
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for project in ParameterSaliency ParameterSaliency.Imaging ParameterSaliency.Notebooks; do
  dotnet build "$root/lib/$project" -c Release -v quiet -nologo >/dev/null
done
# Generated beside the sources (ignored by git): the API pages, the notebooks' pages, and every assembly the three
# libraries reference (.NET Interactive, TorchSharp, ...), which the API pages name.
pages="$here/notebooks" references="$here/references"
rm -rf "$pages" "$references" "$here/api" "$root/artifacts/site"
mkdir -p "$pages" "$references"
for project in ParameterSaliency ParameterSaliency.Imaging ParameterSaliency.Notebooks; do
  dotnet msbuild "$root/lib/$project" -t:ResolveAssemblyReferences -getItem:ReferencePath -getItem:ReferenceDependencyPaths -p:Configuration=Release 2>/dev/null \
    | python3 -c 'import json, sys; items = json.load(sys.stdin)["Items"]; [print(item["FullPath"]) for kind in items for item in items[kind]]'
done | grep -v "/packs/" | sort -u | while read -r dll; do [ -f "$references/$(basename "$dll")" ] || cp "$dll" "$references/"; done
for notebook in "$root"/notebooks/*.ipynb; do
  name="$(basename "$notebook" .ipynb)"
  if [ -f "$root/artifacts/notebooks/$name.html" ]; then
    cp "$root/artifacts/notebooks/$name.html" "$pages/$name.html"
  else
    printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body><p>%s has not been executed here yet: run the main job (<code>dotnet run --project lib/NotebookRunner -c Release -- notebooks</code>) and build the site again.</p></body></html>\n' "$name" "$name" >"$pages/$name.html"
  fi
done
cd "$here"
dotnet tool restore >/dev/null
dotnet docfx docfx.json --warningsAsErrors
echo "Site: $root/artifacts/site/index.html"
