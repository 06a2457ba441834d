using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Atlas;
using ParameterSaliency.Hypotheses;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Charts of the failure atlas and of hypothesis tests in saliency space.</summary>
public static class HypothesisCharts
{
    /// <summary>A volcano plot: each filter's effect size d against −log10 p, discoveries apart; hover for the name.</summary>
    /// <param name="comparison">Per-filter comparison of ŝ between two groups, with p, d and discoveries.</param>
    public static GenericChart Volcano(FilterComparison comparison)
    {
        GenericChart Points(IEnumerable<FilterDifference> rows, string name)
        {
            var chosen = rows.ToArray();
            return Chart.Point<double, double, string>(chosen.Select(r => r.EffectSize).ToArray(), chosen.Select(r => -Math.Log10(Math.Max(r.P, 1e-300))).ToArray(),
                Name: name, MultiText: chosen.Select(r => r.Name).ToArray());
        }
        return Chart.Combine([Points(comparison.Rows.Where(r => !r.Discovered), "not discovered"), Points(comparison.Rows.Where(r => r.Discovered), $"discovered ({comparison.Discoveries})")])
            .WithXAxisStyle<double, double, string>(TitleText: comparison.Paired ? "effect size (mean paired difference / SD)" : "effect size d (Cohen)")
            .WithYAxisStyle<double, double, string>(TitleText: "−log10 p (permutation)").WithSize(760, 420).Titled(comparison.Summary);
    }

    /// <summary>The null distribution of <see cref="SaliencyHypothesis.Test"/> (binned here) and the observed value as a line.</summary>
    /// <param name="test">Filter-set test with its observed mean ŝ and null draws.</param>
    public static GenericChart Null(FilterSetTest test)
    {
        double[] draws = test.NullDraws.Append(test.Observed).ToArray();
        var (start, width) = Histogram.Bins(draws, 40);
        long[] counts = Histogram.Counts(test.NullDraws, start, width, 40);
        var centres = Enumerable.Range(0, 40).Select(b => start + (b + 0.5) * width).ToArray();
        return Chart.Combine(
            [
                Chart.Column<long, double, string>(counts, Keys: centres, Name: "random images of the same classes"),
                Chart.Line<double, long, string>(new[] { test.Observed, test.Observed }, new[] { 0L, counts.Max() }, Name: "these images"),
            ])
            .WithXAxisStyle<double, double, string>(TitleText: "mean ŝ over the filters and images")
            .WithYAxisStyle<double, double, string>(TitleText: "draws").WithSize(760, 360).Titled(test.Summary);
    }

    /// <summary>Purity in (true, predicted) pairs of the same clustering in each space, and of random clusters.</summary>
    /// <param name="atlas">Failure atlas with its purity per space and by chance.</param>
    public static GenericChart Purity(FailureAtlas atlas)
    {
        var names = atlas.Purity.Keys.Append("random").ToArray();
        var values = atlas.Purity.Values.Append(atlas.ChancePurity).ToArray();
        return Chart.Column<double, string, string>(values, Keys: names, Name: "purity")
            .WithYAxisStyle<double, double, string>(TitleText: "purity (share of mistakes in their cluster's main pair)")
            .WithSize(560, 340).Titled($"{atlas.K} clusters of {atlas.Mistakes} mistakes: how pure in (true, predicted)");
    }

    /// <summary>Each cluster's composition as stacked bars of its (true → predicted) pairs (the 3 largest per cluster, the rest as "other").</summary>
    /// <param name="atlas">Failure atlas whose clusters' (true → predicted) pairs are drawn.</param>
    public static GenericChart Composition(FailureAtlas atlas)
    {
        var clusters = atlas.Clusters.Select(c => $"#{c.Number}").ToArray();
        var shown = atlas.Clusters.SelectMany(c => c.Composition.Take(3).Select(p => (p.TrueClass, p.PredictedClass))).Distinct().ToArray();
        var bars = shown.Select(pair => Chart.StackedColumn<int, string, string>(
                atlas.Clusters.Select(c => c.Composition.FirstOrDefault(p => (p.TrueClass, p.PredictedClass) == pair)?.Count ?? 0).ToArray(), Keys: clusters,
                Name: $"{atlas.ClassNames[pair.TrueClass]} → {atlas.ClassNames[pair.PredictedClass]}"))
            .Append(Chart.StackedColumn<int, string, string>(atlas.Clusters.Select(c => c.Images.Count - c.Composition.Where(p => shown.Contains((p.TrueClass, p.PredictedClass))).Sum(p => p.Count)).ToArray(),
                Keys: clusters, Name: "other"));
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: "mistakes").WithSize(900, 420).Titled("What each failure mode is made of");
    }
}
