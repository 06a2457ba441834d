namespace ParameterSaliency.Tests;

/// <summary>
/// The worked solutions of the notebooks' exercises (notebooks/solutions/): all run in one runner process, each check
/// cell's answer key (computed from the model and data) agrees with the solution's answer, computed another way.
/// </summary>
[ExpectedSeconds(94)]
public class SolutionNotebookTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public void Every_solution_passes_its_check()
    {
        string folder = Path.Combine(Workbook.Root, "notebooks", "solutions");
        string[] solutions = Directory.GetFiles(folder, "*.ipynb").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["01-profiling", "02-standardization", "03-case-study", "04-neighbors", "05-fine-tuning"], solutions.Select(Path.GetFileNameWithoutExtension));
        string executedFolder = Directory.CreateTempSubdirectory().FullName;
        // 01-04 in one runner process; 05 in another, with the smaller sizes its main notebook's test gives it (Notebook05Tests).
        var withoutParameters = solutions.Where(s => !s.EndsWith("05-fine-tuning.ipynb", StringComparison.Ordinal)).Select(s => $"\"{s}\"");
        var (exitCode, stdout, stderr) = Workbook.Run(NotebookExecution.Runner, $"{string.Join(" ", withoutParameters)} --out \"{executedFolder}\"");
        Assert.True(exitCode == 0, $"a solution notebook failed:\n{stdout}\n{stderr}");
        string[] fineTuningSizes = ["evaluated=200", "randomSeeds=2"];
        (exitCode, stdout, stderr) = Workbook.Run(NotebookExecution.Runner,
            $"notebooks/solutions/05-fine-tuning.ipynb --out \"{executedFolder}\"{string.Concat(fineTuningSizes.Select(p => $" --parameter {p}"))}");
        Assert.True(exitCode == 0, $"the fine-tuning solution failed:\n{stdout}\n{stderr}");
        foreach (string solution in solutions)
        {
            string executed = Path.Combine(executedFolder, Path.GetFileName(solution));
            ExecutedNotebooks.AssertLight(executed);
            var verdicts = ExecutedNotebooks.Verdicts(executed);
            int checks = ExecutedNotebooks.Checks(solution);
            Assert.True(checks >= 2, $"{Path.GetFileName(solution)} checks {checks} exercises; each notebook has two or three");
            Assert.Equal(ExecutedNotebooks.Checks(Path.Combine(Workbook.Root, "notebooks", Path.GetFileName(solution))), checks);
            Assert.Equal(checks, verdicts.Count);
            Assert.All(verdicts, verdict => Assert.Contains(": right.", verdict));
        }
        // Last, as it may be skipped where there is no browser: every chart is a MIME bundle whose figure draws offline.
        foreach (string solution in solutions)
            output.WriteLine($"{Path.GetFileName(solution)}: {BrowserCharts.AssertEveryFigureDraws(Path.Combine(executedFolder, Path.GetFileName(solution)))} plotly figures drawn offline");
    }
}
