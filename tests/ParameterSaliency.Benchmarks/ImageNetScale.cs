using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// ResNet-50 at 3x224x224 (random weights, random images): peak memory of statistics passes over more and more images
/// (it must stay flat), and heatmaps one at a time against batched.
/// </summary>
internal static class ImageNetScale
{
    public static string Rows(int[] passImages, int heatmaps)
    {
        int total = passImages.Max() + heatmaps + 1;
        var (model, inputs, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet50()), randn(total, 3, 224, 224), randint(0, 1000, [total], dtype: ScalarType.Int64)));
        using var _ = model;
        model.eval();
        using var data = new ImageDataset("random", inputs, labels, Enumerable.Range(0, 1000).Select(c => c.ToString()).ToArray(), Normalization.ImageNet);
        var text = new System.Text.StringBuilder("| ResNet-50, 3x224x224, random weights: statistics pass (Auto) | images | seconds | engine | peak RSS above start |\n|---|---|---|---|---|\n");
        SaliencyStatistics? statistics = null;
        foreach (int count in passImages)
        {
            GC.Collect();
            long before = Process.GetCurrentProcess().WorkingSet64, peak = before;
            var profiler = new SaliencyProfiler(model);
            var clock = Stopwatch.StartNew();
            using (new Timer(_ => peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64), null, 0, 50))
                statistics = SaliencyStatistics.Compute(profiler, data, Enumerable.Range(0, count).ToArray());
            peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
            text.AppendLine($"| | {count} | {clock.Elapsed.TotalSeconds:F1} | {profiler.Engine} | {(peak - before) / 1e6:F0} MB |");
            Console.Error.WriteLine($"resnet50 statistics over {count}: {clock.Elapsed.TotalSeconds:F1} s, {profiler.EngineReason}, peak {(peak - before) / 1e6:F0} MB");
        }
        int[] explained = Enumerable.Range(passImages.Max(), heatmaps).ToArray();
        double SecondsPerImage(HeatmapOptions options)
        {
            var explainer = new InputSpaceSaliency(model, statistics!, options);
            explainer.Explain(data, total - 1); // warm-up
            var clock = Stopwatch.StartNew();
            explainer.Explain(data, explained);
            return clock.Elapsed.TotalSeconds / heatmaps;
        }
        double alone = SecondsPerImage(new HeatmapOptions { BatchSize = 1 }), batched = SecondsPerImage(new HeatmapOptions());
        int perPass = new InputSpaceSaliency(model, statistics!).ImagesPerPass;
        text.AppendLine();
        text.AppendLine($"| ResNet-50 heatmaps | images | one at a time, s/img | batched ({perPass} per pass: the per-sample gradients held for the double backward are capped at 1 GB), s/img | speed-up |\n|---|---|---|---|---|\n| | {heatmaps} | {alone:F2} | {batched:F2} | {alone / batched:F2} |");
        Console.Error.WriteLine($"resnet50 heatmaps: {alone:F2} s alone, {batched:F2} s batched");
        return text.ToString();
    }
}
