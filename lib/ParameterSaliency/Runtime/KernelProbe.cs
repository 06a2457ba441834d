using TorchSharp;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Answers "are libtorch's float32 convolution kernels right on this processor, under this oneDNN cap, on this
/// <see cref="ConvolutionBackend"/>?" for one process: every <see cref="KernelProbeCase"/> runs twice in float32 (a faulty kernel that reads
/// memory before writing it need not fail on its first call) and its output, input gradient and weight gradient are
/// compared, entry by entry, with the same convolution in float64, which libtorch never runs on oneDNN. Runs in a
/// child process started by <see cref="CpuKernelPolicy"/> (the cap is read once per process, and a kernel that
/// crashes takes only the child down).
/// </summary>
internal static class KernelProbe
{
    /// <summary>Set in the probe's child process, whose kernels are chosen by its parent: the child decides nothing itself.</summary>
    public const string ChildVariable = "PARAMETER_SALIENCY_KERNEL_PROBE";

    /// <summary>
    /// The test seam: <c>CANDIDATE=wrong|crash</c> pairs, comma-separated, where CANDIDATE is a oneDNN cap (<c>ALL</c>,
    /// <c>AVX512_CORE</c>, <c>AVX2</c>) probed with oneDNN on, or <c>off</c> for ATen's own kernels (<see cref="FaultKey"/>). The probe of a listed
    /// candidate then reports a wrong value (NaN in one input-gradient entry of the second call of (8, 8, 14, 5)), or
    /// is killed by SIGFPE before its first strided backward, as the faulty kernels did. For tests on processors without a fault.
    /// </summary>
    public const string FaultVariable = "PARAMETER_SALIENCY_KERNEL_FAULTS";

    /// <summary>Child entry point: probes the kernels in force (cap from the environment, the backend named by <c>arguments[1]</c>) and writes the answer, as JSON, to <c>arguments[0]</c>.</summary>
    internal static int Here(string[] arguments)
    {
        if (arguments.Length != 2 || !Enum.TryParse<ConvolutionBackend>(arguments[1], out var backend))
            throw new ArgumentException("The kernel probe takes two arguments: the file its answer goes to, and the convolution backend.");
        NativeTorch.EnsureLoaded();
        LibTorchSwitches.Use(backend);
        string isa = CpuKernels.MaxIsa ?? "ALL";
        string? fault = InjectedFault(Environment.GetEnvironmentVariable(FaultVariable), FaultKey(isa, backend));
        var clock = Stopwatch.StartNew();
        var results = KernelProbeCase.All.Select((c, index) => Check(c, index, fault)).ToArray();
        var answer = new KernelProbeResult(isa, backend, results, Failure: null, clock.Elapsed.TotalSeconds);
        File.WriteAllText(arguments[0], JsonSerializer.Serialize(answer, CpuKernelJson.Default.KernelProbeResult));
        return 0;
    }

    /// <summary>A candidate's name in <see cref="FaultVariable"/>: its cap with oneDNN on, else <c>off</c>.</summary>
    internal static string FaultKey(string isa, ConvolutionBackend backend) => backend == ConvolutionBackend.OneDnn ? isa : "off";

    /// <summary>The fault the seam plants for this candidate (<c>wrong</c>, <c>crash</c>), or null.</summary>
    internal static string? InjectedFault(string? setting, string candidate)
    {
        foreach (string pair in (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && string.Equals(parts[0], candidate, StringComparison.OrdinalIgnoreCase)) return parts[1].ToLowerInvariant();
        }
        return null;
    }

    static KernelCaseResult Check(KernelProbeCase probe, int index, string? fault)
    {
        using var scope = NewDisposeScope();
        if (fault == "crash" && probe.Stride > 1) kill(Environment.ProcessId, SignalFloatingPoint);
        var generator = new Generator((ulong)(1000 + index));
        long outputSize = (probe.Size + 2 * (probe.Kernel / 2) - probe.Kernel) / probe.Stride + 1;
        var input = randn([probe.Batch, probe.InChannels, probe.Size, probe.Size], dtype: ScalarType.Float64, generator: generator);
        using Scalar fanIn = Math.Sqrt(probe.InChannels * probe.Kernel * probe.Kernel), notANumber = double.NaN;
        var weight = randn([probe.OutChannels, probe.InChannels, probe.Kernel, probe.Kernel], dtype: ScalarType.Float64, generator: generator)
                     / fanIn;
        var outputGradient = randn([probe.Batch, probe.OutChannels, outputSize, outputSize], dtype: ScalarType.Float64, generator: generator);
        var exact = Run(probe, input, weight, outputGradient);
        double worstOutput = 0, worstInput = 0, worstWeight = 0;
        for (int call = 0; call < 2; call++)
        {
            var single = Run(probe, input.to(ScalarType.Float32), weight.to(ScalarType.Float32), outputGradient.to(ScalarType.Float32));
            if (fault == "wrong" && call == 1 && probe is { InChannels: 8, Size: 14 }) single.Input[0, 0, 0, 0].fill_(notANumber);
            worstOutput = Worse(worstOutput, Error(single.Output, exact.Output));
            worstInput = Worse(worstInput, Error(single.Input, exact.Input));
            worstWeight = Worse(worstWeight, Error(single.Weight, exact.Weight));
        }
        return new KernelCaseResult(probe.Name, worstOutput, worstInput, worstWeight);
    }

    /// <summary>The convolution's output and, for the given output gradient g, the gradients of Σ output·g with respect to input and weight.</summary>
    static (Tensor Output, Tensor Input, Tensor Weight) Run(KernelProbeCase probe, Tensor input, Tensor weight, Tensor outputGradient)
    {
        var x = input.detach().requires_grad_(true);
        var w = weight.detach().requires_grad_(true);
        var output = nn.functional.conv2d(x, w, strides: [probe.Stride, probe.Stride], padding: [probe.Kernel / 2, probe.Kernel / 2]);
        var gradients = autograd.grad([(output * outputGradient).sum()], [x, w]);
        return (output.detach(), gradients[0], gradients[1]);
    }

    /// <summary>The largest entry's error as a share of the reference's largest entry; NaN when anything is not finite.</summary>
    static double Error(Tensor actual, Tensor reference)
    {
        var difference = actual.to(ScalarType.Float64) - reference;
        if (!difference.isfinite().all().item<bool>()) return double.NaN;
        return (difference.abs().max() / reference.abs().max()).item<double>();
    }

    static double Worse(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);

    const int SignalFloatingPoint = 8;

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
