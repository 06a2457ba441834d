using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Settles, when the library is first used and before libtorch runs a convolution, which CPU kernels this process uses
/// (<see cref="CpuKernelPolicy"/>): the cached verdict for this processor, else a probe in child processes. A oneDNN cap
/// the verdict chooses is set before libtorch loads (oneDNN reads it once, at its first use); oneDNN (and NNPACK) are
/// switched off, when the verdict says so, as soon as libtorch is loaded. Every later computation of the process (profiles, statistics,
/// training, fine-tuning, heatmaps, sanity checks) then runs on those kernels.
/// </summary>
public static class CpuKernels
{
    static readonly object Gate = new();
    static CpuKernelPolicy? policy;

    [ModuleInitializer]
    internal static void ApplyOnLoad() => Configure();

    /// <summary>The oneDNN ISA cap in force for this process (null: none set, or set empty).</summary>
    public static string? MaxIsa => Marshal.PtrToStringAnsi(getenv("ONEDNN_MAX_CPU_ISA")) is { Length: > 0 } isa ? isa : null;

    /// <summary>The kernels in force and why.</summary>
    public static CpuKernelPolicy Policy
    {
        get
        {
            Configure();
            return policy!;
        }
    }

    /// <summary>
    /// Decides and applies the kernels once per process (idempotent; runs when the library is first used). Never throws:
    /// a probe that cannot run leaves libtorch's kernels as they are, and says why in <see cref="Policy"/>.
    /// </summary>
    public static void Configure()
    {
        if (policy is not null) return;
        lock (Gate)
        {
            if (policy is not null) return;
            var clock = Stopwatch.StartNew();
            string? userIsa = MaxIsa;
            CpuKernelPolicy decided;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
                decided = CpuKernelPolicy.NotProbed(userIsa ?? "ALL", "libtorch's CPU kernels are probed on Linux x86-64 only");
            else if (Environment.GetEnvironmentVariable(KernelProbe.ChildVariable) is not null)
                decided = CpuKernelPolicy.NotProbed(userIsa ?? "ALL", "this process is a kernel probe: its parent chose its kernels");
            else
            {
                try
                {
                    decided = CpuKernelPolicy.Decide(userIsa, Notices.Writer); // silent at load: no caller has chosen a writer yet
                }
                catch (Exception e) when (e is not OutOfMemoryException) // this runs as the library loads: it must never take the process down
                {
                    decided = CpuKernelPolicy.NotProbed(userIsa ?? "ALL", $"the kernel probe could not run ({e.GetType().Name}: {e.Message})");
                }
            }
            if (userIsa is null && decided.Isa != "ALL")
            {
                // Overwritten: the user set none, or set it empty (which oneDNN would read as no cap).
                setenv("ONEDNN_MAX_CPU_ISA", decided.Isa, 1);
                setenv("DNNL_MAX_CPU_ISA", decided.Isa, 1);
            }
            TorchNativeLibraries.Prepare(); // after the cap is set: oneDNN must not start before it
            if (decided.Backend != ConvolutionBackend.OneDnn)
            {
                try
                {
                    LibTorchSwitches.Use(decided.Backend);
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or BadImageFormatException)
                {
                    decided = decided with { Backend = ConvolutionBackend.OneDnn, Reason = decided.Reason + $"; but libtorch's switches could not be set ({e.Message})" };
                }
            }
            policy = decided with { Seconds = clock.Elapsed.TotalSeconds };
        }
    }

    /// <summary>Whether libtorch may run convolutions on oneDNN and on NNPACK right now, as libtorch itself reports (null when it cannot be asked).</summary>
    public static (bool OneDnn, bool Nnpack)? SwitchesInForce
    {
        get
        {
            try
            {
                NativeTorch.EnsureLoaded();
                return (LibTorchSwitches.OneDnn, LibTorchSwitches.Nnpack);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Says on <paramref name="writer"/> what a caller that started before it could hear: that this process probed the
    /// kernels (once per processor), and loudly when no kernels were right. Silent otherwise.
    /// </summary>
    /// <param name="writer">Where to say it (the CLI and the notebooks: standard error).</param>
    public static void Announce(TextWriter writer)
    {
        var decided = Policy;
        if (decided.Source == CpuKernelSource.Probed)
            writer.WriteLine($"Probed libtorch's CPU kernels on this processor in {decided.Seconds:F1} s (once; cached): {decided.Kernels}. 'saliency cpu' says why.");
        if (!decided.Right)
            writer.WriteLine($"WARNING: {decided}");
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern IntPtr getenv(string name);

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);
}
