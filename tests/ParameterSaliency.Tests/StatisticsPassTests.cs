using System.Diagnostics;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Tests;

/// <summary>Long statistics passes through the CLI: interrupted and resumed, and split over concurrent shard processes.</summary>
[ExpectedSeconds(45)]
public class StatisticsPassTests
{
    static string Saliency => CommandLineTests.Saliency;

    internal static (double[] Mean, double[] Std, long Count) Read(string path)
    {
        using var content = SafeTensors.Read(path);
        return (content["mean"].data<double>().ToArray(), content["std"].data<double>().ToArray(), content["count"].item<long>());
    }

    internal static void Succeed(string arguments)
    {
        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, arguments);
        Assert.True(exitCode == 0, $"saliency {arguments} failed:\n{stdout}\n{stderr}");
    }

    [Fact]
    public void A_killed_pass_resumes_from_its_checkpoint_and_equals_an_uninterrupted_pass()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string output = Path.Combine(folder, "resumed.safetensors"), partial = output + ".partial";
        string arguments = $"stats --limit 1280 --engine Batched --checkpoint-seconds 0 --out \"{output}\"";

        var start = new ProcessStartInfo("dotnet", $"\"{Saliency}\" {arguments}") { WorkingDirectory = Workbook.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        using (var first = Process.Start(start)!)
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            int done = 0;
            var clock = Stopwatch.StartNew();
            while (done < 256 && !first.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                Thread.Sleep(50);
                if (!File.Exists(partial)) continue;
                try
                {
                    using var checkpoint = SafeTensors.Read(partial);
                    done = int.Parse(checkpoint.Metadata["done"]);
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    // replaced while being read: read the next one
                }
            }
            Assert.False(first.HasExited, "the pass ended before it could be interrupted");
            first.Kill(entireProcessTree: true);
            first.WaitForExit();
            Assert.InRange(done, 256, 1279);
        }
        Assert.False(File.Exists(output), "an interrupted pass must not leave a statistics file");
        Assert.True(File.Exists(partial));

        var (exitCode, stdout, stderr) = Workbook.Run(Saliency, arguments);
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("Resuming from", stderr);
        Assert.False(File.Exists(partial), "the checkpoint is removed once the statistics are written");

        string whole = Path.Combine(folder, "whole.safetensors");
        Succeed($"stats --limit 1280 --engine Batched --out \"{whole}\"");
        var (resumed, expected) = (Read(output), Read(whole));
        Assert.Equal(expected.Count, resumed.Count);
        Assert.Equal(expected.Mean, resumed.Mean); // the same chunks: bit for bit
        Assert.Equal(expected.Std, resumed.Std);
    }

    [Fact]
    public void Four_concurrent_shard_processes_merge_to_one_pass()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        // The loop engine's profile of an image does not depend on its batch: the shards see the same float32 profiles as one pass.
        var shards = Enumerable.Range(1, 4).Select(i => Path.Combine(folder, $"shard{i}.safetensors")).ToArray();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => Succeed($"stats --limit 400 --engine Loop --shard {i + 1}/4 --out \"{shards[i]}\""));
        string merged = Path.Combine(folder, "merged.safetensors"), whole = Path.Combine(folder, "whole.safetensors");
        Succeed($"stats merge {string.Join(" ", shards.Select(s => $"\"{s}\""))} --out \"{merged}\"");
        Succeed($"stats --limit 400 --engine Loop --out \"{whole}\"");
        var (m, w) = (Read(merged), Read(whole));
        Assert.Equal(400, m.Count);
        for (int f = 0; f < w.Mean.Length; f++)
        {
            Assert.True(Math.Abs(m.Mean[f] - w.Mean[f]) <= 1e-12 * Math.Abs(w.Mean[f]) + 1e-300, $"μ[{f}]: {m.Mean[f]:R} vs {w.Mean[f]:R}");
            Assert.True(Math.Abs(m.Std[f] - w.Std[f]) <= 1e-10 * Math.Abs(w.Std[f]) + 1e-300, $"σ[{f}]: {m.Std[f]:R} vs {w.Std[f]:R}");
        }
    }
}
