using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>ResNet-50 at 3x224x224 (random weights, random images): heatmaps one at a time against batched.</summary>
internal static class ImageNetScale
{
    public static string HeatmapRows(int heatmaps)
    {
        const int statisticsImages = 8;
        int total = statisticsImages + heatmaps + 1;
        var (model, inputs, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet50()), randn(total, 3, 224, 224), randint(0, 1000, [total], dtype: ScalarType.Int64)));
        using var _ = model;
        model.eval();
        using var data = new ImageDataset("random", inputs, labels, Enumerable.Range(0, 1000).Select(c => c.ToString()).ToArray(), Normalization.ImageNet);
        var statistics = SaliencyStatistics.Compute(new SaliencyProfiler(model), data, Enumerable.Range(0, statisticsImages).ToArray());
        int[] explained = Enumerable.Range(statisticsImages, heatmaps).ToArray();
        double SecondsPerImage(HeatmapOptions options)
        {
            var explainer = new InputSpaceSaliency(model, statistics, options);
            explainer.Explain(data, total - 1); // warm-up
            var clock = Stopwatch.StartNew();
            explainer.Explain(data, explained);
            return clock.Elapsed.TotalSeconds / heatmaps;
        }
        double alone = SecondsPerImage(new HeatmapOptions { BatchSize = 1 }), batched = SecondsPerImage(new HeatmapOptions());
        int perPass = new InputSpaceSaliency(model, statistics).ImagesPerPass;
        Console.Error.WriteLine($"resnet50 heatmaps: {alone:F2} s alone, {batched:F2} s batched");
        return $"| ResNet-50 heatmaps, 3x224x224, random weights | images | one at a time, s/img | batched ({perPass} per pass: the per-sample gradients held for the double backward are capped at 1 GB), s/img | speed-up |\n|---|---|---|---|---|\n| | {heatmaps} | {alone:F2} | {batched:F2} | {alone / batched:F2} |\n";
    }
}
