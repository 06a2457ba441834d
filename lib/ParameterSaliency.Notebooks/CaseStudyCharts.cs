using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Experiments;
using ParameterSaliency.InputSpace;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Charts of the case study (paper Figures 1, 3, 4): class probabilities, masking, pasting, inversion, the planted cue.</summary>
public static class CaseStudyCharts
{
    /// <summary>Bars of the class probabilities of one image (Figure 1a), true and predicted class named in the title.</summary>
    /// <param name="probabilities">Softmax probability per class of the image.</param>
    /// <param name="classNames">Class names, one per probability.</param>
    /// <param name="trueClass">Index of the true class y.</param>
    /// <param name="title">Start of the chart title; the true and predicted classes are appended.</param>
    public static GenericChart ClassProbabilities(IReadOnlyList<float> probabilities, IReadOnlyList<string> classNames, int trueClass, string title)
    {
        int predicted = Enumerable.Range(0, probabilities.Count).MaxBy(c => probabilities[c]);
        return Chart.Column<float, string, string>(probabilities.ToArray(), Keys: classNames.ToArray(), Name: "p(class)")
            .WithYAxisStyle<double, double, string>(TitleText: "softmax probability")
            .WithSize(620, 320)
            .Titled($"{title}: true {classNames[trueClass]}, predicted {classNames[predicted]} ({probabilities[predicted]:P0})");
    }

    /// <summary>p(true) and p(predicted) for the original, salient-masked and control-masked image (Figure 1c-e).</summary>
    /// <param name="report">Masking comparison of one image: original, salient-masked and control-masked.</param>
    public static GenericChart Masking(MaskingReport report)
    {
        string[] keys = report.Images.Select(i => i.Name).ToArray();
        var bars = new[]
        {
            Chart.Column<float, string, string>(report.Images.Select(i => i.Probabilities[report.TrueClass]).ToArray(), Keys: keys, Name: $"p({report.ClassNames[report.TrueClass]}) true"),
            Chart.Column<float, string, string>(report.Images.Select(i => i.Probabilities[report.PredictedClass]).ToArray(), Keys: keys, Name: $"p({report.ClassNames[report.PredictedClass]}) predicted"),
        };
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: "probability").WithSize(620, 340)
            .Titled($"Masking image #{report.Index}: {report.Salient.Count} salient pixels vs {report.Control.Count} control pixels ({report.Fill})");
    }

    /// <summary>Change of p(wrong class) per target image, sorted (Figure 4's numbers).</summary>
    /// <param name="report">Pasting experiment with the change of p(wrong class) per target image.</param>
    public static GenericChart Pasting(PastingReport report)
    {
        var changes = report.Rows.Select(r => (float)r.ChangePoints).Order().ToArray();
        var (kept, run) = ChartPoints.Choose(changes);
        return Chart.Column<float, int, string>(kept.Select(i => changes[i]).ToArray(), Keys: kept.Select(i => i + 1).ToArray(), Name: "change")
            .WithXAxisStyle<double, double, string>(TitleText: $"target {report.ClassNames[report.TrueClass]} images, sorted")
            .WithYAxisStyle<double, double, string>(TitleText: $"Δ p({report.ClassNames[report.WrongClass]}), points")
            .WithSize(760, 340).Titled(report.Summary + ChartPoints.Note(run, changes.Length));
    }

    /// <summary>The cosine distance per optimiser step of a saliency inversion.</summary>
    /// <param name="result">Saliency inversion with its loss per step.</param>
    /// <param name="title">Chart title (default "Saliency inversion").</param>
    public static GenericChart InversionLoss(InversionResult result, string title = "Saliency inversion") =>
        Chart.Line<int, double, string>(Enumerable.Range(1, result.Losses.Count), result.Losses.ToArray(), Name: "1 − cos(ŝ(x), s*)")
            .WithXAxisStyle<double, double, string>(TitleText: "step").WithYAxisStyle<double, double, string>(TitleText: "cosine distance")
            .WithSize(620, 320).Titled(title);

    /// <summary>Hit rate, mass share and restore rate per method of the planted-cue experiment, with the uniform map's mass share for reference.</summary>
    /// <param name="report">Planted-cue scores per method.</param>
    public static GenericChart PlantedCue(PlantedCueReport report)
    {
        string[] methods = report.Rows.Select(r => r.Method).ToArray();
        var bars = new[]
        {
            Chart.Column<double, string, string>(report.Rows.Select(r => r.HitRate).ToArray(), Keys: methods, Name: "pointing-game hit rate"),
            Chart.Column<double, string, string>(report.Rows.Select(r => r.MassShare).ToArray(), Keys: methods, Name: "mass share in the marker box"),
            Chart.Column<double, string, string>(report.Rows.Select(r => r.RestoreRate).ToArray(), Keys: methods, Name: "masking top pixels restores the label"),
            Chart.Line<string, double, string>(methods, Enumerable.Repeat(report.BoxAreaShare, methods.Length).ToArray(), Name: "box area (uniform map)"),
        };
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: "rate").WithSize(900, 400)
            .Titled($"Planted cue: {report.Evaluated} images the marker turned into {report.ClassNames[report.Cue.CueClass]}");
    }
}
