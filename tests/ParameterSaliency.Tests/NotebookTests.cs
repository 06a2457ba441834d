using System.Text.Json.Nodes;

namespace ParameterSaliency.Tests;

/// <summary>Notebooks are code: each one runs once, headlessly, through the workbook's runner, as the main job runs it.</summary>
public class NotebookTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static string Runner => Workbook.Output("NotebookRunner", "NotebookRunner.dll");

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(Workbook.Root, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_executes_without_error(string notebook)
    {
        string output = Directory.CreateTempSubdirectory().FullName;
        var (exitCode, stdout, stderr) = Workbook.Run(Runner, $"notebooks/{notebook} --out \"{output}\"");
        Assert.True(exitCode == 0, $"{notebook} failed:\n{stdout}\n{stderr}");
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(output, notebook)))!;
        var codeCells = executed["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToArray();
        Assert.All(codeCells, c => Assert.NotNull(c!["execution_count"]?.GetValue<int?>()));
        Assert.True(File.Exists(Path.Combine(output, Path.ChangeExtension(notebook, ".html"))));
        ExecutedNotebooks.AssertLight(Path.Combine(output, notebook));
        // The exercises are unsolved here: every check cell says "not yet" (and runs no answer key).
        var verdicts = ExecutedNotebooks.Verdicts(Path.Combine(output, notebook));
        Assert.Equal(ExecutedNotebooks.Checks(Path.Combine(Workbook.Root, "notebooks", notebook)), verdicts.Count);
        Assert.All(verdicts, verdict => Assert.Contains(": not yet.", verdict));
        if (notebook.StartsWith("00-", StringComparison.Ordinal))
        {
            string text = File.ReadAllText(Path.Combine(output, notebook));
            Assert.Contains("Plotly.newPlot", text); // the confusion matrix
            Assert.Contains("data:image/png;base64,", text); // the gallery
        }
        // Last, as it may be skipped where there is no browser: every chart is a MIME bundle whose figure draws offline.
        int figures = BrowserCharts.AssertEveryFigureDraws(Path.Combine(output, notebook));
        log.WriteLine($"{notebook}: {figures} plotly figures drawn offline");
    }

    [Fact]
    public void Runner_stops_at_a_failing_cell_and_names_it()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string notebook = Path.Combine(folder, "failing.ipynb");
        JsonNode Cell(string type, string source) => new JsonObject
        {
            ["cell_type"] = type, ["metadata"] = new JsonObject(), ["source"] = source,
            ["outputs"] = new JsonArray(), ["execution_count"] = null,
        };
        var cells = new JsonArray(
            Cell("markdown", "# a notebook that fails in its fourth cell"),
            Cell("code", "var x = 1;"),
            Cell("code", "x + 1"),
            Cell("code", "throw new InvalidOperationException(\"planted failure\");"),
            Cell("code", "System.IO.File.WriteAllText(\"must-not-exist.txt\", \"ran\");"));
        File.WriteAllText(notebook, new JsonObject { ["cells"] = cells, ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var (exitCode, stdout, stderr) = Workbook.Run(Runner, $"\"{notebook}\" --out \"{folder}/out\"");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("cell 4 (code cell 3)", stderr);
        Assert.Contains("planted failure", stderr);
        Assert.False(File.Exists(Path.Combine(folder, "must-not-exist.txt")), "a cell after the failure ran");
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "out", "failing.ipynb")))!;
        Assert.Equal("2", executed["cells"]![2]!["outputs"]![0]!["data"]!["text/plain"]!.GetValue<string>());
    }
}
