#!/usr/bin/env bash
# Sets up a Jupyter kernel for the notebooks, inside this repository (nothing global):
#   1. the last .NET Interactive tool (Microsoft.dotnet-interactive 1.0.712001; the project was
#      archived in 2026) into environment/.tools/dotnet-interactive;
#   2. its FSharp.Core.dll (10.0) replaced by 10.1.403, which Plotly.NET 6 needs (without this a
#      chart cell fails with "Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'");
#   3. a kernelspec '.net-csharp' in environment/.jupyter/kernels that starts that tool.
# Idempotent. Afterwards:  export JUPYTER_PATH="$PWD/environment/.jupyter"
# Needs: the .NET SDK; Jupyter itself only to run notebooks (Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
tools="$here/.tools/dotnet-interactive"
version="1.0.712001"
fsharp_version="10.1.403"

if [ ! -x "$tools/dotnet-interactive" ]; then
  echo "Installing Microsoft.dotnet-interactive $version into $tools"
  dotnet tool install Microsoft.dotnet-interactive --version "$version" --tool-path "$tools" >/dev/null
fi

packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
fsharp="$packages/fsharp.core/$fsharp_version/lib/netstandard2.1/FSharp.Core.dll"
if [ ! -f "$fsharp" ]; then
  # The notebook runner references FSharp.Core 10.1.403: restoring it brings the package.
  dotnet restore "$root/lib/NotebookRunner" >/dev/null
fi
[ -f "$fsharp" ] || { echo "setup-jupyter: FSharp.Core $fsharp_version not found at $fsharp" >&2; exit 1; }
find "$tools/.store" -name FSharp.Core.dll -path '*/tools/*' | while read -r target; do
  if ! cmp -s "$fsharp" "$target"; then
    cp "$fsharp" "$target"
    echo "Replaced $(realpath --relative-to="$root" "$target") with FSharp.Core $fsharp_version"
  fi
done

kernel="$here/.jupyter/kernels/.net-csharp"
mkdir -p "$kernel"
cat > "$kernel/kernel.json" <<JSON
{
  "argv": ["$tools/dotnet-interactive", "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"],
  "display_name": ".NET (C#)",
  "language": "C#",
  "metadata": {"vscode": {"extension_id": "ms-dotnettools.dotnet-interactive-vscode", "kernel_id": "polyglot-notebook"}}
}
JSON
echo "Kernel '.net-csharp' ready: export JUPYTER_PATH=\"$here/.jupyter\""
