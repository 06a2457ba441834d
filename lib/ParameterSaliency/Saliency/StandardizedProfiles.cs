using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Standardized profiles ŝ = (s - μ) / σ (signed, as the authors' code) or |s - μ| / σ (the
/// paper's Appendix A.1 formula), with any σ ≤ 1e-14 treated as 1. <see cref="Values"/> is
/// [N, F], float32, on the CPU; <see cref="Raw"/> keeps s.
/// </summary>
public sealed class StandardizedProfiles : IDisposable
{
    /// <summary>σ at or below this counts as zero and is replaced by 1.</summary>
    public const double MinStd = 1e-14;

    StandardizedProfiles(SaliencyProfiles raw, Tensor values, bool absolute)
    {
        Raw = raw;
        Values = values.DetachFromDisposeScope();
        Absolute = absolute;
    }

    /// <summary>The unstandardized profiles s.</summary>
    public SaliencyProfiles Raw { get; }
    /// <summary>ŝ, one row per image.</summary>
    public Tensor Values { get; }
    /// <summary>Whether ŝ = |s - μ| / σ rather than (s - μ) / σ.</summary>
    public bool Absolute { get; }
    /// <summary>Number of images.</summary>
    public int Count => Raw.Count;
    /// <summary>What each entry means.</summary>
    public ProfileLayout Layout => Raw.Layout;

    /// <summary>Standardizes <paramref name="profiles"/> with <paramref name="statistics"/>; the statistics' σ is not modified.</summary>
    /// <param name="profiles">Raw profiles s [N, F] to standardize (kept as <see cref="Raw"/>).</param>
    /// <param name="statistics">μ and σ [F] of the same aggregation and entries; σ ≤ <see cref="MinStd"/> is used as 1.</param>
    /// <param name="absolute">True: ŝ = |s − μ| / σ (the paper's formula); false (default): the signed (s − μ) / σ (the authors' code).</param>
    public static StandardizedProfiles Of(SaliencyProfiles profiles, SaliencyStatistics statistics, bool absolute = false)
    {
        if (profiles.Layout.Aggregation != statistics.Aggregation || profiles.Layout.Length != statistics.EntryNames.Count
            || (statistics.Aggregation != Aggregation.ParameterWise && !profiles.Layout.EntryNames.SequenceEqual(statistics.EntryNames)))
            throw new ArgumentException($"The statistics ({statistics}) do not describe these profiles ({profiles}): other entries or aggregation.");
        using var scope = NewDisposeScope();
        var mean = tensor(statistics.Mean.ToArray(), ScalarType.Float64);
        var std = tensor(statistics.Std.Select(s => s <= MinStd ? 1.0 : s).ToArray(), ScalarType.Float64);
        var deviation = profiles.Values.to(ScalarType.Float64) - mean;
        if (absolute) deviation = deviation.abs();
        var z = (deviation / std).to(ScalarType.Float32);
        return new StandardizedProfiles(profiles, z, absolute);
    }

    /// <summary>The k entries of image <paramref name="index"/> with the largest ŝ (most salient first).</summary>
    /// <param name="index">Row (image) index in [0, <see cref="Count"/>).</param>
    /// <param name="k">Number of entries, in [1, <see cref="ProfileLayout.Length"/>]; default 10.</param>
    public SalientFilterTable Top(int index, int k = 10) => Select(index, k, descending: true, "most salient");

    /// <summary>The k entries of image <paramref name="index"/> with the smallest ŝ (least salient first).</summary>
    /// <param name="index">Row (image) index in [0, <see cref="Count"/>).</param>
    /// <param name="k">Number of entries, in [1, <see cref="ProfileLayout.Length"/>]; default 10.</param>
    public SalientFilterTable Least(int index, int k = 10) => Select(index, k, descending: false, "least salient");

    /// <summary>k entries of image <paramref name="index"/> drawn uniformly without replacement with <paramref name="seed"/> (a control).</summary>
    /// <param name="index">Row (image) index in [0, <see cref="Count"/>).</param>
    /// <param name="k">Number of entries to draw, in [1, <see cref="ProfileLayout.Length"/>].</param>
    /// <param name="seed">Seed of the uniform draw: the same seed gives the same entries.</param>
    public SalientFilterTable Random(int index, int k, int seed)
    {
        CheckArguments(index, k);
        return Table(index, FilterRanking.Random(Layout.Length, k, seed), $"{k} random {Layout.EntryNoun}s (seed {seed})");
    }

    SalientFilterTable Select(int index, int k, bool descending, string what)
    {
        CheckArguments(index, k);
        float[] row = Values[index].data<float>().ToArray();
        return Table(index, descending ? FilterRanking.Top(row, k) : FilterRanking.Least(row, k), $"{k} {what} {Layout.EntryNoun}s");
    }

    SalientFilterTable Table(int index, int[] entries, string what)
    {
        float[] z = Values[index].data<float>().ToArray();
        float[] s = Raw.Row(index);
        var rows = entries.Select((entry, rank) =>
        {
            var filter = Layout.IsUnitWise ? Layout.Filters[entry] : null;
            return new SalientFilter(rank + 1, entry, Layout.EntryName(entry), filter?.Layer ?? Layout.EntryName(entry), filter?.Channel ?? -1, s[entry], z[entry]);
        }).ToArray();
        return new SalientFilterTable($"Image #{Raw.SourceIndices[index]} (true label {Raw.Labels[index]}): {what}", rows, Layout.EntryNoun);
    }

    /// <summary>For every image, in which parameter tensor (layer) its top-<paramref name="k"/> entries lie: counts per segment, summed over images.</summary>
    /// <param name="k">Entries counted per image (its top k by ŝ), in [1, <see cref="ProfileLayout.Length"/>]; default 10.</param>
    public IReadOnlyDictionary<string, int> TopLayerCounts(int k = 10)
    {
        var counts = Layout.Segments.ToDictionary(s => s.Parameter, _ => 0);
        for (int i = 0; i < Count; i++)
            foreach (int entry in Top(i, k).Indices)
                counts[Layout.Segments.Last(s => s.Offset <= entry).Parameter]++;
        return counts;
    }

    /// <summary>The largest ŝ of every image: how far its most salient filter stands out.</summary>
    public float[] MaxPerImage() => Values.amax([1]).data<float>().ToArray();

    void CheckArguments(int index, int k)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in [0, {Count}).");
        if (k < 1 || k > Layout.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, {Layout.Length}].");
    }

    /// <inheritdoc/>
    public void Dispose() => Values.Dispose();

    /// <summary>How many profiles ŝ, of how many entries, by which definition.</summary>
    public override string ToString() => $"{Count} standardized {Layout.Aggregation} profiles ŝ = {(Absolute ? "|s − μ| / σ" : "(s − μ) / σ")} of {Layout.Length} entries";
}
