using System.CommandLine;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Imaging;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency heatmap</c>: the boosted-profile input-space heatmap of one image (SPEC §3), written as safetensors and optionally PNG.</summary>
internal static class HeatmapCommand
{
    public static Command Create()
    {
        var defaults = new HeatmapOptions();
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var index = new Option<int>("--index") { Description = "The image's index in the data set.", Required = true };
        var statistics = CommonOptions.Statistics(required: true);
        var k = new Option<int>("-k") { Description = "How many filters s' boosts.", DefaultValueFactory = _ => defaults.K };
        var boost = new Option<double>("--boost") { Description = "Factor applied to the boosted entries of s'.", DefaultValueFactory = _ => defaults.Boost };
        var randomSeed = new Option<int?>("--random-filters") { Description = "Control: boost k random filters drawn with this seed instead of the top-k." };
        var smoothGrad = new Option<int>("--smoothgrad") { Description = "Average the gradient over this many noisy copies (0: off).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Safetensors file to write: input [C,H,W], gradient [C,H,W], heatmap [H,W].", Required = true };
        var png = new Option<string?>("--png") { Description = "Also write the overlay (display blur, colour map) as PNG." };
        var command = new Command("heatmap", "Input-space heatmap of one image from its boosted saliency profile (paper §2.2).")
        {
            index, statistics, k, boost, randomSeed, smoothGrad, output, png,
        };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            int i = result.GetValue(index);
            if (i < 0 || i >= data.Count) throw new ArgumentException($"--index {i} is outside the data set (0-{data.Count - 1}).");
            var seed = result.GetValue(randomSeed);
            var options = defaults with
            {
                K = result.GetValue(k),
                Boost = result.GetValue(boost),
                Filters = seed is null ? BoostedFilters.TopSalient : BoostedFilters.Random,
                RandomSeed = seed ?? 0,
                SmoothGradCopies = result.GetValue(smoothGrad),
            };
            var explainer = new InputSpaceSaliency(saved.Model, SaliencyStatistics.Load(result.GetValue(statistics)!), options);
            var heatmap = explainer.Explain(data, i);
            var (c, h, w) = data.ImageShape;
            string outPath = result.GetValue(output)!;
            using (var scope = NewDisposeScope())
            {
                SafeTensors.Write(outPath, new Dictionary<string, Tensor>
                {
                    ["input"] = tensor(heatmap.Input).reshape(c, h, w),
                    ["gradient"] = tensor(heatmap.Gradient).reshape(c, h, w),
                    ["heatmap"] = tensor(heatmap.Heatmap).reshape(h, w),
                }, new Dictionary<string, string>
                {
                    ["model"] = saved.Fingerprint,
                    ["dataset"] = data.Name,
                    ["index"] = i.ToString(CultureInfo.InvariantCulture),
                    ["label"] = heatmap.Label.ToString(CultureInfo.InvariantCulture),
                    ["method"] = heatmap.Method,
                    ["boosted_filters"] = string.Join(",", heatmap.BoostedFilters.Select(f => explainer.Layout.EntryName(f))),
                    ["clip_percentile"] = options.ClipPercentile.ToString("R", CultureInfo.InvariantCulture),
                    ["floor_percentile"] = options.FloorPercentile.ToString("R", CultureInfo.InvariantCulture),
                    ["warnings"] = string.Join("; ", heatmap.Warnings),
                });
            }
            if (result.GetValue(png) is string pngPath) AtomicFile.Write(pngPath, stream => stream.Write(heatmap.Overlay().ToPng(scale: 8)));
            var (row, column) = heatmap.Peak();
            Console.WriteLine($"{data.Name} #{i} (true {data.ClassNames[heatmap.Label]}): {heatmap.Method}; boosted {string.Join(", ", heatmap.BoostedFilters.Take(3).Select(f => explainer.Layout.EntryName(f)))}{(heatmap.BoostedFilters.Count > 3 ? ", ..." : "")}");
            Console.WriteLine($"peak at row {row}, column {column}; wrote {outPath}");
            foreach (string warning in heatmap.Warnings) Console.Error.WriteLine($"saliency: warning: {warning}");
            return 0;
        });
        return command;
    }
}
