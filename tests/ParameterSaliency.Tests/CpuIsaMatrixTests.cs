using System.Diagnostics;
using System.Text.RegularExpressions;
using ParameterSaliency.Runtime;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// Imitates other processors on this one: the tests whose results depend on libtorch's CPU kernels (trait
/// <see cref="Category"/>: engine agreement, statistics, heatmaps, convolution gradients) run again in a
/// child test process under each other oneDNN ISA cap this processor supports (oneDNN reads the cap once
/// per process), and must pass under each: the library sets no cap, and a user may set any. Under AVX2 .NET's
/// AVX-512 is switched off too, so the library's own vector kernels take their 256-bit path. One test class per cap
/// (below), so that two caps run side by side, each child on one thread as every test process here.
/// </summary>
public abstract class CpuIsaMatrixTests(ITestOutputHelper output)
{
    /// <summary>The trait value of the tests that run under every cap.</summary>
    public const string Category = "CpuIsaMatrix";

    /// <summary>The oneDNN ISA cap this class imitates.</summary>
    public abstract string Isa { get; }

    [SkippableFact]
    public void Kernel_dependent_tests_pass_under_the_cap()
    {
        string isa = Isa;
        Skip.IfNot(OperatingSystem.IsLinux(), "oneDNN ISA caps are imitated on Linux x86-64");
        Skip.IfNot(CpuKernelPolicy.SupportedCaps().Contains(isa), $"this processor ({CpuKernelPolicy.ProcessorName()}) does not support {isa}");
        Skip.If(CpuKernels.Policy.Isa == isa, $"{isa} is the cap this test process runs under: the tests ran here");
        SkipWhereTheCapDispatchesTheKernelsOfThisProcess(isa);

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Workbook.Root,
        };
        foreach (string argument in new[] { "test", typeof(CpuIsaMatrixTests).Assembly.Location, "--filter", $"Category={Category}" }
                     .Concat(CapEnvironment(isa).SelectMany(variable => new[] { "-e", $"{variable.Key}={variable.Value}" }))
                     // One test at a time: this test's own thread is the second one the suite allows.
                     .Concat(["--", "xUnit.ParallelizeTestCollections=false"]))
            start.ArgumentList.Add(argument);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(15)), $"the tests under {isa} did not finish in 15 minutes");
        string log = stdout.Result + stderr.Result;
        var summary = Regex.Match(log, @"Failed: +(\d+), Passed: +(\d+), Skipped: +(\d+)");
        output.WriteLine($"{isa}: {summary.Value} in {clock.Elapsed.TotalSeconds:N0} s");
        Assert.True(process.ExitCode == 0 && summary.Success, $"under ONEDNN_MAX_CPU_ISA={isa}:\n{log}");
        Assert.Equal("0", summary.Groups[1].Value);
        Assert.True(int.Parse(summary.Groups[2].Value) >= 20, $"only {summary.Groups[2].Value} tests ran under {isa}:\n{log}");
    }

    /// <summary>What the child test process gets: the cap, and .NET's own vectors following it (under AVX2 the library's C# kernels run 256-bit, as on a processor without AVX-512).</summary>
    static Dictionary<string, string> CapEnvironment(string isa) => new()
    {
        ["ONEDNN_MAX_CPU_ISA"] = isa, ["DNNL_MAX_CPU_ISA"] = isa, ["DOTNET_EnableAVX512"] = isa == "AVX2" ? "0" : "1",
    };

    /// <summary>
    /// A cap that leaves every convolution on the implementation it has in this process repeats this process's numbers:
    /// on an AVX-512 processor, fp32 convolutions run avx512_core kernels with no cap as under AVX512_CORE (VNNI, BF16
    /// and AMX serve other data types). That is measured here, not assumed: the convolutions of <see cref="DispatchedKernels"/>
    /// in a child with this process's environment and in one with the cap's must name the same implementation, problem
    /// by problem, and .NET's vectors must be the same. Otherwise, or when oneDNN runs no convolution (its kernels are
    /// off), the tests run under the cap.
    /// </summary>
    void SkipWhereTheCapDispatchesTheKernelsOfThisProcess(string isa)
    {
        if (CapEnvironment(isa)["DOTNET_EnableAVX512"] != (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") ?? "1")) return;
        var clock = Stopwatch.StartNew();
        var here = DispatchedKernels.Under(new Dictionary<string, string>());
        var there = DispatchedKernels.Under(CapEnvironment(isa));
        string[] onlyHere = here.Kernels.Except(there.Kernels).ToArray(), onlyThere = there.Kernels.Except(here.Kernels).ToArray();
        output.WriteLine($"this process ({here.Policy}): {here.Kernels.Length} convolution kernels; under {isa} ({there.Policy}): {there.Kernels.Length}; " +
                         $"{onlyHere.Length} only here, {onlyThere.Length} only under the cap ({clock.Elapsed.TotalSeconds:N1} s)");
        foreach (string kernel in onlyHere.Take(5)) output.WriteLine($"  only here:      {kernel}");
        foreach (string kernel in onlyThere.Take(5)) output.WriteLine($"  only under {isa}: {kernel}");
        Skip.If(here.Kernels.Length > 0 && onlyHere.Length == 0 && onlyThere.Length == 0,
            $"under {isa} oneDNN dispatches the {here.Kernels.Length} convolution kernels this process runs, problem by problem, and .NET's vectors are the same: the tests ran here with the same kernels");
    }
}

[ExpectedSeconds(117)]
public sealed class CpuIsaMatrixAllTests(ITestOutputHelper output) : CpuIsaMatrixTests(output) { public override string Isa => "ALL"; }
[ExpectedSeconds(117)]
public sealed class CpuIsaMatrixAvx512CoreTests(ITestOutputHelper output) : CpuIsaMatrixTests(output) { public override string Isa => "AVX512_CORE"; }
[ExpectedSeconds(117)]
public sealed class CpuIsaMatrixAvx2Tests(ITestOutputHelper output) : CpuIsaMatrixTests(output) { public override string Isa => "AVX2"; }
