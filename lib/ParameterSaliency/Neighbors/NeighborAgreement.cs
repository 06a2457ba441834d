using System.Globalization;
using System.Text;
using ParameterSaliency.Evaluation;

namespace ParameterSaliency.Neighbors;

/// <summary>
/// The paper's §3.2 claim as a number: for every misclassified image, the share of its n nearest
/// neighbours (itself excluded) misclassified the same way, i.e. with the same (true, predicted) pair
/// or its reverse, in saliency space and in pixel space. Also ranks samples as Appendix D does.
/// </summary>
public static class NeighborAgreement
{
    /// <summary>Measures every misclassified image of <paramref name="report"/> with <paramref name="n"/> neighbours in each index.</summary>
    /// <param name="saliency">Saliency-space index (ŝ) of the data set <paramref name="report"/> evaluates.</param>
    /// <param name="pixel">Pixel-space index of the same data set.</param>
    /// <param name="report">Evaluation of the model on the data set: labels, predictions and misclassified images.</param>
    /// <param name="n">Neighbours counted per image, itself excluded (default 10).</param>
    public static AgreementReport Measure(SaliencyIndex saliency, SaliencyIndex pixel, EvaluationReport report, int n = 10)
    {
        if (saliency.Count != report.Labels.Count || pixel.Count != report.Labels.Count)
            throw new ArgumentException($"The indexes ({saliency.Count:N0} and {pixel.Count:N0} images) and the evaluation ({report.Labels.Count:N0}) must cover the same data set.");
        if (!saliency.Labels.SequenceEqual(report.Labels)) throw new ArgumentException("The saliency index was built over other images than the evaluation report.");
        var queries = report.Misclassified;
        if (queries.Count == 0) throw new ArgumentException("The model makes no mistake on this data set: there is nothing to measure.");
        var inSaliency = saliency.Neighbors(queries, n + 1);
        var inPixels = pixel.Neighbors(queries, n + 1);
        var rows = queries.Select((q, k) =>
        {
            int t = report.Labels[q], p = report.Predictions[q];
            bool Same(Neighbor e) => report.Labels[e.Index] == t && report.Predictions[e.Index] == p;
            bool Reverse(Neighbor e) => report.Labels[e.Index] == p && report.Predictions[e.Index] == t;
            var s = inSaliency[k].Others.Take(n).ToArray();
            var x = inPixels[k].Others.Take(n).ToArray();
            return new SampleAgreement(q, t, p, s.Count(Same), s.Count(e => Same(e) || Reverse(e)), x.Count(Same), x.Count(e => Same(e) || Reverse(e)), n);
        }).ToArray();
        return new AgreementReport(n, report.ClassNames, rows);
    }

    /// <summary>Appendix D: misclassified samples ranked by how many saliency neighbours share their exact (true, predicted) pair (ties: lower index first).</summary>
    /// <param name="agreement">Agreement of every misclassified image, from <see cref="Measure"/>.</param>
    public static SampleRanking RankSamples(AgreementReport agreement) =>
        new(agreement.Rows.OrderByDescending(r => r.SaliencySame).ThenByDescending(r => r.SaliencySameOrReverse).ThenBy(r => r.Index).ToArray(), agreement.ClassNames, agreement.N);

    /// <summary>
    /// Appendix D's choice of samples for Tables 1 and 2: the misclassified images ranked by how many of their
    /// <paramref name="neighbors"/> − 1 nearest saliency neighbours (K counts <paramref name="neighbors"/> with the sample
    /// itself) share their (true, predicted) pair. <c>.Top(3)</c> gives the paper's three samples.
    /// </summary>
    /// <param name="saliency">Saliency-space index (ŝ) of the data set <paramref name="report"/> evaluates.</param>
    /// <param name="pixel">Pixel-space index of the same data set.</param>
    /// <param name="report">Evaluation of the model on the data set: labels, predictions and misclassified images.</param>
    /// <param name="neighbors">K: neighbours counting the sample itself, at least 2 (default 10).</param>
    public static SampleRanking AppendixDRanking(SaliencyIndex saliency, SaliencyIndex pixel, EvaluationReport report, int neighbors = 10)
    {
        if (neighbors < 2) throw new ArgumentOutOfRangeException(nameof(neighbors), neighbors, "K counts the sample and at least one neighbour.");
        return RankSamples(Measure(saliency, pixel, report, neighbors - 1));
    }
}

/// <summary>Misclassified samples in Appendix D's order, best first; renders as a table in a notebook.</summary>
/// <param name="samples">The samples, already in ranked order.</param>
/// <param name="classNames">Class names indexed by label, for display.</param>
/// <param name="n">Neighbours counted per sample, itself excluded.</param>
public sealed class SampleRanking(IReadOnlyList<SampleAgreement> samples, IReadOnlyList<string> classNames, int n) : IReadOnlyList<SampleAgreement>
{
    /// <summary>The ranked samples.</summary>
    public IReadOnlyList<SampleAgreement> Samples { get; } = samples;
    /// <summary>Class names, for display.</summary>
    public IReadOnlyList<string> ClassNames { get; } = classNames;
    /// <summary>Neighbours counted per sample (itself excluded).</summary>
    public int N { get; } = n;

    /// <summary>The indices of the first <paramref name="count"/> samples: the samples the tables use.</summary>
    /// <param name="count">Number of samples to take from the top.</param>
    public int[] Top(int count) => Samples.Take(count).Select(s => s.Index).ToArray();

    /// <summary>The first <paramref name="count"/> samples as a ranking of their own.</summary>
    /// <param name="count">Number of samples to take from the top.</param>
    public SampleRanking First(int count) => new(Samples.Take(count).ToArray(), ClassNames, N);

    /// <summary>What the ranking counts, in one sentence.</summary>
    public string Description => $"{Samples.Count} misclassified samples ranked by how many of their {N} nearest saliency neighbours share their (true, predicted) pair.";

    /// <inheritdoc/>
    public SampleAgreement this[int index] => Samples[index];
    /// <inheritdoc/>
    public int Count => Samples.Count;
    /// <inheritdoc/>
    public IEnumerator<SampleAgreement> GetEnumerator() => Samples.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The description and the first ten samples, one per line.</summary>
    public override string ToString() => Description + Environment.NewLine + string.Join(Environment.NewLine, Samples.Take(10).Select((s, r) =>
        $"{r + 1,3}. #{s.Index} {ClassNames[s.TrueClass]} → {ClassNames[s.PredictedClass]}: {s.SaliencySame}/{N} same pair"));
}

/// <summary>One misclassified image: how many of its n neighbours share its (true, predicted) pair, or the pair or its reverse, per space.</summary>
/// <param name="Index">Index of the misclassified image in the data set.</param>
/// <param name="TrueClass">Its true class y.</param>
/// <param name="PredictedClass">Its predicted class.</param>
/// <param name="SaliencySame">Saliency-space neighbours with the same (true, predicted) pair.</param>
/// <param name="SaliencySameOrReverse">Saliency-space neighbours with the same pair or its reverse.</param>
/// <param name="PixelSame">Pixel-space neighbours with the same (true, predicted) pair.</param>
/// <param name="PixelSameOrReverse">Pixel-space neighbours with the same pair or its reverse.</param>
/// <param name="N">Neighbours counted per space, itself excluded.</param>
public sealed record SampleAgreement(int Index, int TrueClass, int PredictedClass, int SaliencySame, int SaliencySameOrReverse, int PixelSame, int PixelSameOrReverse, int N)
{
    /// <summary>Share of saliency neighbours with the same pair or its reverse.</summary>
    public double SaliencyShare => (double)SaliencySameOrReverse / N;
    /// <summary>Share of pixel neighbours with the same pair or its reverse.</summary>
    public double PixelShare => (double)PixelSameOrReverse / N;
}

/// <summary>The agreement of every misclassified image, with the means that answer the §3.2 question.</summary>
/// <param name="N">Neighbours counted per image, itself excluded.</param>
/// <param name="ClassNames">Class names indexed by label.</param>
/// <param name="Rows">One row per misclassified image, in data-set order.</param>
public sealed record AgreementReport(int N, IReadOnlyList<string> ClassNames, IReadOnlyList<SampleAgreement> Rows)
{
    /// <summary>Mean over misclassified images of the saliency-space share.</summary>
    public double MeanSaliencyShare => Rows.Average(r => r.SaliencyShare);
    /// <summary>Mean over misclassified images of the pixel-space share.</summary>
    public double MeanPixelShare => Rows.Average(r => r.PixelShare);
    /// <summary>Images with at least one neighbour sharing the pair (or reverse), saliency space.</summary>
    public int SaliencyAnyShared => Rows.Count(r => r.SaliencySameOrReverse > 0);
    /// <summary>Images with at least one neighbour sharing the pair (or reverse), pixel space.</summary>
    public int PixelAnyShared => Rows.Count(r => r.PixelSameOrReverse > 0);

    /// <summary>The two numbers in one sentence.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"Over {Rows.Count} misclassified images, {MeanSaliencyShare:P1} of the {N} saliency-space neighbours are misclassified with the same (true, predicted) pair or its reverse, " +
        $"against {MeanPixelShare:P1} of the {N} pixel-space neighbours; at least one such neighbour: {SaliencyAnyShared} images (saliency) vs {PixelAnyShared} (pixel).");

    /// <summary>The summary as a Markdown table.</summary>
    public string ToMarkdown() => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"| space | misclassified images | neighbours each | mean share with same pair or reverse | images with ≥ 1 such neighbour |\n|---|---:|---:|---:|---:|\n")
        .Append(CultureInfo.InvariantCulture, $"| saliency (standardized filter-wise profiles) | {Rows.Count} | {N} | {MeanSaliencyShare:P1} | {SaliencyAnyShared} |\n")
        .Append(CultureInfo.InvariantCulture, $"| pixel | {Rows.Count} | {N} | {MeanPixelShare:P1} | {PixelAnyShared} |\n").ToString();

    /// <inheritdoc/>
    public override string ToString() => Summary;
}
