using System.Reflection;
using System.Runtime.Loader;

namespace NotebookRunner;

/// <summary>plotly.js as Plotly.NET carries it (a manifest resource of Plotly.NET.dll), read once, ready to inline in a page.</summary>
internal static class PlotlyJs
{
    static readonly Lazy<string> inline = new(Read);

    /// <summary>The minified script, with "&lt;/script" escaped so the page's parser cannot end the script early.</summary>
    public static string Inline => inline.Value;

    static string Read()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Plotly.NET.dll");
        if (!File.Exists(path)) throw new FileNotFoundException("Plotly.NET.dll is missing beside the runner: rebuild lib/NotebookRunner (it carries plotly.js for the HTML pages).", path);
        // A collectible context of its own: the resource is read without loading Plotly.NET as code next to the kernel's copy.
        var context = new AssemblyLoadContext("plotly.js", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromAssemblyPath(path);
            string name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js", StringComparison.Ordinal));
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            return reader.ReadToEnd().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            context.Unload();
        }
    }
}
