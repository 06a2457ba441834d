namespace ParameterSaliency.Hypotheses;

/// <summary>The Benjamini-Hochberg procedure: control of the false discovery rate over many tests (one per filter).</summary>
public static class FalseDiscovery
{
    /// <summary>
    /// BH-adjusted p-values (q-values): with p sorted ascending, q_(i) = min over j ≥ i of p_(j)·m/j, capped at 1, returned
    /// in the input order. Rejecting every test with q ≤ α controls the false discovery rate at α for independent or
    /// positively dependent tests.
    /// </summary>
    /// <param name="pValues">p-values of the m tests, each in [0, 1], in any order.</param>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        if (pValues.Any(p => double.IsNaN(p) || p < 0 || p > 1)) throw new ArgumentException("p-values lie in [0, 1].", nameof(pValues));
        int[] order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var q = new double[m];
        double running = 1;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            running = Math.Min(running, pValues[i] * m / rank);
            q[i] = running;
        }
        return q;
    }
}
