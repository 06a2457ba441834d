using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// Progress that updates one line in place in the notebook's output (a displayed value that
/// is replaced), instead of printing a new line per report. Outside a kernel it does nothing.
/// </summary>
public sealed class NotebookProgress<T> : IProgress<T>
{
    readonly Func<T, string> describe;
    readonly DisplayedValue? line;
    readonly System.Diagnostics.Stopwatch sinceUpdate = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>Shows <paramref name="initial"/> now; every report replaces it with <paramref name="describe"/>(value), at most every 200 ms.</summary>
    public NotebookProgress(Func<T, string> describe, string initial = "starting ...")
    {
        this.describe = describe;
        if (KernelInvocationContext.Current is { } context) line = KernelInvocationContextExtensions.Display(context, initial, PlainTextFormatter.MimeType);
    }

    public void Report(T value)
    {
        if (line is null || sinceUpdate.ElapsedMilliseconds < 200) return;
        line.Update(describe(value));
        sinceUpdate.Restart();
    }

    /// <summary>Shows the final state, whatever the throttle.</summary>
    public void Complete(string text) => line?.Update(text);
}

/// <summary>Shortcuts for progress reporters.</summary>
public static class Progress
{
    /// <summary>Progress of a pass over images: "label: done/total".</summary>
    public static NotebookProgress<(int Done, int Total)> Images(string label) =>
        new(p => $"{label}: {p.Done:N0}/{p.Total:N0} images ({(double)p.Done / p.Total:P0})", $"{label}: starting ...");

    /// <summary>Progress of a long pass, with the time left.</summary>
    public static NotebookProgress<Saliency.PassProgress> Pass(string label) => new(p => p.ToString(), $"{label}: starting ...");
}
