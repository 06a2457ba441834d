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
    readonly Func<T, bool> isFinal;
    DisplayedValue? line;
    readonly System.Diagnostics.Stopwatch sinceUpdate = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>
    /// The first report shows a line; later ones replace it with <paramref name="describe"/>(value),
    /// at most every 200 ms, except the final one (<paramref name="isFinal"/>), which is always shown.
    /// Nothing is shown if nothing is reported (e.g. a result came from a cache).
    /// </summary>
    public NotebookProgress(Func<T, string> describe, Func<T, bool>? isFinal = null)
    {
        this.describe = describe;
        this.isFinal = isFinal ?? (_ => false);
    }

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
    public static NotebookProgress<string> Steps(string label) => new(step => $"{label}: {step}", _ => false);

    /// <summary>Progress of a pass over images: "label: done/total".</summary>
    public static NotebookProgress<(int Done, int Total)> Images(string label) =>
        new(p => $"{label}: {p.Done:N0}/{p.Total:N0} images ({(double)p.Done / p.Total:P0})", p => p.Done == p.Total);

    /// <summary>Progress of a long pass, with the time left.</summary>
    public static NotebookProgress<Saliency.PassProgress> Pass(string label) => new(p => (p with { Task = label }).ToString(), p => p.Done == p.Total);
}
