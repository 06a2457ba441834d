using System.Diagnostics;
using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// Time and peak memory of statistics passes over more and more images, each pass in a process of its own so that its
/// peak resident set (the kernel's high-water mark, VmHWM) is its own: it must stay flat as the images grow.
/// </summary>
internal static class PassMemory
{
    /// <summary>Child: a pass of <paramref name="model"/> ("default", or "resnet50" / "vit_b_16": random weights and 3x224x224 images, the ViT neuron-wise) over <paramref name="count"/> images; prints seconds, peak MB and the engine.</summary>
    public static int Child(string model, int count)
    {
        SaliencyProfiler profiler;
        IImageSource data;
        if (model == "default")
        {
            var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
            profiler = new SaliencyProfiler(saved.Model);
            data = FashionMnist.Load(DataSplit.Test);
        }
        else
        {
            var (network, images, labels) = GlobalRandom.Seeded(0, () => (
                model == "vit_b_16" ? new VisionTransformer(VitConfig.Named("vit_b_16")) : (nn.Module<Tensor, Tensor>)new ResNet(ResNetConfig.TorchVisionResNet50()),
                randn(count, 3, 224, 224), randint(0, 1000, [count], dtype: ScalarType.Int64)));
            network.eval();
            profiler = new SaliencyProfiler(network);
            data = new ImageDataset("random", images, labels, Enumerable.Range(0, 1000).Select(c => c.ToString()).ToArray(), Normalization.ImageNet);
        }
        var clock = Stopwatch.StartNew();
        SaliencyStatistics.Compute(profiler, data, Enumerable.Range(0, count).ToArray());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:R} {PeakMegabytes():F0} {profiler.Engine}"));
        return 0;
    }

    static double PeakMegabytes() =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;

    public static string Rows(string model, string title, int[] counts)
    {
        var text = new System.Text.StringBuilder($"| {title} | images | seconds | img/s | engine | peak RSS of the process |\n|---|---|---|---|---|---|\n");
        foreach (int count in counts)
        {
            string[] fields = IsaRow.Run(["--pass-memory", model, count.ToString()], []).Trim().Split('\n')[^1].Split(' ');
            double seconds = double.Parse(fields[0], CultureInfo.InvariantCulture);
            string row = $"| | {count:N0} | {seconds:F1} | {count / seconds:F0} | {fields[2]} | {fields[1]} MB |";
            Console.Error.WriteLine($"{title}: {row}");
            text.AppendLine(row);
        }
        return text.ToString();
    }
}
