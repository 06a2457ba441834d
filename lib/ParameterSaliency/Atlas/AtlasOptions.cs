namespace ParameterSaliency.Atlas;

/// <summary>Options of <see cref="FailureAtlas.Build"/>.</summary>
public sealed record AtlasOptions
{
    /// <summary>The number of clusters; null chooses it: the k in [<see cref="MinClusters"/>, <see cref="MaxClusters"/>] of largest mean cosine silhouette.</summary>
    public int? Clusters { get; init; }
    /// <summary>Smallest k tried (default 2).</summary>
    public int MinClusters { get; init; } = 2;
    /// <summary>Largest k tried (default 8).</summary>
    public int MaxClusters { get; init; } = 8;
    /// <summary>k-means restarts per k (default 8).</summary>
    public int Restarts { get; init; } = 8;
    /// <summary>Random subsets drawn per cluster for the filters' permutation p-values (default 2,000).</summary>
    public int Permutations { get; init; } = 2000;
    /// <summary>False discovery rate at which a filter counts as over-represented (default 0.05, Benjamini-Hochberg over all filters).</summary>
    public double Alpha { get; init; } = 0.05;
    /// <summary>Filters listed per cluster, largest ŝ excess first (default 10).</summary>
    public int TopFilters { get; init; } = 10;
    /// <summary>Most typical images listed per cluster: the closest to its centroid (default 6).</summary>
    public int TypicalImages { get; init; } = 6;
    /// <summary>Seed of k-means seeding and of the permutations.</summary>
    public int Seed { get; init; }

    internal void Validate(int mistakes)
    {
        if (mistakes < 4) throw new ArgumentException($"Only {mistakes} misclassified images: an atlas needs at least 4.");
        if (MinClusters < 2 || MaxClusters < MinClusters) throw new ArgumentOutOfRangeException(nameof(MinClusters), $"Clusters tried must satisfy 2 ≤ min ({MinClusters}) ≤ max ({MaxClusters}).");
        if (Clusters is int k && (k < 2 || k >= mistakes)) throw new ArgumentOutOfRangeException(nameof(Clusters), k, $"Between 2 and {mistakes - 1} clusters for {mistakes} mistakes.");
        if (Permutations < 10) throw new ArgumentOutOfRangeException(nameof(Permutations), Permutations, "At least 10 permutations.");
        if (Alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "A false discovery rate in (0, 1).");
    }
}
