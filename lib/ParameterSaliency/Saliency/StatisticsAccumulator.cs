using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Running per-entry mean and sum of squared deviations (M2) of profiles, in float64, merged
/// batch by batch with Chan et al.'s parallel update, so shards computed anywhere merge to the
/// same μ and σ as one pass.
/// </summary>
public sealed class StatisticsAccumulator
{
    double[] mean;
    double[] m2;

    /// <summary>An empty accumulator for profiles of <paramref name="length"/> entries.</summary>
    /// <param name="length">Entries per profile, F.</param>
    public StatisticsAccumulator(int length)
    {
        mean = new double[length];
        m2 = new double[length];
    }

    internal StatisticsAccumulator(double[] mean, double[] m2, long count)
    {
        this.mean = mean;
        this.m2 = m2;
        Count = count;
    }

    /// <summary>Profiles seen.</summary>
    public long Count { get; private set; }
    /// <summary>Entries per profile.</summary>
    public int Length => mean.Length;
    /// <summary>μ: the per-entry mean.</summary>
    public IReadOnlyList<double> Mean => mean;
    /// <summary>Per-entry sum of squared deviations from the mean.</summary>
    public IReadOnlyList<double> M2 => m2;

    /// <summary>Adds a batch of profiles [N, Length].</summary>
    /// <param name="profiles">Profiles s [N, <see cref="Length"/>], any dtype and device; accumulated in float64 on the CPU.</param>
    public void Add(Tensor profiles)
    {
        if (profiles.dim() != 2 || profiles.shape[1] != Length)
            throw new ArgumentException($"Expected profiles [N, {Length}]; got [{string.Join(", ", profiles.shape)}].");
        long n = profiles.shape[0];
        if (n == 0) return;
        using var scope = NewDisposeScope();
        var values = profiles.detach().cpu().to(ScalarType.Float64);
        var batchMean = values.mean([0]);
        var batchM2 = (values - batchMean).square().sum([0]);
        Merge(batchMean.data<double>().ToArray(), batchM2.data<double>().ToArray(), n);
    }

    /// <summary>Adds another accumulator's profiles (Chan et al.'s merge).</summary>
    /// <param name="other">Accumulator of the same <see cref="Length"/> whose profiles are added; it is not changed.</param>
    public void Merge(StatisticsAccumulator other)
    {
        if (other.Length != Length) throw new ArgumentException($"Cannot merge statistics of {other.Length} entries into statistics of {Length}.");
        Merge(other.mean, other.m2, other.Count);
    }

    void Merge(double[] otherMean, double[] otherM2, long otherCount)
    {
        if (otherCount == 0) return;
        long total = Count + otherCount;
        for (int i = 0; i < mean.Length; i++)
        {
            double delta = otherMean[i] - mean[i];
            mean[i] += delta * otherCount / total;
            m2[i] += otherM2[i] + delta * delta * Count * otherCount / total;
        }
        Count = total;
    }

    /// <summary>σ: the per-entry SAMPLE standard deviation sqrt(M2 / (N - 1)).</summary>
    public double[] SampleStd()
    {
        if (Count < 2) throw new InvalidOperationException($"A sample standard deviation needs at least 2 profiles; have {Count}.");
        return m2.Select(v => Math.Sqrt(v / (Count - 1))).ToArray();
    }
}
