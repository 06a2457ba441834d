using System.Globalization;
using System.Net;
using System.Text;
using ParameterSaliency.Atlas;
using ParameterSaliency.Experiments;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Hypotheses;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Imaging;

/// <summary>HTML views of the library's result types: what a notebook shows when a cell returns one of them.</summary>
public static class HtmlViews
{
    /// <summary>The top filters of ŝ: rank, name, layer, channel, s and ŝ.</summary>
    /// <param name="table">Ranked filters with their s and ŝ.</param>
    public static string Of(SalientFilterTable table)
    {
        var html = new StringBuilder($"<div><b>{WebUtility.HtmlEncode(table.Title)}</b></div><table><tr><th>rank</th><th>{WebUtility.HtmlEncode(table.Unit)}</th><th>layer</th><th>channel</th><th>index</th><th>s</th><th>ŝ (z)</th></tr>");
        foreach (var f in table.Filters)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{f.Rank}</td><td><code>{WebUtility.HtmlEncode(f.Name)}</code></td><td>{WebUtility.HtmlEncode(f.Layer)}</td><td>{f.Channel}</td><td>{f.Index}</td><td>{f.S:E3}</td><td>{f.Z:F2}</td></tr>");
        return html.Append("</table>").ToString();
    }

    /// <summary>The original, salient-masked and control-masked images with p(true) and p(predicted), and a table of the numbers.</summary>
    /// <param name="report">Masking comparison of one image: original, salient-masked and control-masked.</param>
    public static string Of(MaskingReport report)
    {
        var tiles = report.Images.Select(i => ImageTile.FromPixels(i.Pixels, report.Channels, report.Height, report.Width,
            $"{i.Name}: {report.ClassNames[i.Prediction]} · p(true) {i.Probabilities[report.TrueClass]:P0}", highlight: i.Prediction != report.TrueClass)).ToList();
        var html = new StringBuilder(new ImageGrid($"Masking image #{report.Index} ({report.Fill} fill; {report.Salient.Description})", tiles, scale: 4).ToHtml());
        html.Append("<table><tr><th></th><th>prediction</th>")
            .Append(CultureInfo.InvariantCulture, $"<th>p({WebUtility.HtmlEncode(report.ClassNames[report.TrueClass])}) true</th><th>p({WebUtility.HtmlEncode(report.ClassNames[report.PredictedClass])}) predicted</th></tr>");
        foreach (var image in report.Images)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{image.Name}</td><td>{WebUtility.HtmlEncode(report.ClassNames[image.Prediction])}</td><td>{image.Probabilities[report.TrueClass]:P1}</td><td>{image.Probabilities[report.PredictedClass]:P1}</td></tr>");
        return html.Append("</table>").ToString();
    }

    /// <summary>Masking over many images: salient versus control, flips and mean drops.</summary>
    /// <param name="summary">Masking comparisons over many images with their tallies.</param>
    public static string Of(MaskingSummary summary) =>
        Table([$"masked ({summary.Images} images, {summary.Fraction:P0} of the pixels)", "prediction changed", "mean drop of p(predicted), points"],
        [
            ["salient region", $"{summary.SalientFlips} of {summary.Images}", (100 * summary.MeanSalientDrop).ToString("F1", CultureInfo.InvariantCulture)],
            ["random control", $"{summary.ControlFlips} of {summary.Images}", (100 * summary.MeanControlDrop).ToString("F1", CultureInfo.InvariantCulture)],
        ]);

    /// <summary>The frames of a saliency inversion as an image strip.</summary>
    /// <param name="result">Saliency inversion: its frames and per-step losses.</param>
    public static string Of(InversionResult result) =>
        new ImageGrid($"Saliency inversion: cosine distance {result.Losses[0]:F4} → {result.FinalDistance:F4} in {result.Losses.Count} steps",
            result.Frames.Select(f => ImageTile.FromPixels(f.Pixels, result.Channels, result.Height, result.Width, $"step {f.Step}")).ToArray(), scale: 3).ToHtml();

    /// <summary>The planted-cue table and a gallery of example overlays per method.</summary>
    /// <param name="report">Planted-cue scores per method with example heatmaps.</param>
    public static string Of(PlantedCueReport report)
    {
        var html = new StringBuilder($"<p>{WebUtility.HtmlEncode(report.Summary)}</p>");
        html.Append(Table(["method", "images", "hit rate", "mass share in box", "restores label"],
            report.Rows.Select(row => new[] { row.Method, row.Images.ToString(CultureInfo.InvariantCulture), Percent(row.HitRate), Percent(row.MassShare), Percent(row.RestoreRate) })));
        for (int m = 0; m < report.Rows.Count && m < report.Examples.Count; m++)
            html.Append(new ImageGrid(report.Rows[m].Method, report.Examples[m].Select(h => h.Overlay($"#{h.SourceIndex}")).ToArray(), scale: 3).ToHtml());
        return html.ToString();
    }

    /// <summary>A Table 1 or Table 2 of the fine-tuning experiment.</summary>
    /// <param name="table">Fine-tuning table: one row per sample, filter choice and step.</param>
    public static string Of(FineTuningTable table)
    {
        var html = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"<p><b>{WebUtility.HtmlEncode(table.Title)}</b>: K among {table.Neighbors} saliency neighbours (sample included); ΔA on {table.EvaluationImages:N0} images.</p>"));
        html.Append(Table(["sample", "true → predicted", table.Units, "step", "trials", "K", "broken", "sample fixed", "ΔA (points)"],
            table.Rows.Select(r => new[]
            {
                r.Sample.ToString(CultureInfo.InvariantCulture), $"{r.TrueClass} → {r.PredictedClass}", FineTuningTable.Describe(r), r.StepSize.ToString("G3", CultureInfo.InvariantCulture),
                r.Trials.ToString(CultureInfo.InvariantCulture), FineTuningTable.Format(r.KMean, r.KStd, r.Trials, "F1"), FineTuningTable.Format(r.BrokenMean, r.BrokenStd, r.Trials, "F1"),
                r.SampleCorrectedShare.ToString("P0", CultureInfo.InvariantCulture), FineTuningTable.Format(r.DeltaMean, r.DeltaStd, r.Trials, "+0.00;-0.00;0.00"),
            })));
        return html.ToString();
    }

    /// <summary>The step sweep pooled over samples and seeds: one row per filter choice and subset step.</summary>
    /// <param name="sweep">Step sweep with its per-sample table and pooled points.</param>
    public static string Of(StepSweep sweep) =>
        string.Create(CultureInfo.InvariantCulture,
            $"<p><b>K against the subset step</b>, pooled over {sweep.Points.Max(p => p.Samples)} samples and the random seeds (mean ± std over the trials); K among {sweep.Table.Neighbors} saliency neighbours; ΔA on {sweep.Table.EvaluationImages:N0} images.</p>") +
        Table(StepSweep.Columns, sweep.Points.Select(StepSweep.Cells));

    /// <summary>§3.2 as a table: per space, the share of neighbours misclassified the same way (and the same or reverse way).</summary>
    /// <param name="report">Neighbour agreement of every misclassified image, in saliency and pixel space.</param>
    public static string Of(AgreementReport report)
    {
        var html = new StringBuilder($"<p>{WebUtility.HtmlEncode(report.Summary)}</p>");
        html.Append(Table(["space", "misclassified images", "neighbours each", "mean share with same pair or reverse", "images with ≥ 1 such neighbour"],
        [
            ["saliency (standardized filter-wise profiles)", report.Rows.Count.ToString(CultureInfo.InvariantCulture), report.N.ToString(CultureInfo.InvariantCulture), Percent(report.MeanSaliencyShare), report.SaliencyAnyShared.ToString(CultureInfo.InvariantCulture)],
            ["pixel", report.Rows.Count.ToString(CultureInfo.InvariantCulture), report.N.ToString(CultureInfo.InvariantCulture), Percent(report.MeanPixelShare), report.PixelAnyShared.ToString(CultureInfo.InvariantCulture)],
        ]));
        return html.ToString();
    }

    /// <summary>The Appendix D ranking of samples: index, classes and the shares of like-minded neighbours.</summary>
    /// <param name="ranking">Misclassified samples in Appendix D's order, best first.</param>
    public static string Of(SampleRanking ranking) =>
        $"<p>{WebUtility.HtmlEncode(ranking.Description)}</p>" +
        Table(["rank", "index", "true", "predicted", "same pair (saliency)", "same or reverse (saliency)", "same or reverse (pixels)"],
            ranking.Samples.Select((s, rank) => new[]
            {
                (rank + 1).ToString(CultureInfo.InvariantCulture), $"#{s.Index}", ranking.ClassNames[s.TrueClass], ranking.ClassNames[s.PredictedClass],
                $"{s.SaliencySame} of {ranking.N}", $"{s.SaliencySameOrReverse} of {ranking.N}", $"{s.PixelSameOrReverse} of {ranking.N}",
            }));

    /// <summary>A comparison of two groups: the summary and the <paramref name="rows"/> filters of smallest p.</summary>
    /// <param name="comparison">Per-filter comparison of ŝ between two groups.</param>
    /// <param name="rows">Number of filters listed, smallest p first (default 15).</param>
    public static string Of(FilterComparison comparison, int rows = 15) =>
        $"<p>{WebUtility.HtmlEncode(comparison.Summary)}</p>" +
        Table(["filter", "mean ŝ A", "mean ŝ B", "difference", "d", "p", "q", "discovered"],
            comparison.Top(rows).Select(r => new[]
            {
                r.Name, Number(r.MeanA, "F2"), Number(r.MeanB, "F2"), Number(r.Difference, "+0.00;-0.00"), Number(r.EffectSize, "F2"),
                Number(r.P, "G3"), Number(r.Q, "G3"), r.Discovered ? "yes" : "",
            }));

    /// <summary>A filter set against random images of the same classes: the summary and a table of the numbers.</summary>
    /// <param name="test">Test of a filter set against random images of the same classes.</param>
    public static string Of(FilterSetTest test) =>
        $"<p>{WebUtility.HtmlEncode(test.Summary)}</p>" +
        Table(["filters", "images", "mean ŝ on them", "random images of the same classes (mean ± SD)", "draws", "p (one-sided)"],
        [[
            string.Join(", ", test.Filters), test.Images.ToString(CultureInfo.InvariantCulture), Number(test.Observed, "F2"),
            $"{Number(test.NullMean, "F2")} ± {Number(test.NullStd, "F2")}", test.NullDraws.Count.ToString(CultureInfo.InvariantCulture), Number(test.P, "G3"),
        ]]);

    /// <summary>The atlas: purity per space, then one row per cluster (size, composition, filters at the FDR, the top filters).</summary>
    /// <param name="atlas">Clusters of mistakes with their purity per space.</param>
    public static string Of(FailureAtlas atlas)
    {
        var html = new StringBuilder($"<p>{WebUtility.HtmlEncode(atlas.ToString())}</p>");
        html.Append(Table(["clusters of", "purity in (true, predicted) pairs"],
            atlas.Purity.Select(p => new[] { p.Key, Percent(p.Value) }).Append(["random clusters, same sizes", Percent(atlas.ChancePurity)])));
        html.Append(Table(["cluster", "mistakes", "(true → predicted): count", "filters at FDR", "most over-represented filters (excess of mean ŝ)"],
            atlas.Clusters.Select(c => new[]
            {
                c.Number.ToString(CultureInfo.InvariantCulture), c.Images.Count.ToString(CultureInfo.InvariantCulture),
                atlas.Composition(c),
                c.Discoveries.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", c.Filters.Take(3).Select(f => $"{f.Name} ({Number(f.Excess, "+0.00")})")),
            })));
        return html.ToString();
    }

    static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A plain HTML table with a header row; every cell is encoded.</summary>
    /// <param name="header">Column headings.</param>
    /// <param name="rows">Rows of cells, each in column order.</param>
    public static string Table(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var html = new StringBuilder("<table><tr>");
        foreach (string cell in header) html.Append($"<th>{WebUtility.HtmlEncode(cell)}</th>");
        html.Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (string cell in row) html.Append($"<td>{WebUtility.HtmlEncode(cell)}</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    static string Percent(double share) => share.ToString("P1", CultureInfo.InvariantCulture);
}
