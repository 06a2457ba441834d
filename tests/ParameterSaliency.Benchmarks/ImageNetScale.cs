using System.Collections;
using System.Diagnostics;
using System.Text.Json;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// ResNet-50 at 3x224x224 (random weights, random images): seconds per image for a profile and a heatmap and the
/// peak memory over the profiles, against Debian's PyTorch on the same weights and images, one image at a time
/// with the authors' semantics (pytorch_anchor.py), timed in the same run.
/// </summary>
internal static class ImageNetScale
{
    public static string Row(string folder, int images, int heatmaps)
    {
        Directory.CreateDirectory(folder);
        manual_seed(0);
        using var model = new ResNet(ResNetConfig.TorchVisionResNet50());
        model.eval();
        var inputs = randn(images + 1, 3, 224, 224);
        var labels = randint(0, 1000, [images + 1], dtype: ScalarType.Int64);
        string weights = Path.Combine(folder, "resnet50.pth"), data = Path.Combine(folder, "resnet50-images.pth");
        PyTorchCheckpoint.Save(model, weights);
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(data, new Hashtable { ["images"] = inputs, ["labels"] = labels });

        var profiler = new SaliencyProfiler(model);
        profiler.Profile(inputs.narrow(0, 0, 1), labels.narrow(0, 0, 1)).Dispose(); // warm-up
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64, peak = before;
        using (new Timer(_ => peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64), null, 0, 50))
        {
            var clock = Stopwatch.StartNew();
            for (int i = 1; i <= images; i++) profiler.Profile(inputs.narrow(0, i, 1), labels.narrow(0, i, 1)).Dispose();
            double profileSeconds = clock.Elapsed.TotalSeconds / images;
            peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);

            var statistics = SaliencyStatistics.Compute(profiler, new ParameterSaliency.Data.ImageDataset("random", inputs.narrow(0, 1, Math.Min(images, 8)),
                labels.narrow(0, 1, Math.Min(images, 8)), Enumerable.Range(0, 1000).Select(c => c.ToString()).ToArray(), ParameterSaliency.Data.Normalization.ImageNet));
            var explainer = new InputSpaceSaliency(model, statistics);
            explainer.Explain(inputs[0], (int)labels[0].item<long>(), ParameterSaliency.Data.Normalization.ImageNet); // warm-up
            clock.Restart();
            for (int i = 1; i <= heatmaps; i++) explainer.Explain(inputs[i], (int)labels[i].item<long>(), ParameterSaliency.Data.Normalization.ImageNet);
            double heatmapSeconds = clock.Elapsed.TotalSeconds / heatmaps;

            var (pytorchSeconds, pytorchNote) = PyTorch(weights, data, images);
            Console.Error.WriteLine($"resnet50 224: profile {profileSeconds:F3} s, heatmap {heatmapSeconds:F3} s, PyTorch {pytorchSeconds:F3} s ({pytorchNote}), peak {(peak - before) / 1e6:F0} MB");
            string ratio = double.IsNaN(pytorchSeconds) ? "–" : $"{pytorchSeconds / profileSeconds:F2}";
            return "| ResNet-50, 3x224x224, random weights | images | our profile, s/img | PyTorch, authors' semantics, s/img | PyTorch / ours | our heatmap, s/img | peak RSS over the profiles |\n|---|---|---|---|---|---|---|\n" +
                   $"| {profiler.Engine} engine ({pytorchNote}) | {images} | {profileSeconds:F3} | {(double.IsNaN(pytorchSeconds) ? "–" : pytorchSeconds.ToString("F3"))} | {ratio} | {heatmapSeconds:F2} ({heatmaps} images) | {(peak - before) / 1e6:F0} MB |";
        }
    }

    /// <summary>Seconds per image of pytorch_anchor.py on the same files, with this process's thread count; NaN when Debian's python3-torch is not installed.</summary>
    static (double Seconds, string Note) PyTorch(string weights, string data, int images)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_anchor.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { script, "resnet50", weights, data, get_num_threads().ToString() }) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) return (double.NaN, $"PyTorch failed: {error.Result.Trim().Split('\n')[^1]}");
            using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            return (json.RootElement.GetProperty("seconds_per_image").GetDouble(), $"PyTorch {json.RootElement.GetProperty("torch").GetString()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (double.NaN, "no /usr/bin/python3");
        }
    }
}
