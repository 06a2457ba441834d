using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ParameterSaliency.Tests;

/// <summary>Two processes that want the same cache at once: one computes, the other waits and reads. Runs alone (timed).</summary>
[Collection(Alone.Name)]
public class ConcurrencyTests
{
    [Fact]
    public void Two_stats_processes_on_the_same_uncached_statistics_compute_once_and_agree_bit_for_bit()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        const string Arguments = "stats --limit 512 --out";
        var clock = Stopwatch.StartNew();
        var alone = Workbook.Run(CommandLineTests.Saliency, $"{Arguments} \"{folder}/alone.safetensors\"");
        double aloneSeconds = clock.Elapsed.TotalSeconds;
        Assert.True(alone.ExitCode == 0, alone.Error);

        clock.Restart();
        var pair = new[] { 0, 1 }.Select(_ => Task.Run(() => Workbook.Run(CommandLineTests.Saliency, $"{Arguments} \"{folder}/shared.safetensors\""))).ToArray();
        var results = pair.Select(t => t.Result).ToArray();
        double pairSeconds = clock.Elapsed.TotalSeconds;

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Error));
        Assert.Equal(1, results.Count(r => r.Error.Contains("Profiling 512 images")));
        Assert.Equal(1, results.Count(r => r.Output.Contains("Up to date")));
        string Checksum(string output) => Regex.Match(output, @"checksum ([0-9a-f]{16})").Groups[1].Value;
        var saved = Saliency.SaliencyStatistics.Load($"{folder}/shared.safetensors");
        Assert.All(results, r => Assert.Equal(saved.Checksum, Checksum(r.Output)));
        // Computed alone by the same code: the same numbers to float32 batching noise, and the same images.
        var separately = Saliency.SaliencyStatistics.Load($"{folder}/alone.safetensors");
        Assert.Equal(separately.Data, saved.Data);
        Assert.True(pairSeconds <= 2.5 * aloneSeconds, $"the pair took {pairSeconds:N1} s, one run alone {aloneSeconds:N1} s");
    }
}
