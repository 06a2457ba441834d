namespace ParameterSaliency.Trust;

/// <summary>
/// Efficient MPRT (Hedström et al. 2024, SPEC §9): (H(e_rand) − H(e)) / H(e), where H is the Shannon entropy (natural
/// logarithm) of the histogram of an explanation's values in <see cref="Bins"/> equal bins between its minimum and
/// maximum, e the trained model's explanation and e_rand the fully randomised model's. An explanation that depends on
/// the weights grows more disordered when they are random: higher is better, 0 means no change.
/// </summary>
public static class EfficientMprt
{
    /// <summary>Histogram bins.</summary>
    public const int Bins = 100;

    /// <summary>The metric's name in <c>sanity.csv</c>.</summary>
    public const string Metric = "empr";

    /// <summary>(H(<paramref name="randomised"/>) − H(<paramref name="trained"/>)) / H(<paramref name="trained"/>); NaN when the trained explanation's entropy is 0.</summary>
    /// <param name="trained">The trained model's explanation.</param>
    /// <param name="randomised">The fully randomised model's explanation of the same image.</param>
    public static double Of(IReadOnlyList<float> trained, IReadOnlyList<float> randomised)
    {
        double before = HistogramEntropy(trained);
        return before > 0 ? (HistogramEntropy(randomised) - before) / before : double.NaN;
    }

    /// <summary>Shannon entropy (nats) of the histogram of <paramref name="values"/> in <see cref="Bins"/> equal bins over [min, max] (the last bin closed, as numpy's); 0 for a constant explanation.</summary>
    /// <param name="values">An explanation's values.</param>
    public static double HistogramEntropy(IReadOnlyList<float> values)
    {
        double low = values.Min(), high = values.Max();
        if (!(high > low)) return 0;
        var counts = new int[Bins];
        foreach (float v in values) counts[Math.Min(Bins - 1, (int)((v - low) / (high - low) * Bins))]++;
        return -counts.Where(c => c > 0).Sum(c => (double)c / values.Count * Math.Log((double)c / values.Count));
    }
}
