namespace ParameterSaliency.Notebooks;

/// <summary>
/// Caps the points a chart carries, so a notebook stays light on large models (ResNet-50 has 26,560 filters): a series
/// longer than <see cref="Max"/> keeps, of every run of k consecutive points, the one of largest magnitude (the
/// peaks a reader looks for), and the chart says so in its title.
/// </summary>
public static class ChartPoints
{
    /// <summary>Most points per series (default 4,000).</summary>
    public static int Max { get; set; } = 4000;

    /// <summary>The positions kept of the series <paramref name="values"/> and the run length k (1: all kept).</summary>
    /// <param name="values">Series to thin, one value per point; of each run the largest |value| is kept.</param>
    public static (int[] Kept, int Run) Choose(IReadOnlyList<float> values)
    {
        int length = values.Count;
        if (length <= Max) return (Enumerable.Range(0, length).ToArray(), 1);
        int run = (length + Max - 1) / Max;
        var kept = new List<int>(Max);
        for (int start = 0; start < length; start += run)
        {
            int best = start;
            for (int i = start + 1; i < Math.Min(length, start + run); i++)
                if (Math.Abs(values[i]) > Math.Abs(values[best])) best = i;
            kept.Add(best);
        }
        return (kept.ToArray(), run);
    }

    /// <summary>The note a capped chart's title carries; empty when nothing was dropped.</summary>
    /// <param name="run">Run length k from <see cref="Choose"/> (1: nothing dropped).</param>
    /// <param name="length">Points in the full series.</param>
    public static string Note(int run, int length) => run == 1 ? "" : $" (largest of every {run} of {length:N0} points shown)";
}
