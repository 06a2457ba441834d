using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>Where the kernels in force came from.</summary>
public enum CpuKernelSource
{
    /// <summary>Probed now, in child processes, and cached for later processes.</summary>
    Probed,
    /// <summary>Read from the verdict cached for this processor, libtorch and cap.</summary>
    Cached,
    /// <summary>Not probed (not Linux x86-64, a probe's own child, or the probe could not run): oneDNN as libtorch has it.</summary>
    NotProbed,
}

/// <summary>
/// Which of libtorch's CPU convolution kernels this process runs, and why. libtorch 2.10's oneDNN kernels are wrong or
/// crash on some processors (an AMD EPYC Zen 5 virtual machine: input gradients off by 6.6e-1 or NaN under the AVX-512
/// caps, a SIGFPE building a strided backward under every cap), so before the first convolution of a process the kernels
/// are probed (<see cref="KernelProbe"/>) in child processes, one candidate at a time, narrowest change first: no cap,
/// the <c>AVX512_CORE</c> and <c>AVX2</c> caps (as the processor has them), then oneDNN off (ATen's own kernels,
/// <see cref="ConvolutionBackend.Aten"/>). The first candidate whose every case is right is used; the verdict is cached per
/// processor, libtorch and cap. A cap the user set (<c>ONEDNN_MAX_CPU_ISA</c>) wins: only it is probed with oneDNN on,
/// and oneDNN goes off if its kernels are wrong.
/// This answers "are the kernels right?", once per processor; "is this image's float32 ReLU mask right?" is a question of
/// each image, answered by every profiling pass's settling check.
/// </summary>
/// <param name="Isa">The oneDNN cap in force (<c>ALL</c>: none).</param>
/// <param name="Backend">Which library runs convolutions.</param>
/// <param name="Source">Where the verdict came from.</param>
/// <param name="Processor">The processor's model name.</param>
/// <param name="Reason">Why these kernels, in one sentence.</param>
/// <param name="Probes">What each probed candidate gave, in the order probed (empty when not probed).</param>
public sealed record CpuKernelPolicy(string Isa, ConvolutionBackend Backend, CpuKernelSource Source, string Processor, string Reason, IReadOnlyList<KernelProbeResult> Probes)
{
    /// <summary>Bumped whenever the probe's cases, its judgement or the order of candidates change: older verdicts are probed again.</summary>
    public const int ProbeVersion = 1;

    /// <summary>True when the user set the cap (<c>ONEDNN_MAX_CPU_ISA</c>).</summary>
    public bool UserCap { get; init; }

    /// <summary>Seconds this process spent deciding (reading the cache, or probing).</summary>
    public double Seconds { get; init; }

    /// <summary>The kernels in force, e.g. <c>oneDNN ALL</c>, <c>oneDNN AVX2</c>, <c>no oneDNN</c>.</summary>
    public string Kernels => Describe(Isa, Backend);

    /// <summary>False when the probe found the kernels in force wrong (no candidate was right).</summary>
    public bool Right => Source == CpuKernelSource.NotProbed || Probes.Any(p => p.Right && p.Isa == Isa && p.Backend == Backend);

    /// <summary>A candidate's name.</summary>
    /// <param name="isa">The oneDNN cap.</param>
    /// <param name="backend">The convolution backend.</param>
    public static string Describe(string isa, ConvolutionBackend backend) => backend == ConvolutionBackend.OneDnn ? $"oneDNN {isa}" : "no oneDNN";

    /// <summary>Not probed, with the reason; oneDNN stays as libtorch has it.</summary>
    /// <param name="isa">The cap in force.</param>
    /// <param name="reason">Why nothing was probed.</param>
    public static CpuKernelPolicy NotProbed(string isa, string reason) => new(isa, ConvolutionBackend.OneDnn, CpuKernelSource.NotProbed, ProcessorName(), reason, []);

    /// <summary>The candidates, in the order they are probed: oneDNN under the user's cap, else under every cap this processor has (widest first); then oneDNN off.</summary>
    /// <param name="userIsa">The cap the user set, or null.</param>
    public static IReadOnlyList<(string Isa, ConvolutionBackend Backend)> Candidates(string? userIsa) =>
        (userIsa is null ? SupportedCaps() : [userIsa]).Select(isa => (isa, ConvolutionBackend.OneDnn))
        .Append((userIsa ?? "ALL", ConvolutionBackend.Aten)).ToArray();

    /// <summary>
    /// The cached verdict for this processor, libtorch and cap, or a new probe (one child process per candidate, about
    /// 3 s each, until one is right), written atomically to <see cref="CachePath"/> under a lock concurrent processes share.
    /// </summary>
    /// <param name="userIsa">The cap the user set, or null.</param>
    /// <param name="log">Where to say that a probe runs or that another process is probing; null: silent.</param>
    /// <param name="probeAgain">Probe even when a valid verdict is cached.</param>
    public static CpuKernelPolicy Decide(string? userIsa, TextWriter? log = null, bool probeAgain = false)
    {
        var clock = Stopwatch.StartNew();
        string cache = CachePath(userIsa);
        using (CacheLock.Acquire(cache, log))
        {
            if (!probeAgain && TryLoad(cache, userIsa, out var cached)) return cached with { Seconds = clock.Elapsed.TotalSeconds };
            log?.WriteLine($"Probing libtorch's CPU convolution kernels on this processor (once per processor and libtorch; cached in {cache}) ...");
            var probes = new List<KernelProbeResult>();
            foreach (var (isa, backend) in Candidates(userIsa))
            {
                var probe = ProbeInChild(isa, backend);
                log?.WriteLine("  " + probe.Summary);
                probes.Add(probe);
                if (probe.Right) break;
            }
            // Every candidate failing alike, oneDNN off included, says more about starting child processes than about kernels: not cached.
            if (probes.All(p => p.Failure is not null))
                throw new InvalidOperationException($"no kernel probe ran ({probes[^1].Failure})");
            var policy = Choose(userIsa, probes);
            AtomicFile.WriteAllText(cache, JsonSerializer.Serialize(new CpuKernelVerdict(Key(userIsa), policy.Isa, policy.Backend, policy.Processor, policy.Reason, [.. probes]),
                CpuKernelJson.Default.CpuKernelVerdict));
            return policy with { Seconds = clock.Elapsed.TotalSeconds };
        }
    }

    /// <summary>Every candidate probed now, whatever is cached, and nothing written: what <c>saliency cpu --probe-all</c> shows.</summary>
    /// <param name="userIsa">The cap the user set, or null.</param>
    public static IReadOnlyList<KernelProbeResult> ProbeAll(string? userIsa) => Candidates(userIsa).Select(c => ProbeInChild(c.Isa, c.Backend)).ToArray();

    /// <summary>The first right candidate; when none is right, ATen's own kernels (the fewest outside kernels), marked wrong.</summary>
    internal static CpuKernelPolicy Choose(string? userIsa, IReadOnlyList<KernelProbeResult> probes)
    {
        string found = string.Join("; ", probes.Select(p => p.Summary));
        if (probes.FirstOrDefault(p => p.Right) is { } right)
        {
            string reason = probes.Count == 1 ? $"its kernels were right on this processor ({found})"
                : $"the first candidate whose kernels were right, narrowest change first ({found})";
            return new CpuKernelPolicy(right.Isa, right.Backend, CpuKernelSource.Probed, ProcessorName(), reason, probes) { UserCap = userIsa is not null };
        }
        return new CpuKernelPolicy(userIsa ?? "ALL", ConvolutionBackend.Aten, CpuKernelSource.Probed, ProcessorName(),
            $"NO candidate's kernels were right on this processor ({found}); convolutions run on ATen's own kernels, the fewest outside kernels, " +
            "but results of this process may be wrong", probes) { UserCap = userIsa is not null };
    }

    static KernelProbeResult ProbeInChild(string isa, ConvolutionBackend backend)
    {
        var environment = new Dictionary<string, string>
        {
            ["ONEDNN_MAX_CPU_ISA"] = isa, ["DNNL_MAX_CPU_ISA"] = isa, [KernelProbe.ChildVariable] = "1",
        };
        string answer = Path.Combine(Path.GetTempPath(), $"parameter-saliency-kernels-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        var clock = Stopwatch.StartNew();
        KernelProbeResult Failed(string why) => new(isa, backend, [], why, clock.Elapsed.TotalSeconds);
        try
        {
            var result = ChildProcess.Run(typeof(KernelProbe), nameof(KernelProbe.Here), [answer, backend.ToString()], environment, TimeSpan.FromMinutes(3));
            if (result.ExitCode == 0 && File.Exists(answer))
                return JsonSerializer.Deserialize(File.ReadAllText(answer), CpuKernelJson.Default.KernelProbeResult)! with { Isa = isa, Seconds = clock.Elapsed.TotalSeconds };
            return Failed(ExitDescription(result.ExitCode) + (result.Error.Trim().Split('\n').LastOrDefault() is { Length: > 0 } last ? $": {last.Trim()}" : ""));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception or JsonException or IOException)
        {
            return Failed(e.Message);
        }
        finally
        {
            File.Delete(answer);
        }
    }

    /// <summary>A child's exit code in words: a process killed by signal N exits with 128 + N.</summary>
    internal static string ExitDescription(int exitCode) => exitCode switch
    {
        128 + 4 => "killed by SIGILL (illegal instruction)",
        128 + 6 => "killed by SIGABRT (abort)",
        128 + 8 => "killed by SIGFPE (arithmetic fault, e.g. an integer division by zero)",
        128 + 9 => "killed by SIGKILL",
        128 + 11 => "killed by SIGSEGV (invalid memory access)",
        _ => $"exit code {exitCode}",
    };

    static bool TryLoad(string path, string? userIsa, out CpuKernelPolicy policy)
    {
        policy = null!;
        if (!File.Exists(path)) return false;
        try
        {
            var verdict = JsonSerializer.Deserialize(File.ReadAllText(path), CpuKernelJson.Default.CpuKernelVerdict);
            if (verdict?.Probes is null || verdict.Key != Key(userIsa) || !Candidates(userIsa).Contains((verdict.Isa, verdict.Backend))) return false;
            policy = new CpuKernelPolicy(verdict.Isa, verdict.Backend, CpuKernelSource.Cached, verdict.Processor, verdict.Reason, verdict.Probes) { UserCap = userIsa is not null };
            // A verdict whose chosen kernels its own probes do not show right (unless none was) is damaged: probed again.
            return policy.Right || verdict.Probes.All(p => !p.Right);
        }
        catch (JsonException)
        {
            return false; // damaged: probed again and rewritten
        }
    }

    /// <summary>The verdict cache of this processor, libtorch and cap: <c>cpu-kernels/&lt;key&gt;.json</c> in the user cache.</summary>
    /// <param name="userIsa">The cap the user set, or null.</param>
    public static string CachePath(string? userIsa) => Path.Combine(UserCache.Folder, "cpu-kernels", Key(userIsa)[..16] + ".json");

    /// <summary>
    /// Fingerprint of what a verdict depends on: the processor (model name, family, model, stepping, flags), TorchSharp and
    /// libtorch, the probe's version, the user's cap, and the test seam's setting (so a planted fault never meets a real verdict).
    /// </summary>
    static string Key(string? userIsa) => keys.GetOrAdd(userIsa ?? "-", _ => ComputeKey(userIsa));
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> keys = new(StringComparer.Ordinal);

    static string ComputeKey(string? userIsa)
    {
        string libtorch = Path.Combine(TorchNativeLibraries.LibTorchFolder ?? "", "libtorch_cpu.so");
        string identity = string.Join("\n",
            ProcessorName(), CpuInfo("cpu family"), CpuInfo("model"), CpuInfo("stepping"), string.Join(" ", ProcessorFlags().Order(StringComparer.Ordinal)),
            typeof(TorchSharp.torch).Assembly.GetName().Version, File.Exists(libtorch) ? new FileInfo(libtorch).Length : 0,
            ProbeVersion, userIsa ?? "-", Environment.GetEnvironmentVariable(KernelProbe.FaultVariable) ?? "-");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
    }

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

    /// <summary>The processor's signature: vendor, family, model and stepping, e.g. <c>AuthenticAMD family 26 model 2 stepping 0</c>.</summary>
    public static string Signature() => $"{CpuInfo("vendor_id")} family {CpuInfo("cpu family")} model {CpuInfo("model")} stepping {CpuInfo("stepping")}";

    static HashSet<string> ProcessorFlags() => processorFlags.Value;
    static readonly Lazy<HashSet<string>> processorFlags = new(() => (CpuInfo("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));

    static string? CpuInfo(string field) => cpuInfo.Value.TryGetValue(field, out string? value) ? value : null;

    /// <summary>The first processor's fields in /proc/cpuinfo, read once per process (every process start computes the verdict's key).</summary>
    static readonly Lazy<Dictionary<string, string>> cpuInfo = new(() =>
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists("/proc/cpuinfo")) return fields;
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.Length == 0) break; // the first processor's block ends here
            int colon = line.IndexOf(':');
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return fields;
    });

    /// <summary>One line: the kernels, where the verdict came from and why.</summary>
    public override string ToString() => $"{Kernels} ({Source.ToString().ToLowerInvariant()}, {Processor}): {Reason}";
}
