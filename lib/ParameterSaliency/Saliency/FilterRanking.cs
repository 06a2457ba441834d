namespace ParameterSaliency.Saliency;

/// <summary>The three ways of choosing k profile entries (SPEC §2): largest ŝ, smallest ŝ, or a seeded uniform draw.</summary>
public static class FilterRanking
{
    /// <summary>The k entries with the largest values, largest first; ties keep entry order (reproducible).</summary>
    /// <param name="values">Values to rank, one per profile entry (e.g. one image's row of ŝ).</param>
    /// <param name="k">Number of entries to return, in [1, values.Count].</param>
    public static int[] Top(IReadOnlyList<float> values, int k) => Ranked(values, k, descending: true);

    /// <summary>The k entries with the smallest values, smallest first; ties keep entry order.</summary>
    /// <param name="values">Values to rank, one per profile entry (e.g. one image's row of ŝ).</param>
    /// <param name="k">Number of entries to return, in [1, values.Count].</param>
    public static int[] Least(IReadOnlyList<float> values, int k) => Ranked(values, k, descending: false);

    /// <summary>k of <paramref name="length"/> entries drawn uniformly without replacement with <paramref name="seed"/>.</summary>
    /// <param name="length">Number of entries to draw from (indices 0 to length − 1).</param>
    /// <param name="k">Number of entries to draw, in [1, length].</param>
    /// <param name="seed">Seed of the <see cref="System.Random"/> shuffle: the same seed gives the same draw.</param>
    public static int[] Random(int length, int k, int seed)
    {
        CheckK(length, k);
        var order = Enumerable.Range(0, length).ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(k).ToArray();
    }

    static int[] Ranked(IReadOnlyList<float> values, int k, bool descending)
    {
        CheckK(values.Count, k);
        var order = Enumerable.Range(0, values.Count);
        var ranked = descending ? order.OrderByDescending(i => values[i]).ThenBy(i => i) : order.OrderBy(i => values[i]).ThenBy(i => i);
        return ranked.Take(k).ToArray();
    }

    static void CheckK(int length, int k)
    {
        if (k < 1 || k > length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, {length}].");
    }
}
