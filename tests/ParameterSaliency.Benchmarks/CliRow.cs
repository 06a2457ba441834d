using System.Diagnostics;

/// <summary>
/// <c>saliency stats</c> as a user runs it (default settings, the default model, Fashion-MNIST's 10,000 test images), in
/// a process of its own: images per second with the process's start-up subtracted (a run over 64 images).
/// </summary>
internal static class CliRow
{
    public const string Header =
        "| `saliency stats` with default settings | images | seconds | start-up (64 images), s | img/s without start-up | / PyTorch's best on the default model |\n" +
        "|---|---|---|---|---|---|";

    public static string Row(double pytorchBest)
    {
        string output = Path.Combine(Path.GetTempPath(), $"benchmark-stats-{Environment.ProcessId}.safetensors");
        try
        {
            double small = Seconds(64, output), full = Seconds(10000, output);
            double rate = (10000 - 64) / (full - small);
            string ratio = double.IsNaN(pytorchBest) ? "–" : (rate / pytorchBest).ToString("F2");
            string row = $"| Auto engine, 16 images per pass | 10,000 | {full:F1} | {small:F1} | {rate:F0} | {ratio} |";
            Console.Error.WriteLine(row);
            return row;
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Wall-clock seconds of <c>saliency stats --limit <paramref name="images"/></c> in a process of its own.</summary>
    public static double Seconds(int images)
    {
        string output = Path.Combine(Path.GetTempPath(), $"benchmark-stats-{Environment.ProcessId}.safetensors");
        try
        {
            return Seconds(images, output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    static double Seconds(int images, string output)
    {
        var clock = Stopwatch.StartNew();
        IsaRow.RunDotnet(Path.Combine(AppContext.BaseDirectory, "saliency.dll"), ["stats", "--limit", images.ToString(), "--out", output, "--force"], []);
        return clock.Elapsed.TotalSeconds;
    }
}
