using ParameterSaliency.Atlas;
using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Imaging;

/// <summary>Options of <see cref="Explorer.Write"/>: how much of each mistake the page shows, and which caches it may reuse.</summary>
public sealed record ExplorerOptions
{
    /// <summary>Units listed per mistake: the k largest entries of ŝ (default 10, the paper's top-k).</summary>
    public int TopUnits { get; init; } = 10;
    /// <summary>Neighbours per mistake in each space, saliency and pixel, the mistake itself not counted (default 8).</summary>
    public int Neighbours { get; init; } = 8;
    /// <summary>At most this many mistakes, the first ones of the data set; null (default) for every mistake.</summary>
    public int? MostMistakes { get; init; }
    /// <summary>Correctly classified images profiled as the reference of a unit's ŝ over mistakes (default 1,000, drawn with <see cref="Seed"/>).</summary>
    public int CorrectSample { get; init; } = 1000;
    /// <summary>Mistakes per detail file of the page, loaded when one of them is opened (default 100): the page's first load does not grow with the data set.</summary>
    public int MistakesPerChunk { get; init; } = 100;
    /// <summary>Seed of the correct-image sample, the random-units control heatmap and the atlas.</summary>
    public int Seed { get; init; }
    /// <summary>The boosted heatmap's options; its control boosts <see cref="HeatmapOptions.K"/> random units instead.</summary>
    public HeatmapOptions Heatmap { get; init; } = new();
    /// <summary>Options of the failure atlas (the failure modes); its permutations default to 500 here, as the page lists filters, not p-values.</summary>
    public AtlasOptions Atlas { get; init; } = new() { Permutations = 500 };
    /// <summary>The classification cache (<c>EvaluationCache</c>) to reuse or write; null classifies without caching.</summary>
    public string? EvaluationCache { get; init; }
    /// <summary>The saliency index cache (<c>SaliencyIndex.LoadOrBuild</c>) to reuse or write; null builds the index without caching.</summary>
    public string? SaliencyIndexCache { get; init; }
    /// <summary>A folder written by <c>saliency sanity</c> (its <c>images.csv</c> and <c>sanity.md</c>): each mistake it measured shows its values; null for none.</summary>
    public string? SanityFolder { get; init; }
    /// <summary>The page's title; null: the model and the data set.</summary>
    public string? Title { get; init; }

    internal void Validate()
    {
        if (TopUnits < 1) throw new ArgumentOutOfRangeException(nameof(TopUnits), TopUnits, "At least one unit per mistake.");
        if (Neighbours < 1) throw new ArgumentOutOfRangeException(nameof(Neighbours), Neighbours, "At least one neighbour per mistake.");
        if (MostMistakes is < 1) throw new ArgumentOutOfRangeException(nameof(MostMistakes), MostMistakes, "At least one mistake, or null for all.");
        if (CorrectSample < 0) throw new ArgumentOutOfRangeException(nameof(CorrectSample), CorrectSample, "Zero or more correct images.");
        if (MistakesPerChunk < 1) throw new ArgumentOutOfRangeException(nameof(MistakesPerChunk), MistakesPerChunk, "At least one mistake per file.");
        if (SanityFolder is not null && !File.Exists(Path.Combine(SanityFolder, "images.csv")))
            throw new ArgumentException($"The sanity folder '{SanityFolder}' holds no images.csv (written by 'saliency sanity --out').");
    }
}
