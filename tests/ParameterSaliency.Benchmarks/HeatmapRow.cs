using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>Input-space heatmaps of many images: one image per double backward (the definition) against the batched default.</summary>
internal static class HeatmapRow
{
    public const string Header =
        "| input-space heatmaps (k 10, boost 100) | images | one at a time, ms/img | batched (default, up to 32 per pass), ms/img | batched speed-up | SmoothGrad (8 copies) of one image: one copy at a time / copies together, ms |\n" +
        "|---|---|---|---|---|---|";

    public static string Row(string name, nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, ImageDataset data, int count)
    {
        int[] indices = Enumerable.Range(0, count).ToArray();
        double MsPerImage(HeatmapOptions options)
        {
            var explainer = new InputSpaceSaliency(model, statistics, options);
            explainer.Explain(data, indices.Take(Math.Min(count, options.BatchSize)).ToArray()); // warm-up
            var clock = Stopwatch.StartNew();
            explainer.Explain(data, indices);
            return clock.Elapsed.TotalMilliseconds / count;
        }
        double Smooth(HeatmapOptions options)
        {
            var explainer = new InputSpaceSaliency(model, statistics, options with { SmoothGradCopies = 8 });
            explainer.Explain(data, 0); // warm-up
            var clock = Stopwatch.StartNew();
            explainer.Explain(data, 1);
            return clock.Elapsed.TotalMilliseconds;
        }
        double loop = MsPerImage(new HeatmapOptions { BatchSize = 1 }), batched = MsPerImage(new HeatmapOptions());
        double smoothLoop = Smooth(new HeatmapOptions { BatchSize = 1 }), smoothBatched = Smooth(new HeatmapOptions());
        string row = $"| {name} | {count} | {loop:F1} | {batched:F1} | {loop / batched:F2} | {smoothLoop:F0} / {smoothBatched:F0} |";
        Console.Error.WriteLine(row);
        return row;
    }
}
