using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>Where the oneDNN ISA cap in force came from.</summary>
public enum CpuKernelSource
{
    /// <summary>The user set <c>ONEDNN_MAX_CPU_ISA</c>; it always wins.</summary>
    Environment,
    /// <summary>Measured now on this processor, in child processes, and cached.</summary>
    Measured,
    /// <summary>Read from the verdict cached for this processor and libtorch.</summary>
    Cached,
    /// <summary>No measurement was possible (not Linux x64, or the measurement failed): no cap.</summary>
    NotMeasured,
}

/// <summary>
/// The oneDNN ISA cap (<c>ONEDNN_MAX_CPU_ISA</c>) this process runs libtorch's CPU kernels under, and why.
/// libtorch's convolution kernels differ by processor: on AMD EPYC machines the AVX-512 kernels gave wrong
/// batched gradients for narrow layers (AVX2 was right); on Intel Xeon machines the AVX-512 kernels are
/// right and an AVX2 cap made batched gradients differ. So the cap is decided on the machine: each
/// candidate (<c>ALL</c>, <c>AVX512_CORE</c>, <c>AVX2</c>, as the processor supports them) is measured in
/// a child process (oneDNN reads the cap once per process) by <see cref="CpuKernelMeasurement"/>, the
/// fastest correct one wins, and the verdict is cached per (processor, libtorch, measurement version)
/// in <see cref="UserCache"/>, written atomically under a lock that concurrent processes share.
/// </summary>
public sealed record CpuKernelPolicy(string Isa, CpuKernelSource Source, string Processor, string Reason, IReadOnlyList<CpuKernelMeasurement> Measurements)
{
    /// <summary>Bumped whenever the measurement or the choice changes; verdicts of another version are measured again.</summary>
    public const int MeasurementVersion = 1;

    /// <summary>
    /// A later (narrower) candidate must be this much faster than an earlier correct one to be preferred. Wider
    /// kernels were as fast or faster wherever measured (Intel Xeon: batched engine 228/227/211 img/s under
    /// ALL/AVX512_CORE/AVX2), while a short measurement at a process's start scattered by up to 2x.
    /// </summary>
    public const double SpeedMargin = 1.25;

    /// <summary>The cap the user set.</summary>
    public static CpuKernelPolicy FromEnvironment(string isa) =>
        new(isa, CpuKernelSource.Environment, ProcessorName(), $"ONEDNN_MAX_CPU_ISA={isa} was set by the user", []);

    /// <summary>No cap, with the reason no measurement decided one.</summary>
    public static CpuKernelPolicy Unmeasured(string reason) => new("ALL", CpuKernelSource.NotMeasured, ProcessorName(), reason, []);

    /// <summary>The cached verdict for this processor and libtorch, or a new measurement (a few seconds per candidate, once per machine).</summary>
    /// <param name="log">Where to say that a measurement runs or that another process is measuring.</param>
    /// <param name="remeasure">Measure even when a valid verdict is cached.</param>
    /// <param name="cachePath">The verdict cache (default <see cref="CachePath"/>).</param>
    /// <param name="candidates">The caps to measure (default <see cref="Candidates"/>).</param>
    public static CpuKernelPolicy Decide(TextWriter? log = null, bool remeasure = false, string? cachePath = null, IReadOnlyList<string>? candidates = null)
    {
        string cache = cachePath ?? CachePath();
        candidates ??= Candidates();
        using (CacheLock.Acquire(cache, log))
        {
            if (!remeasure && TryLoad(cache, candidates, out var cached)) return cached;
            log?.WriteLine($"Measuring libtorch's CPU kernels on this processor under {string.Join(", ", candidates)} (once per machine; cached in {cache}) ...");
            var measurements = candidates.Select(MeasureInChild).ToArray();
            // Every candidate failing to run says more about the child processes than about the kernels: not cached.
            if (measurements.All(m => m.Failure is not null))
                throw new InvalidOperationException($"no measurement ran ({measurements[0].Failure})");
            var policy = Choose(measurements);
            AtomicFile.WriteAllText(cache, JsonSerializer.Serialize(new CpuKernelVerdict(Key(), policy.Isa, policy.Processor, policy.Reason, measurements), CpuKernelJson.Default.CpuKernelVerdict));
            return policy;
        }
    }

    /// <summary>The fastest correct candidate; an earlier (wider) one unless a later one is <see cref="SpeedMargin"/> faster.</summary>
    public static CpuKernelPolicy Choose(IReadOnlyList<CpuKernelMeasurement> measurements)
    {
        var correct = measurements.Where(m => m.Correct).ToArray();
        if (correct.Length == 0)
        {
            var least = measurements.OrderBy(m => double.IsNaN(m.BatchedMedianError) ? double.MaxValue : m.BatchedMedianError).First();
            return new(least.Isa, CpuKernelSource.Measured, ProcessorName(),
                $"no candidate gave batched gradients within {CpuKernelMeasurement.CorrectMedian:E0} of float64 " +
                $"({Describe(measurements)}); {least.Isa} erred least, and the batched engine will fall back to the loop", measurements);
        }
        var chosen = correct[0];
        foreach (var candidate in correct.Skip(1))
            if (candidate.BatchedImagesPerSecond > chosen.BatchedImagesPerSecond * SpeedMargin) chosen = candidate;
        return new(chosen.Isa, CpuKernelSource.Measured, ProcessorName(),
            $"fastest of the correct candidates ({Describe(measurements)})", measurements);
    }

    static string Describe(IEnumerable<CpuKernelMeasurement> measurements) => string.Join("; ", measurements.Select(m =>
        $"{m.Isa}: {(m.Correct ? "correct" : "WRONG")}, batched error {m.BatchedMedianError:E1} median, {m.BatchedImagesPerSecond:N0} img/s"));

    /// <summary>The caps worth measuring on this processor, widest first.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var flags = ProcessorFlags();
        var candidates = new List<string> { "ALL" };
        if (new[] { "avx512f", "avx512bw", "avx512vl", "avx512dq" }.All(flags.Contains)) candidates.Add("AVX512_CORE");
        if (flags.Contains("avx2")) candidates.Add("AVX2");
        return candidates;
    }

    /// <summary>Child-process entry point: measures the kernels under the cap this process was started with and writes the result as JSON to the file its parent names.</summary>
    internal static int MeasureHere(string[] arguments)
    {
        if (arguments.Length != 1) throw new ArgumentException("The measuring child takes one argument: the file its answer goes to.");
        File.WriteAllText(arguments[0], JsonSerializer.Serialize(CpuKernelMeasurement.Run(), CpuKernelJson.Default.CpuKernelMeasurement));
        return 0;
    }

    static CpuKernelMeasurement MeasureInChild(string isa)
    {
        // One thread: the speeds compare kernels, and a single-threaded measurement is the least disturbed by whatever else runs.
        var environment = new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = isa, ["DNNL_MAX_CPU_ISA"] = isa, ["OMP_NUM_THREADS"] = "1" };
        string answer = Path.Combine(Path.GetTempPath(), $"parameter-saliency-kernels-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        try
        {
            var result = ChildProcess.Run(typeof(CpuKernelPolicy), nameof(MeasureHere), [answer], environment, TimeSpan.FromMinutes(5));
            if (result.ExitCode == 0 && File.Exists(answer))
                return JsonSerializer.Deserialize(File.ReadAllText(answer), CpuKernelJson.Default.CpuKernelMeasurement)! with { Isa = isa };
            return Failed(isa, $"exit code {result.ExitCode}: {result.Error.Trim().Split('\n').LastOrDefault()}");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception or JsonException or IOException)
        {
            return Failed(isa, e.Message);
        }
        finally
        {
            File.Delete(answer);
        }
    }

    /// <summary>A candidate whose measurement crashed or hung counts as wrong.</summary>
    static CpuKernelMeasurement Failed(string isa, string why) =>
        new(isa, double.NaN, double.NaN, double.NaN, double.NaN, 0) { Failure = why };

    static bool TryLoad(string path, IReadOnlyList<string> candidates, out CpuKernelPolicy policy)
    {
        policy = null!;
        if (!File.Exists(path)) return false;
        try
        {
            var verdict = JsonSerializer.Deserialize(File.ReadAllText(path), CpuKernelJson.Default.CpuKernelVerdict);
            if (verdict is null || verdict.Key != Key() || !candidates.Contains(verdict.Isa) || verdict.Measurements is null) return false;
            policy = new CpuKernelPolicy(verdict.Isa, CpuKernelSource.Cached, verdict.Processor, verdict.Reason, verdict.Measurements);
            return true;
        }
        catch (JsonException)
        {
            return false; // damaged: measured again and rewritten
        }
    }

    /// <summary>The verdict cache of this processor and libtorch: <c>cpu-kernels/&lt;key&gt;.json</c> in the user cache.</summary>
    public static string CachePath() => Path.Combine(UserCache.Folder, "cpu-kernels", Key()[..16] + ".json");

    /// <summary>Fingerprint of what a verdict depends on: processor model and flags, TorchSharp and libtorch, measurement version.</summary>
    static string Key() => key.Value;
    static readonly Lazy<string> key = new(ComputeKey);

    static string ComputeKey()
    {
        string libtorch = Path.Combine(TorchNativeLibraries.LibTorchFolder ?? "", "libtorch_cpu.so");
        string identity = string.Join("\n",
            ProcessorName(), string.Join(" ", ProcessorFlags().Order(StringComparer.Ordinal)),
            typeof(TorchSharp.torch).Assembly.GetName().Version, File.Exists(libtorch) ? new FileInfo(libtorch).Length : 0,
            MeasurementVersion);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
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
