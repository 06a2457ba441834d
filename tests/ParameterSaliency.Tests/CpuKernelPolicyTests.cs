using System.Text.RegularExpressions;
using ParameterSaliency.Runtime;

namespace ParameterSaliency.Tests;

/// <summary>How the oneDNN ISA cap is chosen, cached and overridden.</summary>
public class CpuKernelPolicyTests
{
    static CpuKernelMeasurement Measured(string isa, double error, double imagesPerSecond) => new(isa, error, error, 1e-7, error, imagesPerSecond);

    [Fact]
    public void The_fastest_correct_cap_wins_and_a_narrower_one_must_be_a_quarter_faster()
    {
        Assert.Equal("ALL", CpuKernelPolicy.Choose([Measured("ALL", 1e-7, 100), Measured("AVX512_CORE", 1e-7, 124), Measured("AVX2", 1e-7, 90)]).Isa);
        Assert.Equal("AVX512_CORE", CpuKernelPolicy.Choose([Measured("ALL", 1e-7, 100), Measured("AVX512_CORE", 1e-7, 126), Measured("AVX2", 1e-7, 90)]).Isa);
        Assert.Equal("AVX2", CpuKernelPolicy.Choose([Measured("ALL", 1e-7, 100), Measured("AVX512_CORE", 1e-7, 126), Measured("AVX2", 1e-7, 160)]).Isa);
        // The AMD EPYC case: AVX-512 kernels wrong, AVX2 right.
        var amd = CpuKernelPolicy.Choose([Measured("ALL", 3e-2, 150), Measured("AVX512_CORE", 3e-2, 150), Measured("AVX2", 2e-7, 120)]);
        Assert.Equal("AVX2", amd.Isa);
        Assert.Contains("ALL: WRONG", amd.Reason);
        var crashed = new CpuKernelMeasurement("ALL", double.NaN, double.NaN, double.NaN, double.NaN, 0) { Failure = "exit code 134" };
        Assert.False(crashed.Correct);
        Assert.Equal("AVX2", CpuKernelPolicy.Choose([crashed, Measured("AVX2", 2e-7, 120)]).Isa);
        var none = CpuKernelPolicy.Choose([Measured("ALL", 3e-2, 150), Measured("AVX2", 1e-3, 120)]);
        Assert.Equal("AVX2", none.Isa);
        Assert.Contains("fall back to the loop", none.Reason);
    }

    [SkippableFact]
    public void The_verdict_is_measured_once_cached_and_measured_again_when_the_cache_is_damaged_or_stale()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "measured on Linux only");
        string cache = Path.Combine(Directory.CreateTempSubdirectory().FullName, "verdict.json");
        var log = new StringWriter();
        var first = CpuKernelPolicy.Decide(log, cachePath: cache, candidates: ["AVX2"]);
        Assert.Equal(CpuKernelSource.Measured, first.Source);
        Assert.Contains("Measuring", log.ToString());
        var measurement = Assert.Single(first.Measurements);
        Assert.Equal("AVX2", measurement.Isa);
        Assert.Null(measurement.Failure);
        Assert.True(measurement.Correct, first.Reason);
        Assert.InRange(measurement.BatchedImagesPerSecond, 1, 1e5);

        var second = CpuKernelPolicy.Decide(cachePath: cache, candidates: ["AVX2"]);
        Assert.Equal(CpuKernelSource.Cached, second.Source);
        Assert.Equal(measurement, Assert.Single(second.Measurements));

        File.WriteAllText(cache, File.ReadAllText(cache)[..40]); // truncated
        Assert.Equal(CpuKernelSource.Measured, CpuKernelPolicy.Decide(cachePath: cache, candidates: ["AVX2"]).Source);
        File.WriteAllText(cache, Regex.Replace(File.ReadAllText(cache), "\"Key\":\"[0-9a-f]+\"", "\"Key\":\"0000\"")); // another processor or libtorch
        Assert.Equal(CpuKernelSource.Measured, CpuKernelPolicy.Decide(cachePath: cache, candidates: ["AVX2"]).Source);
        Assert.Equal(CpuKernelSource.Cached, CpuKernelPolicy.Decide(cachePath: cache, candidates: ["AVX2"]).Source);
    }

    [Fact]
    public void The_users_ONEDNN_MAX_CPU_ISA_wins_and_the_cli_says_which_cap_runs()
    {
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, "cpu", environment: new() { ["ONEDNN_MAX_CPU_ISA"] = "AVX2" });
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("oneDNN ISA cap: AVX2 (Environment)", stdout);
        (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, "cpu");
        Assert.True(exitCode == 0, stderr);
        Assert.Matches(@$"oneDNN ISA cap: {Regex.Escape(CpuKernels.Policy.Isa)} \((Cached|Measured)\)", stdout);
        Assert.Contains("correct", stdout);
    }
}
