using System.Net;
using System.Text;
using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Trust;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>The pictures of the trust tests (SPEC §9) in a notebook: randomisation and deletion curves, and the verdict table.</summary>
public static class TrustCharts
{
    /// <summary>Mean <paramref name="metric"/> against the trained model's explanation as layers are randomised (one line per method, controls dotted), for a test of <see cref="ModelRandomisationTest"/>.</summary>
    /// <param name="report">A sanity run.</param>
    /// <param name="metric">spearman (default), spearman_abs, ssim or topk_overlap.</param>
    /// <param name="test">Cascading (default) or independent.</param>
    public static GenericChart Randomisation(SanityReport report, string metric = "spearman", string test = ModelRandomisationTest.Cascading)
    {
        // Cascading steps add a layer to those randomised ("+layer4.1"); an independent step randomises that layer alone.
        string[] steps = Enumerable.Range(0, report.Layers.Count + 1)
            .Select(s => test == ModelRandomisationTest.Cascading ? report.StepName(s) : report.StepName(s).TrimStart('+')).ToArray();
        var lines = report.Methods.Select(m => (Method: m, Rows: report.Curve(test, m.Name, metric)))
            .Where(l => l.Rows.Count > 0)
            .Select(l => Chart.Line<string, double, string>(l.Rows.Select(r => steps[r.Step]).ToArray(), l.Rows.Select(r => r.Value).ToArray(), Name: l.Method.Name,
                LineDash: l.Method.IsControl ? StyleParam.DrawingStyle.Dot : StyleParam.DrawingStyle.Solid)).ToArray();
        return Chart.Combine(lines)
            .WithXAxisStyle<double, double, string>(TitleText: test == ModelRandomisationTest.Cascading ? "layers randomised, from the top" : "the one layer randomised")
            .WithYAxisStyle<double, double, string>(TitleText: $"mean {metric} with the trained model's explanation")
            .WithSize(860, 440).Titled($"{(test == ModelRandomisationTest.Cascading ? "Cascading" : "Independent")} randomisation: {metric}");
    }

    /// <summary>The mean deletion or insertion curve of each heatmap method: p(class predicted on the original) against the share of pixels removed or revealed.</summary>
    /// <param name="report">A sanity run.</param>
    /// <param name="test"><see cref="DeletionInsertionTest.Deletion"/>, <see cref="DeletionInsertionTest.DeletionBlack"/> or <see cref="DeletionInsertionTest.Insertion"/>.</param>
    public static GenericChart Curves(SanityReport report, string test)
    {
        var lines = report.Methods.Where(m => m.IsHeatmap).Select(m =>
        {
            var rows = report.Curve(test, m.Name, "probability");
            double auc = report.Measurements.Find(test, m.Name, 0, "auc")?.Value ?? double.NaN;
            return Chart.Line<double, double, string>(rows.Select(r => (double)r.Step / report.Options.DeletionSteps).ToArray(), rows.Select(r => r.Value).ToArray(),
                Name: $"{m.Name} (AUC {auc:0.###})", LineDash: m.IsControl ? StyleParam.DrawingStyle.Dot : StyleParam.DrawingStyle.Solid);
        }).ToArray();
        return Chart.Combine(lines)
            .WithXAxisStyle<double, double, string>(TitleText: test switch
            {
                DeletionInsertionTest.Deletion => "share of pixels removed (set to 0 in normalised units: the mean grey)",
                DeletionInsertionTest.DeletionBlack => "share of pixels removed (set to black)",
                _ => "share of pixels revealed over a blurred copy",
            })
            .WithYAxisStyle<double, double, string>(TitleText: "mean p(class predicted on the original)")
            .WithSize(760, 400).Titled(test == DeletionInsertionTest.Insertion ? "Insertion: higher is better" : "Deletion: lower is better");
    }

    /// <summary>The verdict table as HTML: methods down, tests across, green pass and red fail with the number behind each.</summary>
    /// <param name="report">A sanity run.</param>
    public static string Html(SanityReport report)
    {
        var html = new StringBuilder("<table style=\"border-collapse:collapse;font-size:12px\"><tr><th style=\"text-align:left\">method</th>");
        foreach (string test in report.Tests) html.Append($"<th>{WebUtility.HtmlEncode(test)}</th>");
        html.Append("</tr>");
        foreach (var method in report.Methods)
        {
            html.Append($"<tr><td style=\"text-align:left\">{WebUtility.HtmlEncode(method.Name)}</td>");
            foreach (string test in report.Tests)
            {
                var verdict = report.VerdictOf(test, method.Name);
                string colour = verdict is null ? "transparent" : verdict.Pass ? "#d4edda" : "#f8d7da";
                html.Append($"<td title=\"{WebUtility.HtmlEncode(verdict?.Rule ?? "")}\" style=\"background:{colour};padding:2px 6px\">{WebUtility.HtmlEncode(verdict?.Cell ?? "–")}</td>");
            }
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }
}
