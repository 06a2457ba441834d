using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// What the page shows of every unit over one group of images (mistakes, or the sample of correct images), gathered chunk
/// by chunk so that no [images, units] matrix is kept: a histogram of ŝ on fixed bins, the sum of ŝ, and the images of
/// largest ŝ.
/// </summary>
internal sealed class UnitTally : IDisposable
{
    /// <summary>Lower edge of the first bin; values below it are counted in the first bin.</summary>
    public const double Lowest = -4;
    /// <summary>Width of a bin.</summary>
    public const double BinWidth = 0.5;
    /// <summary>Bins: [-4, 16) in steps of 0.5; values at or above 16 are counted in the last.</summary>
    public const int Bins = 40;

    readonly int units, keep;
    readonly Tensor counts;          // [units, Bins], int64
    readonly Tensor sums;            // [units], float64
    Tensor? topValues, topImages;    // [≤ keep, units]: the largest ŝ of each unit so far, and their data-set indices
    long images;

    public UnitTally(int units, int keep)
    {
        this.units = units;
        this.keep = keep;
        counts = zeros(units, Bins, dtype: ScalarType.Int64).DetachFromDisposeScope();
        sums = zeros(units, dtype: ScalarType.Float64).DetachFromDisposeScope();
    }

    /// <summary>Images added so far.</summary>
    public long Images => images;

    /// <summary>Adds the rows ŝ [B, units] of the images at data-set <paramref name="indices"/>.</summary>
    public void Add(Tensor z, IReadOnlyList<int> indices)
    {
        if (z.shape[0] != indices.Count || z.shape[1] != units) throw new ArgumentException($"Expected ŝ [{indices.Count}, {units}]; got [{string.Join(", ", z.shape)}].");
        using var scope = NewDisposeScope();
        using Scalar lowest = Lowest, width = BinWidth, first = 0, last = Bins - 1;
        var bins = z.to(ScalarType.Float64).sub(lowest).div(width).floor().clamp(first, last).to(ScalarType.Int64).t().contiguous();
        counts.scatter_add_(1, bins, ones_like(bins));
        sums.add_(z.to(ScalarType.Float64).sum(dim: 0));
        var rowsOf = tensor(indices.Select(i => (long)i).ToArray()).unsqueeze(1).expand(indices.Count, units);
        var values = topValues is null ? z.to(ScalarType.Float32) : cat([topValues, z.to(ScalarType.Float32)]);
        var owners = topImages is null ? rowsOf : cat([topImages, rowsOf]);
        var (best, at) = values.topk((int)Math.Min(keep, values.shape[0]), dim: 0);
        var kept = owners.gather(0, at);
        topValues?.Dispose();
        topImages?.Dispose();
        topValues = best.DetachFromDisposeScope();
        topImages = kept.DetachFromDisposeScope();
        images += indices.Count;
    }

    /// <summary>The histogram of ŝ of <paramref name="unit"/>, <see cref="Bins"/> counts.</summary>
    public long[] Histogram(int unit)
    {
        using var scope = NewDisposeScope();
        return counts[unit].data<long>().ToArray();
    }

    /// <summary>Mean ŝ of <paramref name="unit"/> over the images added (NaN for none).</summary>
    public double Mean(int unit)
    {
        if (images == 0) return double.NaN;
        using var scope = NewDisposeScope();
        return sums[unit].item<double>() / images;
    }

    /// <summary>The data-set indices and ŝ of the images of largest ŝ on <paramref name="unit"/>, largest first.</summary>
    public IReadOnlyList<(int Image, float Z)> Largest(int unit)
    {
        if (topValues is null || topImages is null) return [];
        using var scope = NewDisposeScope();
        float[] values = topValues[.., unit].data<float>().ToArray();
        long[] owners = topImages[.., unit].data<long>().ToArray();
        return owners.Select((owner, r) => ((int)owner, values[r])).ToArray();
    }

    public void Dispose()
    {
        counts.Dispose();
        sums.Dispose();
        topValues?.Dispose();
        topImages?.Dispose();
    }
}
