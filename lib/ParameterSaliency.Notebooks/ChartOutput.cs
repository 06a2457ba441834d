using System.Net;
using System.Text.Json.Nodes;
using Plotly.NET;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// How a Plotly.NET chart is written into a notebook: a MIME bundle that draws wherever the notebook is opened.
/// <list type="bullet">
/// <item><see cref="PlotlyMimeType"/>: the figure (data, layout, config), which VS Code's Jupyter renderers and
/// JupyterLab's plotly extension draw themselves, offline;</item>
/// <item><c>text/html</c>: the same figure drawn by plotly.js from the page (a page that carries it, such as the runner's
/// HTML or <c>environment/share-notebook.sh</c>'s), else from a local copy beside the notebook as Jupyter serves it
/// (<see cref="LocalPlotlyFolder"/>, written by <see cref="Workbook.Start"/>), else one line saying how to see charts;
/// no CDN, no require.js;</item>
/// <item><c>text/plain</c>: the chart's title.</item>
/// </list>
/// The figure's template keeps only the parts its traces use (Plotly.NET puts the whole "plotly" template, 8.6 KB, into
/// every chart; pruned, 2-3 KB): the look is the same, the notebook lighter.
/// </summary>
public static class ChartOutput
{
    /// <summary>The MIME type of a plotly figure, as Jupyter front-ends know it.</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    /// <summary>
    /// The MIME types a chart is written as. A kernel Jupyter started (<c>dotnet interactive jupyter</c>) sends
    /// <see cref="PlotlyMimeType"/> as JSON text rather than a JSON object (it keeps only <c>application/json</c> as JSON):
    /// VS Code's Jupyter extension reads that text as the figure and draws it; JupyterLab's plotly extension, where installed,
    /// does not (environment/run-notebooks-in-jupyter.sh turns it into an object in the notebooks it writes).
    /// </summary>
    public static string[] MimeTypes => [PlotlyMimeType, "text/html", "text/plain"];

    /// <summary>The folder, beside the notebook, that the local copy of plotly.js is written to and looked for in.</summary>
    public const string LocalPlotlyFolder = "plotly-local";

    /// <summary>The file name of the local copy: the plotly.js version Plotly.NET's charts are made for.</summary>
    public static string LocalPlotlyFile => $"plotly-{Globals.PLOTLYJS_VERSION}.min.js";

    /// <summary>The figure as Jupyter's <see cref="PlotlyMimeType"/> wants it: {"data", "layout", "config"}, the template pruned to what its traces use.</summary>
    /// <param name="chart">Plotly.NET chart to serialise.</param>
    public static JsonObject Figure(GenericChart chart)
    {
        var figure = JsonNode.Parse(GenericChart.toJson(chart))!.AsObject();
        if (figure["layout"]?["template"] is JsonObject template && figure["data"] is JsonArray traces)
        {
            var types = traces.Select(trace => trace?["type"]?.GetValue<string>() ?? "scatter").ToHashSet(StringComparer.Ordinal);
            if (template["data"] is JsonObject styles)
                Remove(styles, styles.Select(entry => entry.Key).Where(type => !types.Contains(type)));
            // The styles of subplot kinds no trace draws on (Plotly.NET's template styles all of them).
            if (template["layout"] is JsonObject layout)
                Remove(layout, SubplotTraces.Where(subplot => !subplot.Value.Any(types.Contains)).Select(subplot => subplot.Key));
        }
        return figure;
    }

    static readonly Dictionary<string, string[]> SubplotTraces = new()
    {
        ["geo"] = ["scattergeo", "choropleth"],
        ["polar"] = ["scatterpolar", "scatterpolargl", "barpolar"],
        ["ternary"] = ["scatterternary"],
        ["scene"] = ["scatter3d", "surface", "mesh3d", "cone", "streamtube", "isosurface", "volume"],
        ["mapbox"] = ["scattermapbox", "choroplethmapbox", "densitymapbox"],
    };

    static void Remove(JsonObject node, IEnumerable<string> keys)
    {
        foreach (string key in keys.ToArray()) node.Remove(key);
    }

    /// <summary>The chart's <c>text/html</c>: a div and a script that draws <paramref name="figure"/> with whatever plotly.js it can reach offline.</summary>
    /// <param name="figure">Figure as <see cref="Figure"/> returns it: data, layout and config.</param>
    public static string Html(JsonObject figure)
    {
        string id = "plotly-" + Guid.NewGuid().ToString("N");
        var layout = figure["layout"] as JsonObject;
        string width = layout?["width"] is JsonNode w ? $"width:{w.ToJsonString()}px;" : "";
        string height = layout?["height"] is JsonNode h ? $"height:{h.ToJsonString()}px;" : "height:450px;";
        // "</" cannot end the script early inside a JSON string written this way.
        string json = figure.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal);
        string hint = WebUtility.HtmlEncode(
            "This chart needs plotly.js, and none could be reached offline: open the notebook in VS Code or JupyterLab (they draw the " +
            $"{PlotlyMimeType} output themselves), or run Workbook.Start() in this notebook's folder (it writes {LocalPlotlyFolder}/{LocalPlotlyFile}).");
        return $$"""
            <div id="{{id}}" class="parameter-saliency-chart" style="{{width}}{{height}}"></div>
            <script type="text/javascript">
            (function () {
              var figure = {{json}};
              var target = document.getElementById("{{id}}");
              function draw() { window.Plotly.newPlot(target, figure.data, figure.layout, figure.config); }
              if (window.Plotly) { draw(); return; }
              // A local copy as Jupyter serves the notebook's folder (/notebooks/..., /lab/tree/..., /doc/tree/... -> /files/...), or beside a page.
              var path = window.location.pathname, folder = path.substring(0, path.lastIndexOf("/") + 1), file = "{{LocalPlotlyFolder}}/{{LocalPlotlyFile}}";
              var served = folder.replace(/\/(notebooks|lab\/tree|doc\/tree|lab\/workspaces\/[^\/]+\/tree)\//, "/files/");
              var sources = served !== folder ? [served + file] : [];
              sources.push(folder + file);
              function next() {
                if (window.Plotly) { draw(); return; }
                var source = sources.shift();
                if (!source) { target.style.height = "auto"; target.innerHTML = "<p style=\"color:#b00020\">{{hint}}</p>"; return; }
                // plotly.js is a UMD bundle: with require.js on the page (the classic Notebook) it would register itself there and
                // set no window.Plotly, so define is hidden while it loads.
                var define = window.define, script = document.createElement("script");
                window.define = undefined;
                script.src = source;
                script.onload = function () { window.define = define; next(); };
                script.onerror = function () { window.define = define; next(); };
                document.head.appendChild(script);
              }
              next();
            })();
            </script>
            """;
    }

    /// <summary>The chart's <c>text/plain</c>: its title, or that it is a chart.</summary>
    /// <param name="figure">Figure whose layout title is read.</param>
    public static string Text(JsonObject figure) =>
        figure["layout"]?["title"]?["text"]?.GetValue<string>() is { Length: > 0 } title ? $"(chart: {title})" : "(a Plotly chart)";

    /// <summary>
    /// Writes plotly.js, the copy Plotly.NET carries, to <see cref="LocalPlotlyFolder"/> in <paramref name="folder"/> unless it is
    /// there already, atomically; returns its path, or null when the folder cannot be written (charts then draw in VS Code and
    /// JupyterLab, and say so elsewhere).
    /// </summary>
    /// <param name="folder">Notebook's folder, under which <see cref="LocalPlotlyFolder"/> is written.</param>
    public static string? WriteLocalPlotly(string folder)
    {
        string path = Path.Combine(folder, LocalPlotlyFolder, LocalPlotlyFile);
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length > 0) return path;
            var assembly = typeof(GenericChart).Assembly;
            string? resource = assembly.GetManifestResourceNames().FirstOrDefault(name => name.EndsWith(".min.js", StringComparison.Ordinal));
            if (resource is null) return null;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temporary = path + $".{Environment.ProcessId}.tmp";
            using (var source = assembly.GetManifestResourceStream(resource)!)
            using (var target = File.Create(temporary))
                source.CopyTo(target);
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
