namespace ParameterSaliency.Imaging;

/// <summary>The page's fixed files (<c>index.html</c>, <c>explorer.css</c>, <c>explorer.js</c>), embedded in this assembly.</summary>
internal static class ExplorerAssets
{
    static readonly string[] Names = ["index.html", "explorer.css", ExplorerFolder.Marker];

    /// <summary>Copies the fixed files into <paramref name="folder"/>.</summary>
    public static void WriteTo(string folder)
    {
        foreach (string name in Names)
        {
            using var resource = typeof(ExplorerAssets).Assembly.GetManifestResourceStream($"ParameterSaliency.Imaging.Explorer.{name}")
                ?? throw new InvalidOperationException($"The explorer's {name} is missing from {typeof(ExplorerAssets).Assembly.GetName().Name}.");
            using var file = File.Create(Path.Combine(folder, name));
            resource.CopyTo(file);
        }
    }
}
