using System.Globalization;
using System.Text;

namespace ParameterSaliency.Hypotheses;

/// <summary>One filter in a comparison of two groups: mean ŝ in each, their difference, Cohen's d (paired: mean difference over its SD), the permutation p and BH q.</summary>
/// <param name="Index">The filter's entry in the filter-wise profile.</param>
/// <param name="Name">The filter's name in the profile layout.</param>
/// <param name="MeanA">Mean ŝ of the filter over group A.</param>
/// <param name="MeanB">Mean ŝ of the filter over group B.</param>
/// <param name="Difference">Mean ŝ of A minus mean ŝ of B (paired: the mean paired difference).</param>
/// <param name="EffectSize">Cohen's d with the pooled SD (paired: mean difference over its SD); 0 when the SD is 0.</param>
/// <param name="P">Two-sided permutation p-value of Welch's t (paired: of the sign-flip t).</param>
/// <param name="Q">Benjamini-Hochberg q-value of <paramref name="P"/> over all filters.</param>
/// <param name="Discovered">True when <paramref name="Q"/> ≤ α and |d| ≥ the minimum effect.</param>
public sealed record FilterDifference(int Index, string Name, double MeanA, double MeanB, double Difference, double EffectSize, double P, double Q, bool Discovered);

/// <summary>The result of <see cref="SaliencyHypothesis.Compare(Data.ImageDataset, Data.ImageDataset, bool)"/>: every filter, and those discovered at the FDR.</summary>
/// <param name="GroupA">Name of group A.</param>
/// <param name="GroupB">Name of group B.</param>
/// <param name="SizeA">Images in group A.</param>
/// <param name="SizeB">Images in group B.</param>
/// <param name="Paired">True when image i of A and image i of B were tested as a pair.</param>
/// <param name="Alpha">False discovery rate α of the discoveries.</param>
/// <param name="MinimumEffect">Smallest |d| a discovery needs.</param>
/// <param name="Rows">One row per filter, in profile order.</param>
public sealed record FilterComparison(string GroupA, string GroupB, int SizeA, int SizeB, bool Paired, double Alpha, double MinimumEffect, IReadOnlyList<FilterDifference> Rows)
{
    /// <summary>Filters whose q-value is at most <see cref="Alpha"/> and whose |d| is at least <see cref="MinimumEffect"/>.</summary>
    public int Discoveries => Rows.Count(r => r.Discovered);

    /// <summary>The <paramref name="count"/> filters of smallest p (ties: largest |d|).</summary>
    /// <param name="count">How many filters to list (default 10).</param>
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
/// <param name="Filters">Names of the filters in the set.</param>
/// <param name="Images">Images tested.</param>
/// <param name="Observed">Mean over the tested images of the mean ŝ over the filters.</param>
/// <param name="NullMean">Mean of the statistic over the random draws.</param>
/// <param name="NullStd">Sample standard deviation of the statistic over the random draws.</param>
/// <param name="P">One-sided p = (1 + draws at least as large) / (1 + draws).</param>
/// <param name="NullDraws">The statistic of each random draw of images of the same classes.</param>
public sealed record FilterSetTest(IReadOnlyList<string> Filters, int Images, double Observed, double NullMean, double NullStd, double P, IReadOnlyList<double> NullDraws)
{
    /// <summary>One sentence with the numbers.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Filters.Count} filters on {Images} images: mean ŝ {Observed:F2}, random images of the same classes {NullMean:F2} ± {NullStd:F2}; p = {P:G3} ({NullDraws.Count} draws)");

    /// <inheritdoc/>
    public override string ToString() => Summary;
}
