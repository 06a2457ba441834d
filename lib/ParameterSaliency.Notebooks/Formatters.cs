using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using ParameterSaliency.Atlas;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Experiments;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Hypotheses;
using ParameterSaliency.Imaging;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// What a cell shows when it returns one of the library's results: an HTML view (tables, image grids) and a short
/// <c>text/plain</c> line beside it. Without the plain-text formatter .NET Interactive writes its default dump of every
/// property into the notebook as well, tensors included: 29 MB for one data set.
/// </summary>
public static class Formatters
{
    static bool registered;

    /// <summary>The result types given a view, for the notebook that lists them.</summary>
    public static IReadOnlyList<Type> Types { get; private set; } = [];

    /// <summary>Registers the formatters once per kernel (<see cref="Workbook.Start"/> calls it).</summary>
    public static void Register()
    {
        if (registered) return;
        var types = new List<Type>();
        void Add<T>(Func<T, string> html, Func<T, string>? text = null)
        {
            Formatter.Register<T>(html, HtmlFormatter.MimeType);
            Formatter.Register<T>(value => (text ?? (v => v?.ToString() ?? ""))(value), PlainTextFormatter.MimeType);
            types.Add(typeof(T));
        }
        static string Encoded(object value) => $"<pre>{WebUtility.HtmlEncode(value.ToString())}</pre>";

        Add<ImageGrid>(grid => grid.ToHtml());
        Add<EvaluationReport>(EvaluationHtml.Render);
        Add<WorkbookEnvironment>(environment => environment.ToHtml());
        Add<WorkbookSetting>(setting => setting.ToHtml());
        Add<Data.ImageDataset>(SummaryHtml.Of);
        Add<Models.SavedModel>(SummaryHtml.Of);
        Add<SalientFilterTable>(HtmlViews.Of);
        Add<SaliencyStatistics>(Encoded);
        Add<SaliencyProfiles>(Encoded);
        Add<StandardizedProfiles>(Encoded);
        Add<InputHeatmap>(heatmap => HeatmapPictures.Html(heatmap));
        Add<MaskingReport>(HtmlViews.Of);
        Add<MaskingSummary>(HtmlViews.Of);
        Add<PastingReport>(report => WebUtility.HtmlEncode(report.Summary));
        Add<InversionResult>(HtmlViews.Of);
        Add<PlantedCueReport>(HtmlViews.Of, report => report.Summary);
        Add<AgreementReport>(HtmlViews.Of);
        Add<SampleRanking>(HtmlViews.Of);
        Add<SaliencyIndex>(Encoded);
        Add<FineTuningTable>(HtmlViews.Of, table => table.Title);
        Add<StepSweep>(HtmlViews.Of, sweep => $"Step sweep: {sweep.Points.Count} points, steps {string.Join(", ", sweep.StepSizes.Select(step => step.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Add<Exercise.Verdict>(verdict => verdict.ToHtml());
        Add<TableView>(table => table.ToHtml());
        Add<FailureAtlas>(HtmlViews.Of);
        Add<ExplorerPage>(page => page.ToHtml());
        Add<FilterComparison>(comparison => HtmlViews.Of(comparison), comparison => comparison.Summary);
        Add<FilterSetTest>(HtmlViews.Of);
        Add<Trust.SanityReport>(TrustCharts.Html, report => report.VerdictTable());
        // Every chart, ours or a reader's: a MIME bundle that draws offline in every front-end (ChartOutput), in place of
        // Plotly.NET.Interactive's text/html, which loads require.js and plotly.js from CDNs.
        Formatter.SetPreferredMimeTypesFor(typeof(Plotly.NET.GenericChart), ChartOutput.MimeTypes);
        // The three formats of one chart share one serialised, pruned figure (it is read, never changed).
        Formatter.Register<Plotly.NET.GenericChart>(chart => FigureOf(chart).ToJsonString(), ChartOutput.PlotlyMimeType);
        Formatter.Register<Plotly.NET.GenericChart>(chart => ChartOutput.Html(FigureOf(chart)), HtmlFormatter.MimeType);
        Formatter.Register<Plotly.NET.GenericChart>(chart => ChartOutput.Text(FigureOf(chart)), PlainTextFormatter.MimeType);
        Types = types;
        registered = true;
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Plotly.NET.GenericChart, System.Text.Json.Nodes.JsonObject> Figures = new();

    static System.Text.Json.Nodes.JsonObject FigureOf(Plotly.NET.GenericChart chart) => Figures.GetValue(chart, ChartOutput.Figure);
}
