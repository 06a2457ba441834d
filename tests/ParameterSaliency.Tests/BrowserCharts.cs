using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParameterSaliency.Tests;

/// <summary>
/// Charts as a browser draws them (tests/browser: puppeteer-core and plotly.js pinned by its package-lock.json, driving
/// the system's Chromium with every host but this machine unreachable).
/// </summary>
internal static class BrowserCharts
{
    public static string Folder => Path.Combine(Workbook.Root, "tests", "browser");

    static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Why the browser tests cannot run here (no node, no Chromium, the npm packages not installable), or null.</summary>
    public static string? WhyNot => Missing.Value;

    static string? FindMissing()
    {
        if (!OnPath("node") || !OnPath("npm")) return "node and npm are not installed (Debian: apt-get install nodejs npm); .ci/run installs them.";
        if (!OnPath("chromium")) return "Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it.";
        if (File.Exists(Path.Combine(Folder, "node_modules", "puppeteer-core", "package.json")) &&
            File.GetLastWriteTimeUtc(Path.Combine(Folder, "node_modules", ".package-lock.json")) >= File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json")))
            return null;
        var install = Workbook.RunProgram("npm", "ci --no-audit --no-fund --loglevel=error", Folder, TimeSpan.FromMinutes(10));
        Assert.True(install.ExitCode == 0, $"npm ci in tests/browser failed (the npm registry must be reachable):\n{install.Output}\n{install.Error}");
        return null;
    }

    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, program)));

    /// <summary>
    /// Every chart output of an executed notebook is a MIME bundle whose <c>application/vnd.plotly.v1+json</c> is a figure
    /// (not text), and every such figure draws with the pinned plotly.js and no network, as VS Code's and JupyterLab's
    /// renderers draw it. Returns the number of figures drawn.
    /// </summary>
    public static int AssertEveryFigureDraws(string executed)
    {
        var outputs = JsonNode.Parse(File.ReadAllText(executed))!["cells"]!.AsArray()
            .SelectMany(cell => cell!["outputs"] as JsonArray ?? []).Select(output => output!["data"] as JsonObject).Where(data => data is not null).ToArray();
        int charts = outputs.Count(data => Text(data!["text/html"]).Contains("parameter-saliency-chart", StringComparison.Ordinal));
        var figures = outputs.Select(data => data!["application/vnd.plotly.v1+json"]).Where(figure => figure is not null).ToArray();
        Assert.Equal(charts, figures.Length);
        Assert.All(figures, figure => Assert.True(figure is JsonObject { } o && o["data"] is JsonArray, "a plotly output is not a figure object with data"));
        Skip.If(WhyNot is not null, WhyNot);
        if (figures.Length == 0) return 0;
        var run = Workbook.RunProgram("node", $"render-plotly-outputs.mjs \"{executed}\"", Folder, TimeSpan.FromMinutes(5));
        var result = JsonNode.Parse(run.Output.Trim().Split('\n')[^1])!;
        Assert.True(run.ExitCode == 0, $"{Path.GetFileName(executed)}: {result["drawn"]} of {result["outputs"]} figures drew: {result["failures"]?.ToJsonString()}\n{run.Error}");
        Assert.Equal(figures.Length, result["drawn"]!.GetValue<int>());
        Assert.Equal(0, result["refused"]!.GetValue<int>());
        return figures.Length;
    }

    static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(line => line!.GetValue<string>())),
        _ => node.GetValue<string>(),
    };

    /// <summary>Parses the one JSON line a browser script printed last.</summary>
    public static JsonNode LastJsonLine(string output)
    {
        string? line = output.Trim().Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        Assert.True(line is not null, $"no JSON line in:\n{output}");
        try
        {
            return JsonNode.Parse(line!)!;
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"not JSON: {line} ({e.Message})");
        }
    }
}
