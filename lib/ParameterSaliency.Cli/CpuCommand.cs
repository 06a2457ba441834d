using System.CommandLine;
using ParameterSaliency.Runtime;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency cpu</c>: the oneDNN ISA cap and thread policy this machine runs under, and the measurements behind them.</summary>
internal static class CpuCommand
{
    public static Command Create()
    {
        var remeasure = new Option<bool>("--remeasure") { Description = "Measure every candidate cap again and rewrite the cached verdict." };
        var here = new Option<bool>("--here") { Description = "Measure the kernels in this process only, under the cap it runs with (set ONEDNN_MAX_CPU_ISA to choose)." };
        var command = new Command("cpu", "Show which libtorch CPU kernels (oneDNN ISA cap) this machine uses and why.") { remeasure, here };
        command.SetAction(result =>
        {
            if (result.GetValue(here))
            {
                Print(CpuKernelMeasurement.Run());
                return 0;
            }
            var policy = result.GetValue(remeasure) ? CpuKernelPolicy.Decide(Console.Error, remeasure: true) : CpuKernels.Policy;
            Console.WriteLine($"processor: {policy.Processor}");
            Console.WriteLine($"oneDNN ISA cap: {policy.Isa} ({policy.Source})");
            Console.WriteLine($"why: {policy.Reason}");
            Console.WriteLine($"libtorch threads: {TorchSharp.torch.get_num_threads()}" + (CoreShare.Enabled
                ? $", shared with other busy processes of this library (now {CoreShare.OthersBusy} others)" : " (OMP_NUM_THREADS set: not shared)"));
            if (policy.Source is CpuKernelSource.Measured or CpuKernelSource.Cached) Console.WriteLine($"verdict cache: {CpuKernelPolicy.CachePath()}");
            foreach (var measurement in policy.Measurements) Print(measurement);
            return 0;
        });
        return command;
    }

    static void Print(CpuKernelMeasurement m) => Console.WriteLine(
        $"  {m.Isa,-12} {(m.Correct ? "correct" : "WRONG"),-8} batched vs float64 median {m.BatchedMedianError:E1} worst {m.BatchedWorstError:E1}; " +
        $"loop vs float64 median {m.LoopMedianError:E1}; batched vs loop median {m.BatchedVersusLoopMedian:E1}; batched {m.BatchedImagesPerSecond:N0} img/s" +
        (m.Failure is null ? "" : $"; failed: {m.Failure}"));
}
