namespace ParameterSaliency.FineTuning;

/// <summary>Which filters one fine-tuning step may change (paper §3.3, Table 1).</summary>
public enum FilterChoice
{
    /// <summary>The k filters with the largest ŝ of the sample.</summary>
    TopSalient,
    /// <summary>The k filters with the smallest ŝ of the sample.</summary>
    LeastSalient,
    /// <summary>k filters drawn uniformly (one seed per trial).</summary>
    Random,
    /// <summary>Every convolution filter.</summary>
    All,
}

/// <summary>Options of the fine-tuning experiment (SPEC §5 defaults).</summary>
public sealed record FineTuningOptions
{
    /// <summary>Filters per subset; null: 0.4% of the model's filters, rounded up (5 of 1,200).</summary>
    public int? K { get; init; }
    /// <summary>SGD step size for the top, least and random subsets.</summary>
    public double SubsetStepSize { get; init; } = 1e-3;
    /// <summary>SGD step size for "all filters".</summary>
    public double AllStepSize { get; init; } = 1e-4;
    /// <summary>Seeds of the random subsets (mean ± std over them).</summary>
    public int RandomSeeds { get; init; } = 10;
    /// <summary>Neighbours n in saliency space, the sample included.</summary>
    public int Neighbors { get; init; } = 10;
    /// <summary>Step sizes Table 2 sweeps for "all filters".</summary>
    public IReadOnlyList<double> Table2StepSizes { get; init; } = [1e-3, 1e-4, 5e-5];
    /// <summary>Subset step sizes the step sweep runs top-k, least-k and k random at (K against the step, a check free of any one step).</summary>
    public IReadOnlyList<double> SweepStepSizes { get; init; } = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

    /// <summary>k for a model with <paramref name="filterCount"/> filters.</summary>
    /// <param name="filterCount">Number of convolution filters F of the model.</param>
    public int KFor(int filterCount) => K ?? (int)Math.Ceiling(0.004 * filterCount);

    /// <summary>Rejects options that cannot run.</summary>
    /// <param name="filterCount">Number of convolution filters F of the model.</param>
    public void Validate(int filterCount)
    {
        int k = KFor(filterCount);
        if (k < 1 || k > filterCount) throw new ArgumentOutOfRangeException(nameof(K), k, $"k must lie in [1, {filterCount}].");
        if (SweepStepSizes.Count == 0) throw new ArgumentException("The step sweep needs at least one step size.", nameof(SweepStepSizes));
        foreach (double step in Table2StepSizes.Concat(SweepStepSizes).Append(SubsetStepSize).Append(AllStepSize))
            if (!(step > 0) || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(SubsetStepSize), step, "Step sizes must be positive and finite.");
        if (RandomSeeds < 1) throw new ArgumentOutOfRangeException(nameof(RandomSeeds), RandomSeeds, "At least one random seed.");
        if (Neighbors < 1) throw new ArgumentOutOfRangeException(nameof(Neighbors), Neighbors, "At least one neighbour (the sample itself).");
    }
}
