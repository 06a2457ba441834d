using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Saliency;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Charts of saliency profiles s(x, y), standardized profiles ŝ and statistics μ, σ.</summary>
public static class SaliencyCharts
{
    /// <summary>One line per named profile over the entries of <paramref name="layout"/> (filter index on x), with the layers' names on hover.</summary>
    public static GenericChart Profiles(ProfileLayout layout, IReadOnlyDictionary<string, float[]> profiles, string title, string yTitle = "s (mean |∂L/∂θ| per filter)")
    {
        var x = Enumerable.Range(0, layout.Length).ToArray();
        var names = layout.EntryNames;
        var lines = profiles.Select(p => Chart.Line<int, float, string>(x, p.Value, Name: p.Key, MultiText: names.ToArray())).ToArray();
        return Chart.Combine(lines).WithXAxisStyle<double, double, string>(TitleText: "filter (network order: conv1 … layer4)")
            .WithYAxisStyle<double, double, string>(TitleText: yTitle).WithSize(900, 380).Titled(title);
    }

    /// <summary>The authors' plot: within each layer, the filters' values sorted in decreasing order, layers side by side.</summary>
    public static GenericChart SortedPerLayer(ProfileLayout layout, IReadOnlyDictionary<string, float[]> profiles, string title)
    {
        var segments = layout.Segments;
        var lines = profiles.Select(p =>
        {
            var y = segments.SelectMany(s => p.Value.Skip(s.Offset).Take(s.Length).OrderByDescending(v => v)).ToArray();
            var text = segments.SelectMany(s => Enumerable.Repeat(s.Parameter, s.Length)).ToArray();
            return Chart.Line<int, float, string>(Enumerable.Range(0, y.Length), y, Name: p.Key, MultiText: text);
        }).ToArray();
        return Chart.Combine(lines).WithXAxisStyle<double, double, string>(TitleText: "filters, sorted within each layer (layers in network order)")
            .WithYAxisStyle<double, double, string>(TitleText: "s").WithSize(900, 380).Titled(title);
    }

    /// <summary>A box per layer of the filters' values: how spread each layer's saliency is.</summary>
    public static GenericChart BoxPerLayer(ProfileLayout layout, float[] profile, string title)
    {
        var boxes = layout.Segments.Select(s => Chart.BoxPlot<string, float, string>(
            X: Enumerable.Repeat(Short(s.Parameter), s.Length).ToArray(), Y: profile.Skip(s.Offset).Take(s.Length).ToArray(), Name: Short(s.Parameter), ShowLegend: false)).ToArray();
        return Chart.Combine(boxes).WithYAxisStyle<double, double, string>(TitleText: "s per filter").WithSize(900, 420).Titled(title);
    }

    /// <summary>Bars per layer (one group per named profile), e.g. the layer-wise profile.</summary>
    public static GenericChart LayerBars(IReadOnlyList<string> layers, IReadOnlyDictionary<string, float[]> values, string title, string yTitle)
    {
        var bars = values.Select(v => Chart.Column<float, string, string>(v.Value, Keys: layers.Select(Short).ToArray(), Name: v.Key)).ToArray();
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: yTitle).WithSize(900, 380).Titled(title);
    }

    /// <summary>Histogram of log10 of positive values (e.g. all 0.7 M parameter-wise saliencies), one trace per named set.</summary>
    public static GenericChart Log10Histogram(IReadOnlyDictionary<string, float[]> values, string title, string xTitle)
    {
        var traces = values.Select(v => Chart.Histogram<double, double, string>(
            X: v.Value.Where(x => x > 0).Select(x => Math.Log10(x)).ToArray(), Name: v.Key, Opacity: 0.6)).ToArray();
        return Chart.Combine(traces).WithXAxisStyle<double, double, string>(TitleText: xTitle).WithSize(800, 360).Titled(title);
    }

    /// <summary>Mean over a layer's filters of μ and of σ: where saliency is large for every image.</summary>
    public static GenericChart StatisticsPerLayer(ProfileLayout layout, SaliencyStatistics statistics)
    {
        var layers = layout.Segments.Select(s => s.Parameter).ToArray();
        float[] Average(IReadOnlyList<double> values) => layout.Segments.Select(s => (float)Enumerable.Range(s.Offset, s.Length).Average(i => values[i])).ToArray();
        return LayerBars(layers, new Dictionary<string, float[]> { ["μ (mean over the layer's filters)"] = Average(statistics.Mean), ["σ"] = Average(statistics.Std) },
            $"μ and σ per layer over {statistics.Count:N0} images of {statistics.DataName}", "mean |∂L/∂θ|");
    }

    static string Short(string parameter) => parameter.EndsWith(".weight", StringComparison.Ordinal) ? parameter[..^7] : parameter;
}
