namespace ParameterSaliency.InputSpace;

/// <summary>Which filters are boosted in s' (SPEC §3 step 2).</summary>
public enum BoostedFilters
{
    /// <summary>The k entries of ŝ with the largest values: the paper's method.</summary>
    TopSalient,
    /// <summary>k filters drawn uniformly with <see cref="HeatmapOptions.RandomSeed"/>: the control.</summary>
    Random,
}

/// <summary>
/// Options of the boosted-profile heatmap (paper §2.2, SPEC §3): s' boosts k entries of the
/// standardized profile ŝ by a factor, and the heatmap is the input gradient of cos(ŝ, s').
/// </summary>
public sealed record HeatmapOptions
{
    /// <summary>Number k of boosted filters (default 10).</summary>
    public int K { get; init; } = 10;
    /// <summary>Factor applied to the k entries of s' (default 100).</summary>
    public double Boost { get; init; } = 100;
    /// <summary>Top-salient filters (the method) or k random filters (the control).</summary>
    public BoostedFilters Filters { get; init; } = BoostedFilters.TopSalient;
    /// <summary>Seed of the random control's draw.</summary>
    public int RandomSeed { get; init; } = 0;
    /// <summary>Standardize as |s − μ| / σ (the paper's formula) instead of the signed (s − μ) / σ.</summary>
    public bool AbsoluteStandardization { get; init; }
    /// <summary>SmoothGrad: number of noisy copies whose gradients are averaged (0: off).</summary>
    public int SmoothGradCopies { get; init; }
    /// <summary>SmoothGrad noise σ as a fraction of the image's value range.</summary>
    public double SmoothGradNoise { get; init; } = 0.1;
    /// <summary>Seed of the SmoothGrad noise.</summary>
    public int SmoothGradSeed { get; init; } = 0;
    /// <summary>
    /// Most images per double backward when explaining many images (default 32): the batched engine's
    /// differentiable per-sample profiles explain a batch in one pass (measured on the default model: 9 ms an image
    /// at 32, 11 at 16, 30-38 one at a time). The graph holds every image's per-sample gradients, so a pass takes
    /// fewer images when the model is large (at most 2^27 gradient entries, 1 GB in float32, per pass). 1 explains
    /// one image at a time (the definition).
    /// </summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Values above this percentile are clipped to it (SPEC: 99).</summary>
    public double ClipPercentile { get; init; } = 99;
    /// <summary>Values below this percentile are raised to it (SPEC: 90).</summary>
    public double FloorPercentile { get; init; } = 90;

    /// <summary>Rejects options that would fail inside libtorch or produce nothing.</summary>
    /// <param name="filterCount">Number of filters F in the model's profile: the largest allowed k.</param>
    public void Validate(int filterCount)
    {
        if (K < 1 || K > filterCount) throw new ArgumentOutOfRangeException(nameof(K), K, $"k must lie in [1, {filterCount}] (the model's filters).");
        if (!double.IsFinite(Boost) || Boost <= 0) throw new ArgumentOutOfRangeException(nameof(Boost), Boost, "A positive, finite boost factor.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "At least one image per pass.");
        if (SmoothGradCopies < 0) throw new ArgumentOutOfRangeException(nameof(SmoothGradCopies), SmoothGradCopies, "Zero (off) or more copies.");
        if (!double.IsFinite(SmoothGradNoise) || SmoothGradNoise < 0) throw new ArgumentOutOfRangeException(nameof(SmoothGradNoise), SmoothGradNoise, "Non-negative noise.");
        if (ClipPercentile is < 0 or > 100 || FloorPercentile is < 0 or > 100 || FloorPercentile > ClipPercentile)
            throw new ArgumentOutOfRangeException(nameof(FloorPercentile), $"Percentiles must satisfy 0 ≤ floor ({FloorPercentile}) ≤ clip ({ClipPercentile}) ≤ 100.");
    }
}
