namespace ParameterSaliency.InputSpace;

/// <summary>
/// An input-space explanation of one image: the model-ready input, the raw input gradient g, the
/// non-negative map before post-processing (<see cref="Raw"/>) and the heatmap h in [0, 1] before
/// any display blur. All arrays are row-major ([C, H, W] or [H, W]). Numbers only: ParameterSaliency.Imaging draws it.
/// </summary>
public sealed class InputHeatmap
{
    internal InputHeatmap(string method, int label, int? sourceIndex, float[] pixels, float[] input, float[] gradient, float[] raw, float[] heatmap,
        int channels, int height, int width, IReadOnlyList<int> boostedFilters, IReadOnlyList<string> warnings,
        double clipPercentile, double floorPercentile)
    {
        Method = method;
        Label = label;
        SourceIndex = sourceIndex;
        Pixels = pixels;
        Input = input;
        Gradient = gradient;
        Raw = raw;
        Heatmap = heatmap;
        Channels = channels;
        Height = height;
        Width = width;
        BoostedFilters = boostedFilters;
        Warnings = warnings;
        ClipPercentile = clipPercentile;
        FloorPercentile = floorPercentile;
    }

    /// <summary>What produced the map, e.g. "boosted top-10 filters" or "Grad-CAM".</summary>
    public string Method { get; }
    /// <summary>The label the explanation was computed for (the true label y for profile heatmaps).</summary>
    public int Label { get; }
    /// <summary>Index of the image in its data set, when known.</summary>
    public int? SourceIndex { get; }
    /// <summary>The image's pixels in [0, 1], [C, H, W].</summary>
    public float[] Pixels { get; }
    /// <summary>The model-ready (normalised) input x, [C, H, W].</summary>
    public float[] Input { get; }
    /// <summary>The raw input gradient g = ∂ objective / ∂x, [C, H, W] (for Grad-CAM: empty).</summary>
    public float[] Gradient { get; }
    /// <summary>The non-negative map before clipping, [H, W]: |max_c g| for profile heatmaps.</summary>
    public float[] Raw { get; }
    /// <summary>The heatmap in [0, 1] after the percentile clip and floor and min-max, before any blur, [H, W].</summary>
    public float[] Heatmap { get; }
    /// <summary>Colour channels C.</summary>
    public int Channels { get; }
    /// <summary>Height H.</summary>
    public int Height { get; }
    /// <summary>Width W.</summary>
    public int Width { get; }
    /// <summary>Profile entries boosted in s' (empty for the baselines).</summary>
    public IReadOnlyList<int> BoostedFilters { get; }
    /// <summary>The percentile <see cref="Raw"/> was clipped at (100: no clip).</summary>
    public double ClipPercentile { get; }
    /// <summary>The percentile <see cref="Raw"/> was raised to (0: no floor).</summary>
    public double FloorPercentile { get; }
    /// <summary>Degenerate cases met (a zero gradient, a constant map); empty normally.</summary>
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>Position (row, column) of the largest <see cref="Raw"/> value: where the pointing game looks.</summary>
    public (int Row, int Column) Peak()
    {
        int best = 0;
        for (int p = 1; p < Raw.Length; p++) if (Raw[p] > Raw[best]) best = p;
        return (best / Width, best % Width);
    }

    /// <summary>
    /// The pointing game: 1 when the maximum of <see cref="Raw"/> lies inside <paramref name="region"/>, 0 when
    /// outside; when several pixels share the maximum (a flat, upsampled map), the share of them inside.
    /// </summary>
    /// <param name="region">Region of the image [H, W], the heatmap's size (e.g. the object's mask).</param>
    public double PointingGame(RegionMask region)
    {
        CheckShape(region);
        return Trust.Localisation.PeakShareInside(Raw, region);
    }

    /// <summary>Share of the mass of <see cref="Raw"/> inside <paramref name="region"/> (0 for an all-zero map).</summary>
    /// <param name="region">Region of the image [H, W], the heatmap's size.</param>
    public double MassShare(RegionMask region)
    {
        CheckShape(region);
        double total = Raw.Sum(v => (double)v), inside = Enumerable.Range(0, Raw.Length).Where(p => region.Pixels[p]).Sum(p => (double)Raw[p]);
        return total > 0 ? inside / total : 0;
    }

    void CheckShape(RegionMask region)
    {
        if (region.Height != Height || region.Width != Width) throw new ArgumentException($"The region is {region.Height}x{region.Width}; the heatmap {Height}x{Width}.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Method}: {Height}x{Width} heatmap of image {(SourceIndex is int i ? $"#{i}" : "(unnamed)")}, peak at {Peak()}" +
                                         (Warnings.Count > 0 ? $" ({string.Join("; ", Warnings)})" : "");
}
