namespace ParameterSaliency.Tests;

/// <summary>
/// The notebooks in real Jupyter with the .NET kernel that environment/ sets up (FSharp.Core swapped for Plotly.NET 6).
/// Its script builds the notebook library. That once re-copied and re-patched libLibTorchSharp.so in the output folder,
/// failing a notebook that loaded it at that moment; an up-to-date build now leaves it untouched (the patch keeps the
/// file's time), so this runs beside other tests.
/// </summary>
public class JupyterKernelTests
{
    [SkippableFact]
    public void Getting_started_runs_under_jupyter_nbconvert_with_a_plotly_chart()
    {
        bool haveJupyter = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "jupyter-nbconvert")));
        Skip.IfNot(haveJupyter, "Jupyter is not installed (Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel); .ci/run installs it.");
        var start = new System.Diagnostics.ProcessStartInfo("bash", "environment/run-notebooks-in-jupyter.sh notebooks/00-getting-started.ipynb")
        {
            WorkingDirectory = Workbook.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(15)), "jupyter nbconvert did not finish in 15 minutes");
        Assert.True(process.ExitCode == 0, stdout.Result + stderr.Result);
        string path = Path.Combine(Workbook.Root, "artifacts", "jupyter", "00-getting-started.ipynb");
        ExecutedNotebooks.AssertLight(path); // Jupyter writes the text/plain forms too
        string executed = File.ReadAllText(path);
        Assert.Contains("Plotly.newPlot", executed);
        Assert.DoesNotContain("\"output_type\": \"error\"", executed);
        // The confusion matrix, a MIME bundle whose figure (sent by the kernel as text, made an object by the script) draws offline.
        Assert.Equal(1, BrowserCharts.AssertEveryFigureDraws(path));
    }
}
