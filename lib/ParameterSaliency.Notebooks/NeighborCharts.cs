using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Neighbors;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Charts of §3.2 (neighbour agreement) and §3.3 (fine-tuning, Tables 1 and 2).</summary>
public static class NeighborCharts
{
    /// <summary>Histogram over misclassified images of the share of neighbours with the same (true, predicted) pair or its reverse, saliency versus pixel space.</summary>
    /// <param name="report">Neighbour agreement of every misclassified image, in saliency and pixel space.</param>
    public static GenericChart Agreement(AgreementReport report)
    {
        var traces = new[]
        {
            Chart.Histogram<double, double, string>(X: report.Rows.Select(r => r.SaliencyShare).ToArray(), Name: $"saliency space (mean {report.MeanSaliencyShare:P1})", Opacity: 0.6),
            Chart.Histogram<double, double, string>(X: report.Rows.Select(r => r.PixelShare).ToArray(), Name: $"pixel space (mean {report.MeanPixelShare:P1})", Opacity: 0.6),
        };
        return Chart.Combine(traces)
            .WithXAxisStyle<double, double, string>(TitleText: $"share of the {report.N} neighbours misclassified the same way (pair or reverse)")
            .WithYAxisStyle<double, double, string>(TitleText: "misclassified images").WithSize(820, 380)
            .Titled($"Are neighbours wrong for the same reason? {report.Rows.Count} misclassified test images");
    }

    /// <summary>Mean K and mean ΔA per filter choice (bars; the random subsets with their spread in the hover text), one group per sample.</summary>
    /// <param name="table">Fine-tuning table: one row per sample, filter choice and step.</param>
    public static GenericChart FineTuning(FineTuningTable table)
    {
        string Label(FineTuningRow r) => $"#{r.Sample} {r.Choice} (η {r.StepSize:G2})";
        string[] keys = table.Rows.Select(Label).ToArray();
        var bars = new[]
        {
            Chart.Column<double, string, string>(table.Rows.Select(r => r.KMean).ToArray(), Keys: keys, Name: $"K (of {table.Neighbors} neighbours)",
                MultiText: table.Rows.Select(r => r.Trials > 1 ? $"± {r.KStd:F2}" : "").ToArray()),
            Chart.Column<double, string, string>(table.Rows.Select(r => r.DeltaMean).ToArray(), Keys: keys, Name: "ΔA (points)",
                MultiText: table.Rows.Select(r => r.Trials > 1 ? $"± {r.DeltaStd:F2}" : "").ToArray()),
        };
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: "K / ΔA").WithSize(900, 420).Titled($"{table.Title}: K and ΔA per choice");
    }

    /// <summary>
    /// K (left) and ΔA (right) against the subset step on a log axis, one line per filter choice, pooled over samples and
    /// seeds (hover: mean ± std and trials). Top-k above random at every step is the paper's claim; a crossing says at which steps not.
    /// </summary>
    /// <param name="sweep">Step sweep with its points pooled over samples and seeds.</param>
    /// <param name="title">Chart title; null: the number of samples and steps.</param>
    public static GenericChart StepSweep(StepSweep sweep, string? title = null)
    {
        GenericChart Panel(Func<PooledRow, double> mean, Func<PooledRow, double> std, string axisTitle, bool showLegend) =>
            Chart.Combine(sweep.Points.GroupBy(p => p.Choice).Select(g =>
            {
                var points = g.OrderBy(p => p.StepSize).ToArray();
                var color = Color.fromString(ChoiceColor(g.Key)); // the same colour in both panels
                return Chart.Line<double, double, string>(points.Select(p => p.StepSize).ToArray(), points.Select(mean).ToArray(), ShowMarkers: true,
                    Name: FineTuningTable.Describe(g.Key, points[0].Filters), ShowLegend: showLegend, MarkerColor: color, LineColor: color,
                    MultiText: points.Select(p => p.Trials > 1 ? $"± {std(p):F2} ({p.Trials} trials)" : "(1 trial)").ToArray());
            }))
            .WithXAxisStyle<double, double, string>(TitleText: "subset step η (log)", AxisType: StyleParam.AxisType.Log)
            .WithYAxisStyle<double, double, string>(TitleText: axisTitle);
        return Chart.Grid(new[]
            {
                Panel(p => p.KMean, p => p.KStd, $"K (of {sweep.Table.Neighbors} neighbours fixed)", true),
                Panel(p => p.DeltaMean, p => p.DeltaStd, $"ΔA on {sweep.Table.EvaluationImages:N0} images (points)", false),
            }, 1, 2)
            .WithSize(980, 420)
            .Titled(title ?? $"K and ΔA against the step: {sweep.Points.Max(p => p.Samples)} samples, {sweep.StepSizes.Count} steps");
    }

    static string ChoiceColor(FilterChoice choice) => choice switch
    {
        FilterChoice.TopSalient => "#d62728",
        FilterChoice.LeastSalient => "#7f7f7f",
        FilterChoice.Random => "#1f77b4",
        _ => "#2ca02c",
    };
}
