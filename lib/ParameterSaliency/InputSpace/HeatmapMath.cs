namespace ParameterSaliency.InputSpace;

/// <summary>
/// The post-processing of SPEC §3 step 4 and the display blur, on plain arrays so every step can be
/// checked by hand: percentiles interpolate linearly between the closest ranks (numpy's default).
/// </summary>
public static class HeatmapMath
{
    /// <summary>The <paramref name="percent"/>-th percentile of <paramref name="values"/>: rank p/100·(n−1), linear between neighbours.</summary>
    /// <param name="values">Values to rank (at least one), e.g. a raw map [H, W].</param>
    /// <param name="percent">Percentile p in [0, 100].</param>
    public static double Percentile(IReadOnlyList<float> values, double percent)
    {
        if (values.Count == 0) throw new ArgumentException("No values: the percentile of an empty map is undefined.", nameof(values));
        if (percent is < 0 or > 100 || double.IsNaN(percent)) throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentile lies in [0, 100].");
        var sorted = values.Select(v => (double)v).Order().ToArray();
        double rank = percent / 100 * (sorted.Length - 1);
        int low = (int)Math.Floor(rank), high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    /// <summary>
    /// h clipped above at its <paramref name="clipPercentile"/>-th percentile, raised below to its
    /// <paramref name="floorPercentile"/>-th, then min-max normalised to [0, 1]. A constant result
    /// (e.g. a zero gradient) gives all zeros and a warning instead of NaN.
    /// </summary>
    /// <param name="map">Raw map h, row-major [H, W].</param>
    /// <param name="clipPercentile">Percentile in [0, 100] above which values are clipped (SPEC: 99; 100: no clip).</param>
    /// <param name="floorPercentile">Percentile below which values are raised to it, at most <paramref name="clipPercentile"/> (SPEC: 90; 0: no floor).</param>
    /// <param name="warning">Set to why the result is all zeros (non-finite values, a zero gradient, a constant map); null otherwise.</param>
    public static float[] ClipFloorNormalize(IReadOnlyList<float> map, double clipPercentile, double floorPercentile, out string? warning)
    {
        if (floorPercentile > clipPercentile) throw new ArgumentException($"The floor percentile ({floorPercentile}) must not exceed the clip percentile ({clipPercentile}).");
        warning = null;
        if (map.Any(v => !float.IsFinite(v)))
        {
            warning = "the map contains NaN or infinite values; the heatmap is set to zero";
            return new float[map.Count];
        }
        double ceiling = Percentile(map, clipPercentile), floor = Percentile(map, floorPercentile);
        var clipped = map.Select(v => Math.Max(Math.Min((double)v, ceiling), floor)).ToArray();
        double min = clipped.Min(), max = clipped.Max();
        if (!(max > min))
        {
            warning = map.All(v => v == 0) ? "the gradient is zero everywhere; the heatmap is zero" : "the map is constant after clipping; the heatmap is zero";
            return new float[map.Count];
        }
        return clipped.Select(v => (float)((v - min) / (max - min))).ToArray();
    }

    /// <summary>
    /// h = |max over channels of g| for a gradient g laid out [C, H, W] (SPEC §3 step 4), or
    /// max over channels of |g| when <paramref name="absoluteFirst"/> (the vanilla-gradient convention).
    /// </summary>
    /// <param name="gradient">Input gradient g, row-major [C, H, W].</param>
    /// <param name="channels">Colour channels C.</param>
    /// <param name="height">Height H in pixels.</param>
    /// <param name="width">Width W in pixels.</param>
    /// <param name="absoluteFirst">True for max over channels of |g| (vanilla gradient); false (default) for |max over channels of g| (SPEC §3).</param>
    public static float[] ReduceChannels(IReadOnlyList<float> gradient, int channels, int height, int width, bool absoluteFirst = false)
    {
        if (gradient.Count != channels * height * width) throw new ArgumentException($"Expected {channels}x{height}x{width} values, got {gradient.Count}.");
        var map = new float[height * width];
        for (int p = 0; p < map.Length; p++)
        {
            float best = float.NegativeInfinity;
            for (int c = 0; c < channels; c++)
            {
                float v = gradient[c * map.Length + p];
                best = Math.Max(best, absoluteFirst ? Math.Abs(v) : v);
            }
            map[p] = Math.Abs(best);
        }
        return map;
    }

    /// <summary>A Gaussian blur with a (2r+1)² kernel, r = ⌈2σ⌉ capped to 1 for σ ≤ 0.8 (the 3x3 display blur), edges clamped.</summary>
    /// <param name="map">Map to blur, row-major [H, W].</param>
    /// <param name="height">Height H in pixels.</param>
    /// <param name="width">Width W in pixels.</param>
    /// <param name="sigma">Gaussian σ in pixels; not positive returns an unblurred copy.</param>
    public static float[] GaussianBlur(IReadOnlyList<float> map, int height, int width, double sigma)
    {
        if (map.Count != height * width) throw new ArgumentException($"Expected {height}x{width} values, got {map.Count}.");
        if (!(sigma > 0)) return map.ToArray();
        int radius = sigma <= 0.8 ? 1 : (int)Math.Ceiling(2 * sigma);
        var kernel = Enumerable.Range(-radius, 2 * radius + 1).Select(d => Math.Exp(-d * d / (2 * sigma * sigma))).ToArray();
        double total = kernel.Sum();
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= total;
        // Separable: rows, then columns.
        var rows = new double[map.Count];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int d = -radius; d <= radius; d++) sum += kernel[d + radius] * map[y * width + Math.Clamp(x + d, 0, width - 1)];
                rows[y * width + x] = sum;
            }
        var result = new float[map.Count];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int d = -radius; d <= radius; d++) sum += kernel[d + radius] * rows[Math.Clamp(y + d, 0, height - 1) * width + x];
                result[y * width + x] = (float)sum;
            }
        return result;
    }
}
