using System.Text.RegularExpressions;
using ParameterSaliency.Runtime;
using ParameterSaliency.Serialization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The route around faulty CPU kernels, proved on a processor without a fault: the probe's seam
/// (<see cref="KernelProbe.FaultVariable"/>) plants wrong values (NaN in one input-gradient entry of a second call) or a
/// real SIGFPE in chosen candidates, and the command-line tool, run as a user runs it in a fresh process with its own
/// verdict cache, must choose the next candidate, apply it, and compute on it. Which kernels libtorch then runs is read
/// from oneDNN's own log (<c>ONEDNN_VERBOSE=1</c>: the ISA it dispatches for, and every primitive it executes) and from
/// libtorch's switches, never from the library's word alone.
/// </summary>
[ExpectedSeconds(66)]
public class KernelRouteTests(ITestOutputHelper output) : IDisposable
{
    readonly string cache = Directory.CreateTempSubdirectory("kernel-route-").FullName;

    public void Dispose() => Directory.Delete(cache, recursive: true);

    (int ExitCode, string Output, string Error) Saliency(string arguments, string faults, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["PARAMETER_SALIENCY_CACHE"] = cache, [KernelProbe.FaultVariable] = faults, ["ONEDNN_MAX_CPU_ISA"] = "", ["DNNL_MAX_CPU_ISA"] = "",
        };
        foreach (var (name, value) in extra ?? []) environment[name] = value;
        var result = Workbook.Run(CommandLineTests.Saliency, arguments, environment: environment, timeout: TimeSpan.FromMinutes(5));
        output.WriteLine($"$ saliency {arguments}  [{faults}]\n{result.Output.Split('\n').Count(l => l.StartsWith("onednn_verbose", StringComparison.Ordinal))} oneDNN log lines; " +
                         string.Join("\n", result.Output.Split('\n').Where(l => !l.StartsWith("onednn_verbose", StringComparison.Ordinal))) + result.Error);
        Assert.True(result.ExitCode == 0, $"saliency {arguments} exited {result.ExitCode}:\n{result.Error}");
        return result;
    }

    static readonly Dictionary<string, string> OneDnnLog = new() { ["ONEDNN_VERBOSE"] = "1" };

    /// <summary>Whether this test process found oneDNN's uncapped kernels right (no real fault on this processor).</summary>
    static bool RightWithoutCap => CpuKernels.Policy is { Backend: ConvolutionBackend.OneDnn, Isa: "ALL", Right: true };

    [SkippableFact]
    public void Wrong_values_and_a_crash_under_every_cap_send_every_path_to_ATen_s_kernels()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the kernel probe runs on Linux x86-64");
        var caps = CpuKernelPolicy.SupportedCaps();
        // As on the AMD EPYC of 2026-12-07: the AVX-512 caps give wrong values, AVX2 dies building a strided backward.
        string faults = string.Join(",", caps.Select(cap => cap == "AVX2" ? "AVX2=crash" : $"{cap}=wrong"));

        var (_, first, announced) = Saliency("cpu", faults);
        Assert.Contains("kernels in force: no oneDNN (Probed", first);
        Assert.Contains("asked from libtorch: oneDNN off, NNPACK off", first);
        foreach (string cap in caps)
            Assert.Contains(cap == "AVX2" ? "oneDNN AVX2: FAILED (killed by SIGFPE" : $"oneDNN {cap}: WRONG, worst NaN at ", first); // the planted NaN, or a real one first
        Assert.Contains("no oneDNN: right", first);
        Assert.Contains("Probed libtorch's CPU kernels on this processor", announced);
        Assert.Contains("kernels in force: no oneDNN (Cached", Saliency("cpu", faults).Output);

        // Profiles of the reference images: no oneDNN primitive runs (oneDNN never even starts), and every row matches
        // PyTorch's float64 recomputation as the default kernels do.
        using var reference = ReferenceFixtures.ForDefaultModel("reference-saliency.safetensors");
        long[] indices = reference["indices"].data<long>().ToArray();
        string profiles = Path.Combine(cache, "profiles.safetensors");
        var (_, profileLog, _) = Saliency($"profile --indices {string.Join(',', indices)} --out \"{profiles}\"", faults, OneDnnLog);
        Assert.DoesNotContain("onednn_verbose", profileLog);
        using (var written = SafeTensors.Read(profiles))
        {
            var expected = reference["profiles"];
            var errors = ((written["profiles"].to(ScalarType.Float64) - expected).abs().sum(1) / expected.abs().sum(1)).data<double>().ToArray();
            output.WriteLine("rows against PyTorch float64 (relative L1): " + string.Join(", ", errors.Select((e, i) => $"#{indices[i]} {e:E1}")));
            Assert.All(errors, (e, i) => Assert.True(e < 1e-4, $"image {indices[i]}: relative L1 {e:E2} from float64 on ATen's kernels"));
        }

        // The other paths: a heatmap (a double backward), training, fine-tuning, statistics.
        string statistics = "data/statistics/fashion-resnet18-w16.fashion-mnist-test.safetensors";
        foreach (string arguments in new[]
        {
            $"heatmap --stats {statistics} --index 0 --out \"{Path.Combine(cache, "heatmap.safetensors")}\"",
            $"train --dataset fashion-mnist:test --test-dataset none --limit 64 --epochs 1 --width 8 --batch-size 32 --out \"{Path.Combine(cache, "model.safetensors")}\"",
            $"stats --limit 64 --out \"{Path.Combine(cache, "stats.safetensors")}\"",
        })
            Assert.DoesNotContain("onednn_verbose", Saliency(arguments, faults, OneDnnLog).Output);
    }

    [SkippableFact]
    public void A_fault_under_the_widest_cap_moves_to_the_next_cap_which_oneDNN_then_dispatches_for()
    {
        var caps = CpuKernelPolicy.SupportedCaps();
        Skip.IfNot(OperatingSystem.IsLinux() && caps.Count >= 2, "needs a processor with a cap narrower than ALL");
        // Only where the uncapped kernels are right can a fault under ALL alone be imitated (on a processor with real
        // faults the narrower caps may be faulty too: the other tests plant every fault themselves).
        Skip.IfNot(RightWithoutCap, $"this processor's own kernels are not right uncapped ({CpuKernels.Policy.Kernels})");
        string next = caps[1];
        var (_, report, _) = Saliency("cpu", "ALL=wrong");
        Assert.Contains($"kernels in force: oneDNN {next} (Probed", report);
        Assert.Contains("oneDNN ISA cap: " + next + " (set by the library)", report);
        Assert.Contains("asked from libtorch: oneDNN on, NNPACK on", report);

        var (_, log, _) = Saliency($"profile --indices 0-3 --out \"{Path.Combine(cache, "p.safetensors")}\"", "ALL=wrong", OneDnnLog);
        string isa = Regex.Match(log, @"onednn_verbose,[^\n]*,isa:([^\n]*)").Groups[1].Value;
        Assert.Contains(next == "AVX2" ? "Intel AVX2" : "AVX512BW, AVX512VL, and AVX512DQ", isa);
        Assert.Contains(",convolution,", log); // the convolutions ran on oneDNN, under the cap

        // A verdict whose chosen kernels its own probes found wrong is not trusted: it is probed again.
        string verdict = Directory.GetFiles(Path.Combine(cache, "cpu-kernels"), "*.json").Single();
        File.WriteAllText(verdict, new Regex($"\"Isa\":\"{next}\"").Replace(File.ReadAllText(verdict), "\"Isa\":\"ALL\"", 1)); // the verdict's, not its probes
        Assert.Contains($"kernels in force: oneDNN {next} (Probed", Saliency("cpu", "ALL=wrong").Output);
        File.WriteAllText(verdict, "{ damaged");
        Assert.Contains($"kernels in force: oneDNN {next} (Probed", Saliency("cpu", "ALL=wrong").Output);
        Assert.Contains($"kernels in force: oneDNN {next} (Cached", Saliency("cpu", "ALL=wrong").Output);
    }

    [SkippableFact]
    public void The_users_cap_wins_and_oneDNN_goes_off_when_its_kernels_are_wrong()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && CpuKernelPolicy.SupportedCaps().Contains("AVX2"), "needs an AVX2 processor");
        var user = new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = "AVX2" };
        var (_, right, _) = Saliency("cpu", "", user);
        Assert.Contains("oneDNN ISA cap: AVX2 (set by the user", right);
        Assert.DoesNotContain("oneDNN ALL", right); // only the user's cap is probed
        if (RightWithoutCap) Assert.Contains("kernels in force: oneDNN AVX2 (Probed", right); // else AVX2 may be faulty here for real

        var (_, wrong, _) = Saliency("cpu", "AVX2=wrong", user);
        Assert.Contains("kernels in force: no oneDNN (Probed", wrong);
        Assert.Contains("oneDNN ISA cap: AVX2 (set by the user", wrong);
        Assert.Contains("asked from libtorch: oneDNN off, NNPACK off", wrong);
    }

    [SkippableFact]
    public void When_no_kernels_are_right_the_process_says_so_loudly_and_still_runs()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the kernel probe runs on Linux x86-64");
        string faults = string.Join(",", CpuKernelPolicy.SupportedCaps().Select(cap => $"{cap}=wrong").Append("off=wrong"));
        var (_, report, announced) = Saliency("cpu", faults);
        Assert.Contains("kernels in force: no oneDNN (Probed, ", report);
        Assert.Contains("WARNING: no candidate was right", report);
        Assert.Contains("WARNING: no oneDNN", announced);
        Assert.Contains("NO candidate's kernels were right", announced);
    }

    [Fact]
    public void The_seam_names_candidates_and_exit_codes_name_signals()
    {
        Assert.Equal("crash", KernelProbe.InjectedFault("ALL=wrong, AVX2=Crash", "avx2"));
        Assert.Equal("wrong", KernelProbe.InjectedFault("ALL=wrong,AVX2=crash", "ALL"));
        Assert.Null(KernelProbe.InjectedFault("ALL=wrong", "AVX512_CORE"));
        Assert.Null(KernelProbe.InjectedFault(null, "off"));
        Assert.Equal("off", KernelProbe.FaultKey("AVX2", ConvolutionBackend.Aten));
        Assert.StartsWith("killed by SIGFPE", CpuKernelPolicy.ExitDescription(136));
        Assert.Equal("exit code 1", CpuKernelPolicy.ExitDescription(1));
    }
}
