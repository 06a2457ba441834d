using System.Text.Json.Nodes;

namespace ParameterSaliency.Tests;

/// <summary>
/// Notebooks are code: each one runs once, headlessly, through the workbook's runner, as the main job runs it. The
/// notebooks that take minutes have a test class each (below), so that xunit runs two at a time and starts the longest
/// first; the ones that take seconds run together in one runner process (<see cref="QuickNotebookTests"/>).
/// <see cref="NotebookTests.Every_notebook_is_executed_by_the_suite"/> keeps the list complete.
/// </summary>
public abstract class NotebookExecution(Xunit.Abstractions.ITestOutputHelper log)
{
    internal static string Runner => Workbook.Output("NotebookRunner", "NotebookRunner.dll");

    /// <summary>The file name in notebooks/.</summary>
    public abstract string Notebook { get; }

    /// <summary>
    /// Smaller values for the variables of the notebook's parameters cell, where its full setting would cost minutes:
    /// every cell still runs, on fewer images, seeds or trials. The main job runs the full setting.
    /// </summary>
    public virtual string[] Parameters => [];

    [SkippableFact]
    public void Executes_without_error()
    {
        string notebook = Notebook;
        string output = Directory.CreateTempSubdirectory().FullName;
        string parameters = string.Concat(Parameters.Select(p => $" --parameter \"{p}\""));
        var (exitCode, stdout, stderr) = Workbook.Run(Runner, $"notebooks/{notebook} --out \"{output}\"{parameters}");
        log.WriteLine(stdout); // each cell's seconds, in the trx log: where a slow notebook spends its time
        Assert.True(exitCode == 0, $"{notebook} failed:\n{stdout}\n{stderr}");
        AssertExecuted(notebook, output, Parameters, log);
    }

    /// <summary>What every executed notebook must show: every code cell ran, the injected parameters, light outputs, unsolved exercises, and charts that draw offline.</summary>
    internal static void AssertExecuted(string notebook, string output, string[] parameters, Xunit.Abstractions.ITestOutputHelper log)
    {
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(output, notebook)))!;
        var codeCells = executed["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToArray();
        Assert.All(codeCells, c => Assert.NotNull(c!["execution_count"]?.GetValue<int?>()));
        Assert.True(File.Exists(Path.Combine(output, Path.ChangeExtension(notebook, ".html"))));
        // The smaller values were really set: the runner's injected cell holds each assignment.
        string injected = string.Concat(executed["cells"]!.AsArray().Where(c => c!["metadata"]?["tags"]?.ToJsonString().Contains("injected-parameters") == true)
            .Select(c => c!["source"]!.ToJsonString()));
        Assert.All(parameters, p => Assert.Contains(p.Replace("=", " = "), injected));
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
}

[ExpectedSeconds(43)]
public sealed class Notebook03Tests(Xunit.Abstractions.ITestOutputHelper log) : NotebookExecution(log) { public override string Notebook => "03-case-study.ipynb"; }
[ExpectedSeconds(100)]
public sealed class Notebook05Tests(Xunit.Abstractions.ITestOutputHelper log) : NotebookExecution(log)
{
    public override string Notebook => "05-fine-tuning.ipynb";
    // 2 random draws instead of 10 (Table 1) and of 3 (the sweep), ΔA on 200 images instead of 1,000: 222 s of trials become about 40.
    // The multi-step model's saliency index over the first 2,000 test images instead of 10,000 (about 60 s on a fresh clone); the default model's
    // index over them too (its 10,000-image one is built once for notebook 04, the solutions and the CLI's neighbours).
    public override string[] Parameters => ["evaluated=200", "randomSeeds=2", "sweepSeeds=2", "images=2000"];
}
[ExpectedSeconds(61)]
public sealed class Notebook07Tests(Xunit.Abstractions.ITestOutputHelper log) : NotebookExecution(log)
{
    public override string Notebook => "07-failure-atlas.ipynb";
    // The explorer of the first 40 mistakes instead of all 610 (ExplorerTests holds the page against the commands).
    public override string[] Parameters => ["explorerMistakes=40"];
}
[ExpectedSeconds(49)]
public sealed class Notebook08Tests(Xunit.Abstractions.ITestOutputHelper log) : NotebookExecution(log)
{
    public override string Notebook => "08-beyond-convolutions.ipynb";
    // The first 500 test images instead of 2,000 for the ViT's and the ResNet's indexes and the heads' Table 1, and 2 random draws instead of 10.
    public override string[] Parameters => ["Images=500", "randomSeeds=2"];
}
[ExpectedSeconds(73)]
public sealed class Notebook09Tests(Xunit.Abstractions.ITestOutputHelper log) : NotebookExecution(log)
{
    public override string Notebook => "09-can-it-be-trusted.ipynb";
    // 4 mistakes instead of 12, 40 reference images for each randomised model's μ and σ instead of 200, and fewer cue and neighbour images.
    public override string[] Parameters => ["mistakes=4", "referenceImages=40", "cueImages=4", "neighbourImages=100"];
}

/// <summary>
/// The notebooks that run in seconds, executed together by one runner process, a fresh kernel each, as the main job runs
/// them: one process start and one warm-up of the C# kernel for all five instead of one each (measured: 21 s against
/// 40 s one by one). Each notebook is still a row of its own, with the same assertions as <see cref="NotebookExecution"/>.
/// </summary>
[ExpectedSeconds(35)]
public sealed class QuickNotebookTests(Xunit.Abstractions.ITestOutputHelper log, QuickNotebookTests.Run run) : IClassFixture<QuickNotebookTests.Run>
{
    /// <summary>The notebooks of notebooks/ that this class runs.</summary>
    public static readonly string[] Notebooks = ["00-getting-started.ipynb", "01-profiling.ipynb", "02-standardization.ipynb", "04-neighbors.ipynb", "06-your-own-model.ipynb"];

    public static TheoryData<string> Rows => new(Notebooks);

    /// <summary>One runner process over <see cref="Notebooks"/>, shared by the rows.</summary>
    public sealed class Run
    {
        public Run()
        {
            Output = Directory.CreateTempSubdirectory().FullName;
            (ExitCode, Stdout, Stderr) = Workbook.Run(NotebookExecution.Runner, string.Join(' ', Notebooks.Select(n => $"notebooks/{n}")) + $" --out \"{Output}\"");
        }

        public string Output { get; }
        public int ExitCode { get; }
        public string Stdout { get; }
        public string Stderr { get; }
    }

    [SkippableTheory]
    [MemberData(nameof(Rows))]
    public void Executes_without_error(string notebook)
    {
        string section = ExecutedNotebooks.RunnerSection(run.Stdout, notebook);
        log.WriteLine(section); // each cell's seconds
        Assert.True(section.Contains("  ok: ", StringComparison.Ordinal), $"{notebook} failed (runner exit code {run.ExitCode}):\n{section}\n{run.Stderr}");
        NotebookExecution.AssertExecuted(notebook, run.Output, [], log);
    }
}

/// <summary>The runner itself, and the list of notebook tests.</summary>
public class NotebookTests
{
    static string Runner => NotebookExecution.Runner;

    [Fact]
    public void Every_notebook_is_executed_by_the_suite()
    {
        var tested = typeof(NotebookExecution).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(NotebookExecution)) && !t.IsAbstract)
            .Select(t => ((NotebookExecution)Activator.CreateInstance(t, new object?[] { null })!).Notebook).Concat(QuickNotebookTests.Notebooks).Order(StringComparer.Ordinal).ToArray();
        var notebooks = Directory.GetFiles(Path.Combine(Workbook.Root, "notebooks"), "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(notebooks, tested);
    }

    [Fact]
    public void Runner_sets_the_variables_of_the_parameters_cell_as_papermill_does_and_refuses_a_notebook_without_one()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        JsonNode Code(string source, params string[] tags) => new JsonObject
        {
            ["cell_type"] = "code", ["metadata"] = new JsonObject { ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray()) },
            ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null,
        };
        string Write(string name, params JsonNode[] cells)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllText(path, new JsonObject { ["cells"] = new JsonArray(cells), ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
            return path;
        }
        string tagged = Write("tagged.ipynb", Code("int images = 1000;\nint seeds = 10;", "parameters"), Code("images * seeds"));
        var (exitCode, stdout, stderr) = Workbook.Run(Runner, $"\"{tagged}\" --out \"{folder}/out\" --parameter images=20 -p \"seeds = 3\"");
        Assert.True(exitCode == 0, stdout + stderr);
        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "out", "tagged.ipynb")))!["cells"]!.AsArray();
        Assert.Equal(3, cells.Count); // the injected cell sits right after the parameters cell
        Assert.Contains("injected-parameters", cells[1]!["metadata"]!.ToJsonString());
        Assert.Equal("60", cells[2]!["outputs"]![0]!["data"]!["text/plain"]!.GetValue<string>());

        string untagged = Write("untagged.ipynb", Code("int images = 1000;"));
        (exitCode, _, stderr) = Workbook.Run(Runner, $"\"{untagged}\" --out \"{folder}/out\" -p images=20");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("no code cell is tagged \"parameters\"", stderr);
        (exitCode, _, stderr) = Workbook.Run(Runner, $"\"{tagged}\" --out \"{folder}/out\" -p 20");
        Assert.Equal(2, exitCode);
        Assert.Contains("is not NAME=VALUE", stderr);
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
