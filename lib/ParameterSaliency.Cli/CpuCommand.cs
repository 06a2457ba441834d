using System.CommandLine;
using ParameterSaliency.Runtime;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency cpu</c>: the processor, the oneDNN ISA cap and the thread policy this process runs under.</summary>
internal static class CpuCommand
{
    public static Command Create()
    {
        var command = new Command("cpu", "Show which libtorch CPU kernels (oneDNN ISA cap) and threads this machine runs with, and why.");
        command.SetAction(_ =>
        {
            var policy = CpuKernels.Policy;
            Console.WriteLine($"processor: {policy.Processor}");
            Console.WriteLine($"oneDNN ISA cap: {policy.Isa} ({policy.Source})");
            Console.WriteLine($"why: {policy.Reason}");
            Console.WriteLine($"caps this processor supports (ONEDNN_MAX_CPU_ISA): {string.Join(", ", CpuKernelPolicy.SupportedCaps())}");
            Console.WriteLine($"libtorch threads: {TorchSharp.torch.get_num_threads()}" + (CoreShare.Enabled
                ? $", shared with other busy processes of this library (now {CoreShare.OthersBusy} others)" : " (OMP_NUM_THREADS set: not shared)"));
            return 0;
        });
        return command;
    }
}
