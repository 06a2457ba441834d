namespace ParameterSaliency.Trust;

/// <summary>
/// How alike two explanations of the same images are (SPEC §9): Spearman's ρ of the values (<c>spearman</c>) and of their
/// magnitudes (<c>spearman_abs</c>); for heatmaps the SSIM of the maps scaled to [0, 1] (<c>ssim</c>); for profiles the
/// share of the top-<see cref="TopK"/> units the two have in common (<c>topk_overlap</c>; random sets share k/n on average).
/// </summary>
public static class ExplanationSimilarity
{
    /// <summary>k of the top-k overlap of profiles, the paper's ten most salient filters.</summary>
    public const int TopK = 10;

    /// <summary>Records each metric of <paramref name="first"/>[i] against <paramref name="second"/>[i] under (test, method, step).</summary>
    /// <param name="measurements">Where the rows go.</param>
    /// <param name="test">The test.</param>
    /// <param name="method">The method compared.</param>
    /// <param name="step">The step.</param>
    /// <param name="images">Each image's index in its data set.</param>
    /// <param name="first">Explanations of the images.</param>
    /// <param name="second">Explanations of the same images to compare, the same order.</param>
    /// <param name="height">Heatmap height (for SSIM).</param>
    /// <param name="width">Heatmap width.</param>
    public static IReadOnlyList<TrustRow> Record(TrustMeasurements measurements, string test, ExplanationMethod method, int step, IReadOnlyList<int> images,
        IReadOnlyList<Explanation> first, IReadOnlyList<Explanation> second, int height, int width)
    {
        if (first.Count != images.Count || second.Count != images.Count) throw new ArgumentException("One explanation per image on each side.");
        var rows = new List<TrustRow>
        {
            measurements.Add(test, method.Name, step, "spearman", images, Pairwise(first, second, (a, b) => RankCorrelation.Spearman(a.Values, b.Values))),
            measurements.Add(test, method.Name, step, "spearman_abs", images, Pairwise(first, second, (a, b) => RankCorrelation.SpearmanOfMagnitudes(a.Values, b.Values))),
        };
        rows.Add(method.IsHeatmap
            ? measurements.Add(test, method.Name, step, "ssim", images, Pairwise(first, second, (a, b) => StructuralSimilarity.OfNormalisedMaps(a.Values, b.Values, height, width)))
            : measurements.Add(test, method.Name, step, "topk_overlap", images, Pairwise(first, second, (a, b) => TopOverlap(a.Values, b.Values, TopK))));
        return rows;
    }

    /// <summary>The share of the <paramref name="k"/> largest entries of <paramref name="first"/> that are among the <paramref name="k"/> largest of <paramref name="second"/> (ties: earlier entry first).</summary>
    /// <param name="first">One profile.</param>
    /// <param name="second">The other, the same length.</param>
    /// <param name="k">How many entries, at least 1.</param>
    public static double TopOverlap(IReadOnlyList<float> first, IReadOnlyList<float> second, int k)
    {
        if (first.Count != second.Count) throw new ArgumentException("Profiles of different lengths.");
        if (k < 1 || k > first.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"Between 1 and the {first.Count} entries.");
        static HashSet<int> Top(IReadOnlyList<float> values, int k) => Enumerable.Range(0, values.Count).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).ToHashSet();
        var top = Top(first, k);
        top.IntersectWith(Top(second, k));
        return (double)top.Count / k;
    }

    static double[] Pairwise(IReadOnlyList<Explanation> first, IReadOnlyList<Explanation> second, Func<Explanation, Explanation, double> measure) =>
        first.Select((a, i) => measure(a, second[i])).ToArray();
}
