using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Trust;

/// <summary>
/// How well a heatmap finds a known region, the planted cue (SPEC §9): the pointing game, relevance rank accuracy and
/// relevance mass accuracy (Arras et al. 2022, as Quantus names them).
/// </summary>
public static class Localisation
{
    /// <summary>
    /// The pointing game: whether the largest value lies inside <paramref name="region"/>. When several pixels share the
    /// largest value it is counted both ways: <c>Optimistic</c> is a hit when any of them is inside, <c>Pessimistic</c> only
    /// when all are.
    /// </summary>
    /// <param name="map">Heatmap values, row-major, the region's size.</param>
    /// <param name="region">The region the map should point into.</param>
    public static (bool Optimistic, bool Pessimistic) PointingGame(IReadOnlyList<float> map, RegionMask region)
    {
        double inside = PeakShareInside(map, region);
        return (inside > 0, inside == 1);
    }

    /// <summary>The share of the pixels holding the largest value that lie inside <paramref name="region"/> (1 or 0 without a tie).</summary>
    /// <param name="map">Heatmap values, row-major, the region's size.</param>
    /// <param name="region">The region the map should point into.</param>
    public static double PeakShareInside(IReadOnlyList<float> map, RegionMask region)
    {
        Check(map, region);
        float max = map.Max();
        var peaks = Enumerable.Range(0, map.Count).Where(p => map[p] == max).ToArray();
        return (double)peaks.Count(p => region.Pixels[p]) / peaks.Length;
    }

    /// <summary>
    /// Relevance rank accuracy: of the |region| pixels with the largest values, the share inside the region. Pixels tied
    /// at the cut share the remaining places evenly (the expectation over every order of the tie), so a flat, upsampled map
    /// is not helped or hurt by which tied pixel comes first.
    /// </summary>
    /// <param name="map">Heatmap values, row-major, the region's size.</param>
    /// <param name="region">The region, not empty.</param>
    public static double RelevanceRankAccuracy(IReadOnlyList<float> map, RegionMask region)
    {
        Check(map, region);
        if (region.Count == 0) throw new ArgumentException("The region is empty.", nameof(region));
        float cut = map.OrderByDescending(v => v).ElementAt(region.Count - 1);
        int above = 0, aboveInside = 0, tied = 0, tiedInside = 0;
        for (int p = 0; p < map.Count; p++)
        {
            if (map[p] > cut) { above++; if (region.Pixels[p]) aboveInside++; }
            else if (map[p] == cut) { tied++; if (region.Pixels[p]) tiedInside++; }
        }
        return (aboveInside + (double)(region.Count - above) * tiedInside / tied) / region.Count;
    }

    /// <summary>Relevance mass accuracy: the share of the positive values that lies inside the region (0 when no value is positive).</summary>
    /// <param name="map">Heatmap values, row-major, the region's size.</param>
    /// <param name="region">The region.</param>
    public static double RelevanceMassAccuracy(IReadOnlyList<float> map, RegionMask region)
    {
        Check(map, region);
        double inside = 0, total = 0;
        for (int p = 0; p < map.Count; p++)
        {
            if (map[p] <= 0) continue;
            total += map[p];
            if (region.Pixels[p]) inside += map[p];
        }
        return total > 0 ? inside / total : 0;
    }

    static void Check(IReadOnlyList<float> map, RegionMask region)
    {
        if (map.Count != region.Pixels.Count) throw new ArgumentException($"The map has {map.Count} values; the region {region.Height}x{region.Width}.");
        if (map.Any(float.IsNaN)) throw new ArgumentException("The map holds NaN.");
    }
}
