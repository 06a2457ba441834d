namespace ParameterSaliency.Runtime;

/// <summary>Where the oneDNN ISA cap in force came from.</summary>
public enum CpuKernelSource
{
    /// <summary>The user set <c>ONEDNN_MAX_CPU_ISA</c>; it always wins.</summary>
    Environment,
    /// <summary>No cap was set: oneDNN picks the widest kernels the processor has.</summary>
    Default,
}

/// <summary>
/// The oneDNN ISA cap (<c>ONEDNN_MAX_CPU_ISA</c>) libtorch's CPU kernels run under in this process, and why. The
/// library sets none: the wrong batched profiles once blamed on AVX-512 kernels (AMD EPYC, Zen 4) were float32
/// rounding at ReLU inputs within 1e-7 of zero, which any cap, and PyTorch's own float32, gets wrong on some images.
/// Every profiling pass finds those images and recomputes them under float64's ReLU masks (<see cref="Saliency.SaliencyProfiles.Float64MaskRows"/>),
/// under whatever cap runs, so no cap needs to be measured or chosen. A user's cap is honoured.
/// </summary>
/// <param name="Isa">The cap, e.g. <c>AVX2</c>, or <c>ALL</c> for none.</param>
/// <param name="Source">Where the cap came from.</param>
/// <param name="Processor">The processor's model name.</param>
/// <param name="Reason">Why this cap is in force, in one sentence.</param>
public sealed record CpuKernelPolicy(string Isa, CpuKernelSource Source, string Processor, string Reason)
{
    /// <summary>The cap the user set.</summary>
    /// <param name="isa">The value of <c>ONEDNN_MAX_CPU_ISA</c>.</param>
    public static CpuKernelPolicy FromEnvironment(string isa) =>
        new(isa, CpuKernelSource.Environment, ProcessorName(), $"ONEDNN_MAX_CPU_ISA={isa} was set by the user");

    /// <summary>No cap: the processor's widest kernels.</summary>
    public static CpuKernelPolicy Uncapped() => new("ALL", CpuKernelSource.Default, ProcessorName(),
        "no cap is set: every pass checks its float32 ReLU masks against float64 and recomputes the images float32 got wrong, under any cap");

    /// <summary>The caps this processor supports, widest first (what <c>ONEDNN_MAX_CPU_ISA</c> can usefully be set to).</summary>
    public static IReadOnlyList<string> SupportedCaps()
    {
        var flags = ProcessorFlags();
        var caps = new List<string> { "ALL" };
        if (new[] { "avx512f", "avx512bw", "avx512vl", "avx512dq" }.All(flags.Contains)) caps.Add("AVX512_CORE");
        if (flags.Contains("avx2")) caps.Add("AVX2");
        return caps;
    }

    /// <summary>The processor's model name, from /proc/cpuinfo.</summary>
    public static string ProcessorName() => processorName.Value;
    static readonly Lazy<string> processorName = new(() => CpuInfo("model name") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString());

    static HashSet<string> ProcessorFlags() => processorFlags.Value;
    static readonly Lazy<HashSet<string>> processorFlags = new(() => (CpuInfo("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));

    static string? CpuInfo(string field)
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == field) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    /// <summary>One line: the cap, where it came from and why.</summary>
    public override string ToString() => $"oneDNN ISA {Isa} ({Source.ToString().ToLowerInvariant()}, {Processor}): {Reason}";
}
