namespace ParameterSaliency.Hypotheses;

/// <summary>Options of <see cref="SaliencyHypothesis"/>.</summary>
public sealed record HypothesisOptions
{
    /// <summary>Random relabellings per test (default 2,000; fewer possible relabellings are enumerated exactly).</summary>
    public int Permutations { get; init; } = 2000;
    /// <summary>False discovery rate (default 0.05, Benjamini-Hochberg over all filters).</summary>
    public double Alpha { get; init; } = 0.05;
    /// <summary>
    /// Smallest |effect size| (Cohen's d) a discovery needs besides q ≤ <see cref="Alpha"/> (default 0.5, Cohen's
    /// "medium"; 0: q alone). Filters are strongly correlated: in one of 20 random splits of 60 images of one class, the
    /// ~10 images on which a block of layer4 filters is slightly active all fell into one half (a 0.1% event per filter),
    /// and q alone called 1,105 filters different at d ≈ 0.35-0.40.
    /// </summary>
    public double MinimumEffect { get; init; } = 0.5;
    /// <summary>Seed of the relabellings and of the random images of <see cref="SaliencyHypothesis.Test"/>.</summary>
    public int Seed { get; init; }
    /// <summary>Most random images profiled per class as the pool of <see cref="SaliencyHypothesis.Test"/> (default 200).</summary>
    public int PoolPerClass { get; init; } = 200;

    internal void Validate()
    {
        if (Permutations < 10) throw new ArgumentOutOfRangeException(nameof(Permutations), Permutations, "At least 10 permutations.");
        if (Alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "A false discovery rate in (0, 1).");
        if (!(MinimumEffect >= 0)) throw new ArgumentOutOfRangeException(nameof(MinimumEffect), MinimumEffect, "A non-negative effect size.");
        if (PoolPerClass < 1) throw new ArgumentOutOfRangeException(nameof(PoolPerClass), PoolPerClass, "At least one image per class.");
    }
}
