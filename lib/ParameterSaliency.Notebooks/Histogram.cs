namespace ParameterSaliency.Notebooks;

/// <summary>Equal-width histogram bins, counted in C# so that a chart carries counts instead of every value.</summary>
public static class Histogram
{
    /// <summary>The first edge and the width of <paramref name="bins"/> equal bins spanning [min, max] of <paramref name="values"/> (width 1 when all are equal).</summary>
    /// <param name="values">Values the bins span; at least one.</param>
    /// <param name="bins">Number of bins, at least 1.</param>
    public static (double Start, double Width) Bins(IReadOnlyList<double> values, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin.");
        if (values.Count == 0) throw new ArgumentException("No values to bin.", nameof(values));
        double min = values.Min(), max = values.Max();
        return max > min ? (min, (max - min) / bins) : (min - 0.5, 1.0 / bins);
    }

    /// <summary>How many <paramref name="values"/> fall in each bin [start + b·width, start + (b+1)·width); the maximum goes into the last bin.</summary>
    /// <param name="values">Values to count; those outside the bins are skipped.</param>
    /// <param name="start">Left edge of the first bin.</param>
    /// <param name="width">Bin width, positive.</param>
    /// <param name="bins">Number of bins.</param>
    public static long[] Counts(IEnumerable<double> values, double start, double width, int bins)
    {
        if (!(width > 0)) throw new ArgumentOutOfRangeException(nameof(width), width, "A positive bin width.");
        var counts = new long[bins];
        foreach (double value in values)
        {
            int bin = (int)Math.Floor((value - start) / width);
            if (bin == bins && value <= start + bins * width * (1 + 1e-12)) bin = bins - 1;
            if (bin >= 0 && bin < bins) counts[bin]++;
        }
        return counts;
    }
}
