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

/// <summary>A value the runner assigns to a variable of the notebook's parameters cell: <c>NAME=VALUE</c>, VALUE a C# expression.</summary>
internal sealed record NotebookParameter(string Name, string Value)
{
    public static NotebookParameter Parse(string text)
    {
        int equals = text.IndexOf('=');
        string name = equals > 0 ? text[..equals].Trim() : "";
        if (name.Length == 0 || !name.All(c => char.IsLetterOrDigit(c) || c == '_') || char.IsDigit(name[0]) || equals == text.Length - 1)
            throw new FormatException($"'{text}' is not NAME=VALUE (a variable of the parameters cell, and a C# expression).");
        return new NotebookParameter(name, text[(equals + 1)..].Trim());
    }
}

/// <summary>Runs every code cell of a notebook in order in a fresh kernel, with the notebook's folder as the working directory; stops at the first failure.</summary>
internal static class NotebookExecutor
{
    public static async Task<NotebookRun> RunAsync(string path, TextWriter log, TimeSpan cellTimeout, IReadOnlyList<NotebookParameter>? parameters = null)
    {
        var document = NotebookDocument.Load(path);
        parameters ??= [];
        if (parameters.Count > 0 && !document.Cells.Any(c => NotebookDocument.IsParameterCell(c!)))
            return Fail(document, Stopwatch.StartNew(), 0, new CellFailure(path, 0, 0,
                $"parameters were given ({string.Join(", ", parameters.Select(p => p.Name))}) but no code cell is tagged \"{NotebookDocument.ParametersTag}\"."));
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
                // As papermill does: the given values go in a cell of their own right after the parameters cell, and run next.
                if (parameters.Count > 0 && NotebookDocument.IsParameterCell(cell))
                    document.Cells.Insert(i + 1, NotebookDocument.InjectedParameters(parameters));
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
