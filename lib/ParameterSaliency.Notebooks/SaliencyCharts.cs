using Plotly.NET;
using Plotly.NET.CSharp;
using ParameterSaliency.Saliency;
using Chart = Plotly.NET.CSharp.Chart;

namespace ParameterSaliency.Notebooks;

/// <summary>Charts of saliency profiles s(x, y), standardized profiles ŝ and statistics μ, σ.</summary>
public static class SaliencyCharts
{
    /// <summary>One line per named profile over the entries of <paramref name="layout"/> (filter index on x), with the layers' names on hover.</summary>
    /// <param name="layout">Layout naming each entry of the profiles.</param>
    /// <param name="profiles">Profiles by series name, each one value per entry of <paramref name="layout"/>.</param>
    /// <param name="title">Chart title; a note is appended when points are dropped.</param>
    /// <param name="yTitle">Y-axis title (default: s as mean |∂L/∂θ| per filter).</param>
    public static GenericChart Profiles(ProfileLayout layout, IReadOnlyDictionary<string, float[]> profiles, string title, string yTitle = "s (mean |∂L/∂θ| per filter)")
    {
        var names = layout.EntryNames;
        int run = 1;
        var lines = profiles.Select(p =>
        {
            var (kept, k) = ChartPoints.Choose(p.Value);
            run = Math.Max(run, k);
            return Chart.Line<int, float, string>(kept, kept.Select(i => p.Value[i]).ToArray(), Name: p.Key, MultiText: kept.Select(i => names[i]).ToArray());
        }).ToArray();
        return Chart.Combine(lines).WithXAxisStyle<double, double, string>(TitleText: "filter (network order: conv1 … layer4)")
            .WithYAxisStyle<double, double, string>(TitleText: yTitle).WithSize(900, 380).Titled(title + ChartPoints.Note(run, layout.Length));
    }

    /// <summary>The authors' plot: within each layer, the filters' values sorted in decreasing order, layers side by side.</summary>
    /// <param name="layout">Layout whose segments group the entries into layers.</param>
    /// <param name="profiles">Profiles by series name, each one value per entry of <paramref name="layout"/>.</param>
    /// <param name="title">Chart title; a note is appended when points are dropped.</param>
    public static GenericChart SortedPerLayer(ProfileLayout layout, IReadOnlyDictionary<string, float[]> profiles, string title)
    {
        var segments = layout.Segments;
        int run = 1;
        var lines = profiles.Select(p =>
        {
            var y = segments.SelectMany(s => p.Value.Skip(s.Offset).Take(s.Length).OrderByDescending(v => v)).ToArray();
            var text = segments.SelectMany(s => Enumerable.Repeat(s.Parameter, s.Length)).ToArray();
            var (kept, k) = ChartPoints.Choose(y);
            run = Math.Max(run, k);
            return Chart.Line<int, float, string>(kept, kept.Select(i => y[i]).ToArray(), Name: p.Key, MultiText: kept.Select(i => text[i]).ToArray());
        }).ToArray();
        return Chart.Combine(lines).WithXAxisStyle<double, double, string>(TitleText: "filters, sorted within each layer (layers in network order)")
            .WithYAxisStyle<double, double, string>(TitleText: "s").WithSize(900, 380).Titled(title + ChartPoints.Note(run, layout.Length));
    }

    /// <summary>A box per layer of the filters' values: how spread each layer's saliency is.</summary>
    /// <param name="layout">Layout whose segments group the entries into layers.</param>
    /// <param name="profile">Profile, one value per entry of <paramref name="layout"/>.</param>
    /// <param name="title">Chart title.</param>
    public static GenericChart BoxPerLayer(ProfileLayout layout, float[] profile, string title)
    {
        var boxes = layout.Segments.Select(s => Chart.BoxPlot<string, float, string>(
            X: Enumerable.Repeat(Short(s.Parameter), s.Length).ToArray(), Y: profile.Skip(s.Offset).Take(s.Length).ToArray(), Name: Short(s.Parameter), ShowLegend: false)).ToArray();
        return Chart.Combine(boxes).WithYAxisStyle<double, double, string>(TitleText: "s per filter").WithSize(900, 420).Titled(title);
    }

    /// <summary>Bars per layer (one group per named profile), e.g. the layer-wise profile.</summary>
    /// <param name="layers">Parameter names of the layers, one bar position each (".weight" dropped).</param>
    /// <param name="values">Values by series name, each one value per layer.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="yTitle">Y-axis title.</param>
    public static GenericChart LayerBars(IReadOnlyList<string> layers, IReadOnlyDictionary<string, float[]> values, string title, string yTitle)
    {
        var bars = values.Select(v => Chart.Column<float, string, string>(v.Value, Keys: layers.Select(Short).ToArray(), Name: v.Key)).ToArray();
        return Chart.Combine(bars).WithYAxisStyle<double, double, string>(TitleText: yTitle).WithSize(900, 380).Titled(title);
    }

    /// <summary>Bins of the histograms drawn by <see cref="Log10Histogram"/>: shared by every trace.</summary>
    public const int HistogramBins = 80;

    /// <summary>
    /// Histogram of log10 of positive values (e.g. all 0.7 M parameter-wise saliencies), one trace per named set. The
    /// values are binned here, into <see cref="HistogramBins"/> bins shared by all traces, and the chart carries only the
    /// counts: handing Plotly the raw values wrote 23 MB into the notebook.
    /// </summary>
    /// <param name="values">Values by trace name; only the positive finite ones are drawn.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="xTitle">X-axis title.</param>
    public static GenericChart Log10Histogram(IReadOnlyDictionary<string, float[]> values, string title, string xTitle)
    {
        var logs = values.ToDictionary(v => v.Key, v => v.Value.Where(x => x > 0 && float.IsFinite(x)).Select(x => Math.Log10(x)).ToArray());
        var all = logs.Values.SelectMany(v => v).ToArray();
        if (all.Length == 0) throw new ArgumentException("No positive values to draw.", nameof(values));
        var (start, width) = Histogram.Bins(all, HistogramBins);
        var traces = logs.Select(v =>
        {
            long[] counts = Histogram.Counts(v.Value, start, width, HistogramBins);
            var centres = Enumerable.Range(0, HistogramBins).Select(b => start + (b + 0.5) * width).ToArray();
            return Chart.Histogram<double, long, string>(X: centres, Y: counts, HistFunc: StyleParam.HistFunc.Sum, Name: v.Key, Opacity: 0.6,
                XBins: Plotly.NET.TraceObjects.Bins.init(Microsoft.FSharp.Core.FSharpOption<double>.Some(start), Microsoft.FSharp.Core.FSharpOption<double>.Some(start + HistogramBins * width),
                    Microsoft.FSharp.Core.FSharpOption<double>.Some(width)));
        }).ToArray();
        return Chart.Combine(traces).WithXAxisStyle<double, double, string>(TitleText: xTitle)
            .WithYAxisStyle<double, double, string>(TitleText: $"count ({HistogramBins} bins)").WithSize(800, 360).Titled(title);
    }

    /// <summary>Mean over a layer's filters of μ and of σ: where saliency is large for every image.</summary>
    /// <param name="layout">Filter-wise layout whose segments group the filters into layers.</param>
    /// <param name="statistics">μ and σ per filter over the data set.</param>
    public static GenericChart StatisticsPerLayer(ProfileLayout layout, SaliencyStatistics statistics)
    {
        var layers = layout.Segments.Select(s => s.Parameter).ToArray();
        float[] Average(IReadOnlyList<double> values) => layout.Segments.Select(s => (float)Enumerable.Range(s.Offset, s.Length).Average(i => values[i])).ToArray();
        return LayerBars(layers, new Dictionary<string, float[]> { ["μ (mean over the layer's filters)"] = Average(statistics.Mean), ["σ"] = Average(statistics.Std) },
            $"μ and σ per layer over {statistics.Count:N0} images of {statistics.DataName}", "mean |∂L/∂θ|");
    }

    static string Short(string parameter) => parameter.EndsWith(".weight", StringComparison.Ordinal) ? parameter[..^7] : parameter;
}
