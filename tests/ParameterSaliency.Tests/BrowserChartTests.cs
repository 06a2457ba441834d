using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// Charts drawn where readers open the notebooks, with no network beyond this machine: Jupyter's classic Notebook
/// (Debian's python3-notebook) through its UI, and nbconvert's page made by environment/share-notebook.sh. VS Code's
/// and JupyterLab's way (the plotly MIME type) is checked on every executed notebook by the notebook tests
/// (<see cref="BrowserCharts.AssertEveryFigureDraws"/>). Its scripts build the notebook library, which leaves an
/// up-to-date build untouched (the patched libLibTorchSharp.so keeps its time), so it runs beside other tests.
/// </summary>
[ExpectedSeconds(63)]
public class BrowserChartTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void The_classic_Notebook_draws_every_chart_of_01_profiling_offline()
    {
        Skip.IfNot(BrowserCharts.OnPath("jupyter-notebook"), "Jupyter's classic Notebook is not installed (Debian: apt-get install python3-notebook); .ci/run installs it.");
        Skip.If(BrowserCharts.WhyNot is not null, BrowserCharts.WhyNot);
        string screenshot = Path.Combine(Workbook.Root, "artifacts", "browser", "classic-notebook-01-profiling.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        var run = Workbook.RunProgram("bash", $"tests/browser/classic-notebook.sh notebooks/01-profiling.ipynb \"{screenshot}\"", timeout: TimeSpan.FromMinutes(20));
        var result = BrowserCharts.LastJsonLine(run.Output + "\n" + run.Error);
        output.WriteLine($"classic Notebook, 01-profiling: {result.ToJsonString()}");
        Assert.True(run.ExitCode == 0, $"{result.ToJsonString()}\n{run.Error}");
        Assert.Equal(14, result["cells"]!.GetValue<int>());
        Assert.Equal(5, result["charts"]!.GetValue<int>()); // the notebook shows five charts
        Assert.Equal(5, result["drawn"]!.GetValue<int>());
        Assert.Empty(result["errors"]!.AsArray());
        Assert.Empty(result["pageErrors"]!.AsArray());
        Assert.True(File.Exists(screenshot), "no screenshot");
    }

    [SkippableFact]
    public void The_page_share_notebook_makes_draws_every_chart_offline()
    {
        Skip.IfNot(BrowserCharts.OnPath("jupyter-nbconvert"), "Jupyter's nbconvert is not installed (Debian: apt-get install jupyter-nbconvert); .ci/run installs it.");
        Skip.IfNot(BrowserCharts.OnPath("chromium"), "Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it.");
        string folder = Directory.CreateTempSubdirectory().FullName;
        var executed = Workbook.Run(Workbook.Output("NotebookRunner", "NotebookRunner.dll"), $"notebooks/01-profiling.ipynb --out \"{folder}\"");
        Assert.True(executed.ExitCode == 0, executed.Output + executed.Error);
        int figures = BrowserCharts.AssertEveryFigureDraws(Path.Combine(folder, "01-profiling.ipynb"));
        Assert.Equal(5, figures);
        string pages = Path.Combine(folder, "pages");
        var share = Workbook.RunProgram("bash", $"environment/share-notebook.sh \"{folder}/01-profiling.ipynb\" --output-dir \"{pages}\"");
        Assert.True(share.ExitCode == 0, share.Output + share.Error);
        string page = Path.Combine(pages, "01-profiling.html");
        string offline = "--headless --no-sandbox --disable-gpu --host-resolver-rules=\"MAP * ~NOTFOUND\" --proxy-server=127.0.0.1:9 --virtual-time-budget=15000";
        var dom = Workbook.RunProgram("chromium", $"{offline} --dump-dom \"file://{page}\"", folder, TimeSpan.FromMinutes(2));
        int drawn = dom.Output.Split("class=\"plot-container plotly\"").Length - 1;
        output.WriteLine($"nbconvert page of 01-profiling (share-notebook.sh), offline: {drawn} of {figures} charts drawn, {new FileInfo(page).Length:N0} bytes");
        Assert.Equal(figures, drawn);
    }
}
