using System.Text.Json.Nodes;
using SkiaSharp;

namespace ParameterSaliency.Tests;

/// <summary>
/// A notebook's HTML page as a reader opens it in a workshop room without internet: headless Chromium with every
/// host unresolvable and a dead proxy draws the page's Plotly charts from the plotly.js the page carries.
/// </summary>
public class OfflinePageTests
{
    [SkippableFact]
    public void Charts_draw_with_the_network_disabled()
    {
        string? chromium = new[] { "chromium", "chromium-browser" }.Select(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)).FirstOrDefault(path => path is not null);
        Skip.If(chromium is null, "Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it.");

        string folder = Directory.CreateTempSubdirectory().FullName;
        string notebook = Path.Combine(folder, "offline.ipynb");
        JsonNode Code(string source) => new JsonObject { ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null };
        var cells = new JsonArray(
            Code($"#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\n#r \"{Workbook.Output("ParameterSaliency.Notebooks", "ParameterSaliency.Notebooks.dll")}\""),
            Code("using ParameterSaliency.Notebooks;\nWorkbook.Start();"),
            Code("SaliencyCharts.Log10Histogram(new Dictionary<string, float[]> { [\"a\"] = Enumerable.Range(1, 500).Select(i => i * 1e-3f).ToArray() }, \"one\", \"log10\")"),
            Code("Charts.Titled(Plotly.NET.CSharp.Chart.Line<int, int, string>(new[] { 1, 2, 3 }, new[] { 3, 1, 2 }), \"two\")"));
        File.WriteAllText(notebook, new JsonObject { ["cells"] = cells, ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var run = Workbook.Run(Workbook.Output("NotebookRunner", "NotebookRunner.dll"), $"\"{notebook}\" --out \"{folder}/out\"");
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        string page = Path.Combine(folder, "out", "offline.html");
        Assert.DoesNotContain("<script src=\"http", File.ReadAllText(page)); // plotly.js is in the page, not behind a URL

        string offline = $"--headless --no-sandbox --disable-gpu --host-resolver-rules=\"MAP * ~NOTFOUND\" --proxy-server=127.0.0.1:9 --virtual-time-budget=10000";
        var dom = Workbook.RunProgram(chromium!, $"{offline} --dump-dom \"file://{page}\"", folder, TimeSpan.FromMinutes(2));
        Assert.Equal(2, dom.Output.Split("class=\"plot-container plotly\"").Length - 1); // Plotly builds one per chart it draws
        string screenshot = Path.Combine(folder, "offline.png");
        var shot = Workbook.RunProgram(chromium!, $"{offline} --window-size=1000,1400 --screenshot=\"{screenshot}\" \"file://{page}\"", folder, TimeSpan.FromMinutes(2));
        Assert.True(File.Exists(screenshot), shot.Output + shot.Error);
        using var bitmap = SKBitmap.Decode(screenshot);
        // Plotly's first trace colour, #636efa: the histogram's bars and the line, drawn.
        int traced = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (Math.Abs(pixel.Red - 0x63) < 24 && Math.Abs(pixel.Green - 0x6e) < 24 && Math.Abs(pixel.Blue - 0xfa) < 24) traced++;
            }
        Assert.True(traced > 500, $"only {traced} pixels in the traces' colour: the charts were not drawn");
    }
}
