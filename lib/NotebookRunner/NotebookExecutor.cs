using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Commands;

namespace NotebookRunner;

/// <summary>Where a notebook run stopped: the 1-based cell number (all cells counted, markdown too) and the error.</summary>
internal sealed record CellFailure(string Notebook, int CellNumber, int CodeCellNumber, string Error)
{
    public override string ToString() => $"{Notebook}: cell {CellNumber} (code cell {CodeCellNumber}) failed:{Environment.NewLine}{Error}";
}

/// <summary>The outcome of one notebook: the executed document, how long it took, and the failure if any.</summary>
internal sealed record NotebookRun(NotebookDocument Executed, TimeSpan Duration, int CodeCells, CellFailure? Failure);

/// <summary>Runs every code cell of a notebook in order in a fresh kernel, with the notebook's folder as the working directory; stops at the first failure.</summary>
internal static class NotebookExecutor
{
    public static async Task<NotebookRun> RunAsync(string path, TextWriter log, TimeSpan cellTimeout)
    {
        var document = NotebookDocument.Load(path);
        string previousDirectory = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var clock = Stopwatch.StartNew();
        int codeCells = 0;
        try
        {
            using var kernel = KernelFactory.Create();
            for (int i = 0; i < document.Cells.Count; i++)
            {
                var cell = document.Cells[i]!;
                if (NotebookDocument.CellType(cell) != "code") continue;
                codeCells++;
                string language = NotebookDocument.Language(cell);
                if (language != "csharp")
                    return Fail(document, clock, codeCells, new CellFailure(path, i + 1, codeCells, $"cell language '{language}' is not supported (C# only)."));
                var cellClock = Stopwatch.StartNew();
                var outputs = new CellOutputs();
                var submission = new SubmitCode(NotebookDocument.Source(cell), language);
                var run = kernel.SendAsync(submission);
                if (await Task.WhenAny(run, Task.Delay(cellTimeout)) != run)
                {
                    cell["outputs"] = outputs.ToJson();
                    return Fail(document, clock, codeCells, new CellFailure(path, i + 1, codeCells, $"timed out after {cellTimeout.TotalSeconds:F0} s."));
                }
                foreach (var kernelEvent in run.Result.Events) outputs.Add(kernelEvent, codeCells);
                cell["outputs"] = outputs.ToJson();
                cell["execution_count"] = codeCells;
                log.WriteLine($"  cell {i + 1,3} (code {codeCells,2}) {cellClock.Elapsed.TotalSeconds,6:F1} s{(outputs.Error is null ? "" : "  FAILED")}");
                if (outputs.Error is not null)
                    return Fail(document, clock, codeCells, new CellFailure(path, i + 1, codeCells, outputs.Error));
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDirectory);
        }
        return new NotebookRun(document, clock.Elapsed, codeCells, null);
    }

    static NotebookRun Fail(NotebookDocument document, Stopwatch clock, int codeCells, CellFailure failure) =>
        new(document, clock.Elapsed, codeCells, failure);
}
