using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using static TorchSharp.torch;

/// <summary>
/// <c>saliency stats</c> over <see cref="Images"/> test images as a user runs it, against functorch <c>vmap(grad)</c> at 32
/// per call (PyTorch's best route on the default model) over 512 of the same images, taken in turns, <see cref="Runs"/>
/// times: each of our runs has the process's start-up subtracted (a run over 64 images), each PyTorch run is timed
/// inside Python after a warm-up call. The median of the per-run ratios is the number the README and the performance article quote.
/// </summary>
internal static class StatsAgainstFunctorch
{
    public const int Images = 2048, Runs = 5;

    public static string Table(string folder)
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var images = test.Images.narrow(0, 0, 512);
        var labels = test.Labels.narrow(0, 0, 512);
        var table = new StringBuilder();
        table.AppendLine($"`saliency stats` over {Images:N0} test images (default settings) against functorch vmap(grad), 32 per call, over 512 of them, {Runs} runs in turns:");
        table.AppendLine();
        table.AppendLine("| run | ours: 64 images, s | ours: 2,048 images, s | ours, img/s | functorch vmap 32, img/s | ours / functorch |");
        table.AppendLine("|---|---|---|---|---|---|");
        var ours = new List<double>();
        var theirs = new List<double>();
        var ratios = new List<double>();
        for (int run = 1; run <= Runs; run++)
        {
            double small = CliRow.Seconds(64), full = CliRow.Seconds(Images);
            double rate = (Images - 64) / (full - small);
            var pytorch = PyTorchRates.Measure(folder, "default", "cifar-resnet18-w16", saved.Model, images, labels, "vmap32", 1, out string? reason);
            double vmap = pytorch?.Vmap32 ?? double.NaN;
            ours.Add(rate);
            theirs.Add(vmap);
            ratios.Add(rate / vmap);
            string row = $"| {run} | {small:F2} | {full:F2} | {rate:F0} | {(pytorch is null ? reason : vmap.ToString("F0"))} | {rate / vmap:F2} |";
            table.AppendLine(row);
            Console.Error.WriteLine(row);
        }
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        table.AppendLine($"| median | | | {Median(ours):F0} | {Median(theirs):F0} | {Median(ratios):F2} |");
        return table.ToString();
    }
}
