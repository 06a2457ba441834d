namespace ParameterSaliency.Trust;

/// <summary>
/// Spearman's rank correlation ρ of two explanations of the same image (SPEC §9): the Pearson correlation of their
/// ranks, tied values sharing the mean of the ranks they span (scipy's <c>spearmanr</c>, Quantus' similarity).
/// </summary>
public static class RankCorrelation
{
    /// <summary>ρ of <paramref name="first"/> and <paramref name="second"/>; NaN when either is constant (no ranking to compare).</summary>
    /// <param name="first">Values of one explanation (a heatmap's pixels, a profile's entries).</param>
    /// <param name="second">Values of the other, the same length and order.</param>
    public static double Spearman(IReadOnlyList<float> first, IReadOnlyList<float> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count) throw new ArgumentException($"The explanations have {first.Count} and {second.Count} values: compare explanations of the same shape.");
        if (first.Count < 2) throw new ArgumentException("A rank correlation needs at least 2 values.");
        return Pearson(Ranks(first), Ranks(second));
    }

    /// <summary>ρ of |<paramref name="first"/>| and |<paramref name="second"/>| (Adebayo et al.'s "absolute value" variant).</summary>
    /// <param name="first">Values of one explanation.</param>
    /// <param name="second">Values of the other, the same length and order.</param>
    public static double SpearmanOfMagnitudes(IReadOnlyList<float> first, IReadOnlyList<float> second) =>
        Spearman(first.Select(MathF.Abs).ToArray(), second.Select(MathF.Abs).ToArray());

    /// <summary>1-based ranks in ascending order, ties given the mean of the ranks they span (e.g. 10, 20, 20, 30 → 1, 2.5, 2.5, 4).</summary>
    /// <param name="values">Values to rank; NaN is rejected.</param>
    public static double[] Ranks(IReadOnlyList<float> values)
    {
        if (values.Any(float.IsNaN)) throw new ArgumentException("An explanation holds NaN: it cannot be ranked.");
        int[] order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double shared = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) ranks[order[i]] = shared;
            start = end + 1;
        }
        return ranks;
    }

    static double Pearson(double[] x, double[] y)
    {
        double meanX = x.Average(), meanY = y.Average(), covariance = 0, varianceX = 0, varianceY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            covariance += dx * dy;
            varianceX += dx * dx;
            varianceY += dy * dy;
        }
        return varianceX == 0 || varianceY == 0 ? double.NaN : covariance / Math.Sqrt(varianceX * varianceY);
    }
}
