namespace ParameterSaliency.Cli;

/// <summary>Progress on standard error: updated in place on a terminal, one line at a time (throttled) when redirected.</summary>
internal sealed class ConsoleProgress<T>(Func<T, string> describe, Func<T, bool>? isMilestone = null) : IProgress<T>
{
    readonly System.Diagnostics.Stopwatch sinceLine = System.Diagnostics.Stopwatch.StartNew();

    public void Report(T value)
    {
        string text = describe(value);
        bool milestone = isMilestone?.Invoke(value) ?? false;
        if (!Console.IsErrorRedirected)
        {
            Console.Error.Write("\r" + text.PadRight(Math.Max(0, Console.WindowWidth - 1)));
            if (milestone) Console.Error.WriteLine();
        }
        else if (milestone || sinceLine.Elapsed > TimeSpan.FromSeconds(30))
        {
            Console.Error.WriteLine(text);
            sinceLine.Restart();
        }
    }
}
