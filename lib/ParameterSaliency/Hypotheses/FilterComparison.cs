using System.Globalization;
using System.Text;

namespace ParameterSaliency.Hypotheses;

/// <summary>One filter in a comparison of two groups: mean ŝ in each, their difference, Cohen's d (paired: mean difference over its SD), the permutation p and BH q.</summary>
public sealed record FilterDifference(int Index, string Name, double MeanA, double MeanB, double Difference, double EffectSize, double P, double Q, bool Discovered);

/// <summary>The result of <see cref="SaliencyHypothesis.Compare(Data.ImageDataset, Data.ImageDataset, bool)"/>: every filter, and those discovered at the FDR.</summary>
public sealed record FilterComparison(string GroupA, string GroupB, int SizeA, int SizeB, bool Paired, double Alpha, double MinimumEffect, IReadOnlyList<FilterDifference> Rows)
{
    /// <summary>Filters whose q-value is at most <see cref="Alpha"/> and whose |d| is at least <see cref="MinimumEffect"/>.</summary>
    public int Discoveries => Rows.Count(r => r.Discovered);

    /// <summary>The <paramref name="count"/> filters of smallest p (ties: largest |d|).</summary>
    public IReadOnlyList<FilterDifference> Top(int count = 10) => Rows.OrderBy(r => r.P).ThenByDescending(r => Math.Abs(r.EffectSize)).Take(count).ToArray();

    /// <summary>One sentence: the groups and the discoveries.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{GroupA} ({SizeA} images) vs {GroupB} ({SizeB}){(Paired ? ", paired" : "")}: {Discoveries} of {Rows.Count} filters differ in ŝ at FDR {Alpha:G2} with |d| ≥ {MinimumEffect:G2} ({Rows.Count(r => r.Q <= Alpha)} at the FDR alone)");

    /// <summary>The summary and the top 10 filters as a Markdown table.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder(Summary).Append("\n\n| filter | mean ŝ A | mean ŝ B | difference | d | p | q |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in Top())
            text.Append(CultureInfo.InvariantCulture, $"| {r.Name} | {r.MeanA:F2} | {r.MeanB:F2} | {r.Difference:+0.00;-0.00} | {r.EffectSize:F2} | {r.P:G3} | {r.Q:G3} |\n");
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Summary;
}

/// <summary>The result of <see cref="SaliencyHypothesis.Test"/>: the set's mean ŝ on the images against random images of the same classes.</summary>
public sealed record FilterSetTest(IReadOnlyList<string> Filters, int Images, double Observed, double NullMean, double NullStd, double P, IReadOnlyList<double> NullDraws)
{
    /// <summary>One sentence with the numbers.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Filters.Count} filters on {Images} images: mean ŝ {Observed:F2}, random images of the same classes {NullMean:F2} ± {NullStd:F2}; p = {P:G3} ({NullDraws.Count} draws)");

    /// <inheritdoc/>
    public override string ToString() => Summary;
}
