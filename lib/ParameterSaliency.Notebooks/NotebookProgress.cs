using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// Progress that updates one line in place in the notebook's output (a displayed value that
/// is replaced), instead of printing a new line per report. Outside a kernel it does nothing.
/// </summary>
/// <typeparam name="T">Type of the reported progress values.</typeparam>
public sealed class NotebookProgress<T> : IProgress<T>
{
    readonly Func<T, string> describe;
    readonly Func<T, bool> isFinal;
    DisplayedValue? line;
    readonly System.Diagnostics.Stopwatch sinceUpdate = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>
    /// The first report shows a line; later ones replace it with <paramref name="describe"/>(value),
    /// at most every 200 ms, except the final one (<paramref name="isFinal"/>), which is always shown.
    /// Nothing is shown if nothing is reported (e.g. a result came from a cache).
    /// </summary>
    /// <param name="describe">Turns a reported value into the line shown.</param>
    /// <param name="isFinal">Says whether a value is the last report, which is always shown; null: none is.</param>
    public NotebookProgress(Func<T, string> describe, Func<T, bool>? isFinal = null)
    {
        this.describe = describe;
        this.isFinal = isFinal ?? (_ => false);
    }

    /// <summary>Shows <paramref name="value"/>: the first report displays the line, later ones replace it at most every 200 ms unless final; outside a kernel nothing is shown.</summary>
    /// <param name="value">Progress value to describe and show.</param>
    public void Report(T value)
    {
        if (line is null)
        {
            if (KernelInvocationContext.Current is { } context)
                line = KernelInvocationContextExtensions.Display(context, describe(value), PlainTextFormatter.MimeType);
            sinceUpdate.Restart();
            return;
        }
        if (sinceUpdate.ElapsedMilliseconds < 200 && !isFinal(value)) return;
        line.Update(describe(value));
        sinceUpdate.Restart();
    }
}

/// <summary>Shortcuts for progress reporters.</summary>
public static class Progress
{
    /// <summary>Steps of a long computation named as they start (e.g. the atlas's "k-means, k = 5"), shown on one line.</summary>
    /// <param name="label">Name of the computation, shown before each step.</param>
    public static NotebookProgress<string> Steps(string label) => new(step => $"{label}: {step}", _ => false);

    /// <summary>Progress of a pass over images: "label: done/total".</summary>
    /// <param name="label">Name of the pass, shown before the count.</param>
    public static NotebookProgress<(int Done, int Total)> Images(string label) =>
        new(p => $"{label}: {p.Done:N0}/{p.Total:N0} images ({(double)p.Done / p.Total:P0})", p => p.Done == p.Total);

    /// <summary>Progress of a long pass, with the time left.</summary>
    /// <param name="label">Task name shown in place of the one reported.</param>
    public static NotebookProgress<Saliency.PassProgress> Pass(string label) => new(p => (p with { Task = label }).ToString(), p => p.Done == p.Total);
}
