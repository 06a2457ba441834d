using System.Text.Json.Nodes;
using ParameterSaliency.Notebooks;
using Plotly.NET;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>What a chart writes into a notebook (<see cref="ChartOutput"/>): a figure whose pruned template looks exactly like Plotly.NET's full one, and HTML that needs no CDN.</summary>
public class ChartOutputTests(ITestOutputHelper output)
{
    static GenericChart Sample() => Charts.Titled(Plotly.NET.CSharp.Chart.Column<int, string, string>(new[] { 3, 1, 2 }, new[] { "a", "b", "c" }), "three bars");

    [SkippableFact]
    public void The_pruned_template_draws_the_same_picture_as_the_full_one()
    {
        var chart = Sample();
        var full = JsonNode.Parse(GenericChart.toJson(chart))!.AsObject();
        var pruned = ChartOutput.Figure(chart);
        int fullBytes = full["layout"]!["template"]!.ToJsonString().Length, prunedBytes = pruned["layout"]!["template"]!.ToJsonString().Length;
        output.WriteLine($"template: {fullBytes:N0} characters in Plotly.NET's figure, {prunedBytes:N0} pruned");
        Assert.True(prunedBytes < fullBytes / 2, $"the template was not pruned: {prunedBytes} of {fullBytes}");
        Assert.Equal(["bar"], pruned["layout"]!["template"]!["data"]!.AsObject().Select(entry => entry.Key));

        Skip.If(BrowserCharts.WhyNot is not null, BrowserCharts.WhyNot);
        string folder = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(folder, "full.json"), full.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "pruned.json"), pruned.ToJsonString());
        var run = Workbook.RunProgram("node", $"same-look.mjs \"{folder}/full.json\" \"{folder}/pruned.json\"", BrowserCharts.Folder, TimeSpan.FromMinutes(3));
        var result = BrowserCharts.LastJsonLine(run.Output + "\n" + run.Error);
        output.WriteLine(result.ToJsonString());
        Assert.True(result["identical"]!.GetValue<bool>(), $"the pruned figure draws differently: {result.ToJsonString()}");
    }

    [Fact]
    public void The_html_loads_nothing_from_the_internet_and_says_how_to_get_charts_when_it_cannot_draw()
    {
        string html = ChartOutput.Html(ChartOutput.Figure(Sample()));
        Assert.DoesNotContain("http", html);
        Assert.DoesNotContain("require", html.Replace("require.js", "", StringComparison.Ordinal)); // no require.js call
        Assert.Contains($"{ChartOutput.LocalPlotlyFolder}/{ChartOutput.LocalPlotlyFile}", html);
        Assert.Contains("open the notebook in VS Code or JupyterLab", html);
        Assert.Equal("(chart: three bars)", ChartOutput.Text(ChartOutput.Figure(Sample())));
    }
}
