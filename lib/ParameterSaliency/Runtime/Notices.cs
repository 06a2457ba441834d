namespace ParameterSaliency.Runtime;

/// <summary>
/// Where the library says what is neither a result nor an error: a cache it recomputes and why, another process
/// it waits for, a fallback from the batched engine to the loop, a download. The library writes nothing to the
/// console itself; the caller chooses: the command-line tool and the notebooks send notices to standard error,
/// a program that sets nothing hears nothing. Methods that take a <c>log</c> writer use it instead.
/// </summary>
public static class Notices
{
    /// <summary>The writer notices go to (default: none).</summary>
    public static TextWriter Writer { get; set; } = TextWriter.Null;
}
