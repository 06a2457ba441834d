using System.CommandLine;
using ParameterSaliency.Runtime;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency cpu</c>: the processor, the CPU kernels this process runs (oneDNN cap and switch), what the probe found, and why.</summary>
internal static class CpuCommand
{
    public static Command Create()
    {
        var probeAll = new Option<bool>("--probe-all")
        {
            Description = "Probe every candidate now (each cap with oneDNN on, then oneDNN off), whatever is cached, and print each case's error; changes nothing.",
        };
        var command = new Command("cpu", "Show which libtorch CPU kernels (oneDNN cap, oneDNN on or off) and threads this machine runs with, what the kernel probe found, and why.");
        command.Options.Add(probeAll);
        command.SetAction(parse =>
        {
            var policy = CpuKernels.Policy;
            Console.WriteLine($"processor: {policy.Processor} ({CpuKernelPolicy.Signature()})");
            Console.WriteLine($"libtorch: TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}");
            Console.WriteLine($"kernels in force: {policy.Kernels} ({policy.Source}, decided in {policy.Seconds:F2} s){(policy.Right ? "" : "  WARNING: no candidate was right")}");
            Console.WriteLine($"oneDNN ISA cap: {policy.Isa} ({(policy.UserCap ? "set by the user: ONEDNN_MAX_CPU_ISA" : policy.Isa == "ALL" ? "none set" : "set by the library")})");
            var switches = CpuKernels.SwitchesInForce;
            Console.WriteLine($"asked from libtorch: oneDNN {(switches is null ? "unknown" : switches.Value.OneDnn ? "on" : "off")}, NNPACK {(switches is null ? "unknown" : switches.Value.Nnpack ? "on" : "off")}");
            Console.WriteLine($"why: {policy.Reason}");
            if (policy.Probes.Count > 0)
            {
                Console.WriteLine("probed, narrowest change first:");
                foreach (var probe in policy.Probes) Console.WriteLine($"  {probe.Summary}");
            }
            Console.WriteLine($"caps this processor supports (ONEDNN_MAX_CPU_ISA): {string.Join(", ", CpuKernelPolicy.SupportedCaps())}");
            Console.WriteLine($"verdict cache: {CpuKernelPolicy.CachePath(policy.UserCap ? policy.Isa : null)}");
            Console.WriteLine($"libtorch threads: {TorchSharp.torch.get_num_threads()}" + (CoreShare.Enabled
                ? $", shared with other busy processes of this library (now {CoreShare.OthersBusy} others)" : " (OMP_NUM_THREADS set: not shared)"));
            if (parse.GetValue(probeAll)) PrintAll(CpuKernelPolicy.ProbeAll(policy.UserCap ? policy.Isa : null));
            return 0;
        });
        return command;
    }

    /// <summary>A table: one row per case, one column per candidate, each cell the case's worst error (output, input gradient, weight gradient).</summary>
    static void PrintAll(IReadOnlyList<KernelProbeResult> probes)
    {
        Console.WriteLine();
        Console.WriteLine($"every candidate, probed now (worst entry's error as a share of float64's largest; right: at most {KernelProbeResult.Tolerance:E0}):");
        Console.WriteLine("| case | " + string.Join(" | ", probes.Select(p => p.Kernels)) + " |");
        Console.WriteLine("|---|" + string.Concat(probes.Select(_ => "---|")));
        foreach (var probeCase in KernelProbeCase.All)
            Console.WriteLine($"| {probeCase.Name} | " + string.Join(" | ", probes.Select(p =>
                p.Cases.FirstOrDefault(c => c.Case == probeCase.Name) is { } result ? result.Worst.ToString("E1") : "-")) + " |");
        Console.WriteLine("| verdict | " + string.Join(" | ", probes.Select(p => p.Failure ?? (p.Right ? "right" : "WRONG") + $" ({p.Seconds:F1} s)")) + " |");
    }
}
