using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Evaluation;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Plotly.NET charts of the library's results; each displays itself in a notebook cell.</summary>
public static class Charts
{
    /// <summary>Heatmap of the confusion matrix: rows are true classes, columns predicted classes; <paramref name="rowNormalised"/> shows each row as fractions.</summary>
    /// <param name="report">Evaluation whose confusion matrix is drawn.</param>
    /// <param name="rowNormalised">Show each row as fractions of its true class's images instead of counts (default false).</param>
    public static GenericChart ConfusionMatrix(EvaluationReport report, bool rowNormalised = false)
    {
        var counts = report.ConfusionMatrix;
        int classes = report.ClassNames.Count;
        var rows = Enumerable.Range(0, classes).Select(r =>
        {
            double total = Enumerable.Range(0, classes).Sum(c => counts[r, c]);
            return Enumerable.Range(0, classes).Select(c => rowNormalised && total > 0 ? counts[r, c] / total : counts[r, c]).ToArray();
        }).ToArray();
        return Chart.Heatmap<double, string, string, string>(
                zData: rows,
                X: new Optional<IEnumerable<string>>(report.ClassNames, true),
                Y: new Optional<IEnumerable<string>>(report.ClassNames, true),
                ReverseYAxis: new Optional<bool>(true, true))
            .WithXAxisStyle<double, double, string>(TitleText: "predicted class")
            .WithYAxisStyle<double, double, string>(TitleText: "true class")
            .WithSize(660, 560)
            .Titled($"Confusion matrix, {report.Dataset} (accuracy {report.Accuracy:P2})");
    }

    /// <summary>Sets the chart's title (Plotly.NET's F# <c>Chart.withTitle</c>, wrapped for C#).</summary>
    /// <param name="chart">Chart to title.</param>
    /// <param name="title">Chart title.</param>
    public static GenericChart Titled(this GenericChart chart, string title) =>
        Plotly.NET.Chart.withTitle(title, Microsoft.FSharp.Core.FSharpOption<Font>.None).Invoke(chart);
}
