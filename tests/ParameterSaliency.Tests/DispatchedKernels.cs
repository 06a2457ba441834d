using System.Text.RegularExpressions;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Which oneDNN implementation each float32 convolution of a fixed workload dispatches to, read from oneDNN's own log
/// (<c>ONEDNN_VERBOSE=all</c>) in a child process with a given environment, e.g. a oneDNN ISA cap. The workload: every
/// <see cref="KernelProbeCase"/> (the default model's, ResNet-50's strided and stem convolutions, the shapes that
/// failed on a Zen 5) forward and backward, and the default model's profiles of two test images on both engines.
/// Two environments whose lists are equal run the same kernels, so the same tests give the same numbers under both.
/// </summary>
internal static class DispatchedKernels
{
    // onednn_verbose,v1,primitive,create:cache_miss,cpu,convolution,jit:avx512_core,forward_training,<memory>,<attributes>,<algorithm>,mb2_ic1oc16...,0.19
    static readonly Regex Line = new(@"^onednn_verbose,v1,primitive,(?:exec|create:cache_miss|create:cache_hit),cpu,(?<kind>[^,]+),(?<implementation>[^,]+),(?<prop>[^,]+),.*,(?<problem>[^,]+),[0-9.]+$", RegexOptions.Multiline);

    /// <summary>The sorted distinct "kind implementation prop problem" lines the workload dispatched in a child with <paramref name="environment"/> on top of this process's, and the child's description of its kernels.</summary>
    public static (string[] Kernels, string Policy) Under(IReadOnlyDictionary<string, string> environment)
    {
        var withLog = new Dictionary<string, string>(environment) { ["ONEDNN_VERBOSE"] = "all", ["DNNL_VERBOSE"] = "all" };
        var result = ChildProcess.Run(typeof(DispatchedKernels), nameof(Here), [], withLog, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"the dispatch child failed ({result.ExitCode}):\n{result.Error}\n{Tail(result.Output)}");
        string policy = result.Output.Split('\n').LastOrDefault(l => l.StartsWith("kernels: ", StringComparison.Ordinal)) ?? "kernels: ?";
        string[] kernels = Line.Matches(result.Output).Select(m => $"{m.Groups["kind"]} {m.Groups["implementation"]} {m.Groups["prop"]} {m.Groups["problem"]}")
            .Where(k => k.StartsWith("convolution ", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToArray();
        return (kernels, policy);
    }

    static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    /// <summary>Child entry point: runs the workload in this process's kernels and prints them last.</summary>
    internal static int Here(string[] arguments)
    {
        using (NewDisposeScope())
        {
            foreach (var (probe, index) in KernelProbeCase.All.Select((c, i) => (c, i)))
            {
                var generator = new Generator((ulong)(2000 + index));
                var x = randn([probe.Batch, probe.InChannels, probe.Size, probe.Size], generator: generator).requires_grad_(true);
                var w = randn([probe.OutChannels, probe.InChannels, probe.Kernel, probe.Kernel], generator: generator).requires_grad_(true);
                var y = nn.functional.conv2d(x, w, strides: [probe.Stride, probe.Stride], padding: [probe.Kernel / 2, probe.Kernel / 2]);
                autograd.grad([y.square().sum()], [x, w]);
            }
        }
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        foreach (var engine in new[] { ProfileEngine.Batched, ProfileEngine.Loop })
            new SaliencyProfiler(saved.Model, new ProfilerOptions { Engine = engine }).Profile(SharedData.TestSplit, [141, 5]).Dispose();
        Console.Out.Flush();
        Console.WriteLine($"kernels: {CpuKernels.Policy.Kernels}");
        return 0;
    }
}
