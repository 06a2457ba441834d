using System.Diagnostics;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// The paper's model under both guards: torchvision's ResNet-50 at 3x224x224 with seeded random weights and batch norm
/// calibrated on the images (pretrained weights cannot be fetched here), our Auto engine with
/// <see cref="KinkGuard.Exact"/> and with <see cref="KinkGuard.Flag"/>, against Debian's PyTorch (the authors' loop and
/// functorch vmap(grad), 8 per call) on the same weights and images, in one run; ours in turns, medians.
/// </summary>
internal static class ResNet50Guard
{
    public static string Row(string folder, int count, int repeats)
    {
        var (model, images, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet50()), randn(count, 3, 224, 224), randint(0, 1000, [count], dtype: ScalarType.Int64)));
        using var owned = model;
        Calibrate(model, images);
        var pytorch = PyTorchRates.Measure(folder, "resnet50-calibrated", "resnet50", model, images, labels, "loop,vmap8", repeats, out string? reason);
        var exact = new SaliencyProfiler(model);
        var flag = new SaliencyProfiler(model, new ProfilerOptions { Guard = KinkGuard.Flag });
        foreach (var profiler in new[] { exact, flag }) profiler.Profile(images.narrow(0, 2, 2), labels.narrow(0, 2, 2)).Dispose(); // Auto decides on its first batch
        var rates = new Dictionary<string, List<double>> { ["exact"] = [], ["flag"] = [] };
        int checkedRows = 0, recomputed = 0, flagged = 0;
        for (int repeat = 0; repeat < repeats; repeat++)
            foreach (var (name, profiler) in repeat % 2 == 0 ? new[] { ("exact", exact), ("flag", flag) } : new[] { ("flag", flag), ("exact", exact) })
            {
                var clock = Stopwatch.StartNew();
                using var profiles = profiler.Profile(images, labels);
                rates[name].Add(count / clock.Elapsed.TotalSeconds);
                if (name == "exact") (checkedRows, recomputed) = (profiles.Float32Candidates, profiles.Float64MaskRows.Count);
                else flagged = profiles.UnsettledRows.Count;
            }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        double best = pytorch is null ? double.NaN : Math.Max(pytorch.Loop, pytorch.Vmap8); // vmap 32 is not run here (activations of 32 images)
        return "| model | images | ours, Exact, img/s | ours, Flag, img/s | PyTorch loop | PyTorch vmap 8 | Exact / PyTorch best | Flag / PyTorch best | Exact: checked, recomputed | Flag: flagged |\n" +
               "|---|---|---|---|---|---|---|---|---|---|\n" +
               $"| ResNet-50, 3x224x224, random weights, batch norm calibrated ({exact.Engine}) | {count} | {Median(rates["exact"]):F2} | {Median(rates["flag"]):F2} | " +
               $"{pytorch?.Loop ?? double.NaN:F2} | {pytorch?.Vmap8 ?? double.NaN:F2} | {Median(rates["exact"]) / best:F2} | {Median(rates["flag"]) / best:F2} | " +
               $"{checkedRows} of {count}, {recomputed} | {flagged} of {count} |" + (reason is null ? "" : $"\n\n({reason})");
    }

    /// <summary>Running means and variances of every batch norm from the images' own statistics (momentum 1: one forward in training mode).</summary>
    static void Calibrate(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        var norms = model.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToArray();
        foreach (var norm in norms) norm.momentum = 1.0;
        model.train();
        using (no_grad()) model.call(images).Dispose();
        foreach (var norm in norms) norm.momentum = 0.1;
        model.eval();
    }
}
