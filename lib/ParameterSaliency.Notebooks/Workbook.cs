using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Imaging;
using ParameterSaliency.Runtime;
using static TorchSharp.torch;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// The notebooks' entry point: <c>Workbook.Start()</c> in the first cell loads libtorch, registers
/// the formatters that make the library's result types render themselves (image grids as PNG,
/// reports as HTML tables) and shows what the session runs on.
/// </summary>
public static class Workbook
{
    static bool formattersRegistered;

    /// <summary>Loads libtorch, registers formatters, returns the session's environment (which renders as a small table).</summary>
    public static WorkbookEnvironment Start()
    {
        NativeTorch.EnsureLoaded();
        Notices.Writer = Console.Error; // recomputed caches, waits, fallbacks: shown under the cell
        Data.WorkbookPaths.RegisterData();
        if (!formattersRegistered)
        {
            Formatter.Register<ImageGrid>(grid => grid.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<EvaluationReport>(report => EvaluationHtml.Render(report), HtmlFormatter.MimeType);
            Formatter.Register<WorkbookEnvironment>(environment => environment.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<Data.ImageDataset>(data => SummaryHtml.Of(data), HtmlFormatter.MimeType);
            Formatter.Register<Models.SavedModel>(model => SummaryHtml.Of(model), HtmlFormatter.MimeType);
            Formatter.Register<Saliency.SalientFilterTable>(table => table.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<Saliency.SaliencyStatistics>(statistics => System.Net.WebUtility.HtmlEncode(statistics.ToString()), HtmlFormatter.MimeType);
            Formatter.Register<Saliency.SaliencyProfiles>(profiles => System.Net.WebUtility.HtmlEncode(profiles.ToString()), HtmlFormatter.MimeType);
            Formatter.Register<InputSpace.InputHeatmap>(heatmap => heatmap.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<InputSpace.MaskingReport>(report => report.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<InputSpace.PastingReport>(report => System.Net.WebUtility.HtmlEncode(report.Summary), HtmlFormatter.MimeType);
            Formatter.Register<InputSpace.InversionResult>(result => result.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<Experiments.PlantedCueReport>(report => report.ToHtml(), HtmlFormatter.MimeType);
            Formatter.Register<Neighbors.AgreementReport>(report => System.Net.WebUtility.HtmlEncode(report.Summary), HtmlFormatter.MimeType);
            Formatter.Register<Neighbors.SaliencyIndex>(index => System.Net.WebUtility.HtmlEncode(index.ToString()), HtmlFormatter.MimeType);
            Formatter.Register<FineTuning.FineTuningTable>(table => table.ToHtml(), HtmlFormatter.MimeType);
            formattersRegistered = true;
        }
        return new WorkbookEnvironment(
            typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?",
            NativeTorch.DefaultDevice.type.ToString(),
            get_num_threads(),
            Data.WorkbookPaths.RootIfFound);
    }
}

/// <summary>What a notebook session runs on; <paramref name="Root"/> is the workbook checkout, null outside one.</summary>
public sealed record WorkbookEnvironment(string TorchSharpVersion, string Device, int Threads, string? Root)
{
    internal string ToHtml() =>
        "<table><tr><th>TorchSharp</th><th>device</th><th>threads</th><th>workbook</th></tr>" +
        $"<tr><td>{TorchSharpVersion}</td><td>{Device}</td><td>{Threads}</td><td>{(Root is null ? "(no checkout: packages)" : WebUtility.HtmlEncode(Path.GetFileName(Root.TrimEnd('/'))))}</td></tr></table>";
}
