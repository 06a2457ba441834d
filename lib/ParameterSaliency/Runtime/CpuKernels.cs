using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Settles, before libtorch loads, the oneDNN ISA cap of libtorch's CPU convolution kernels, which
/// oneDNN reads only once per process (<see cref="CpuKernelPolicy"/>: the user's
/// <c>ONEDNN_MAX_CPU_ISA</c> if set, else the fastest cap measured correct on this processor). Runs when
/// the library is first used.
/// </summary>
public static class CpuKernels
{
    static readonly object Gate = new();
    static CpuKernelPolicy? policy;

    [ModuleInitializer]
    internal static void ApplyOnLoad()
    {
        Configure();
        TorchNativeLibraries.Prepare(); // after the cap is set: oneDNN must not start before it
    }

    /// <summary>The oneDNN ISA cap in force for this process (null: none set).</summary>
    public static string? MaxIsa => Marshal.PtrToStringAnsi(getenv("ONEDNN_MAX_CPU_ISA"));

    /// <summary>The cap in force and why (decided at most once per process).</summary>
    public static CpuKernelPolicy Policy
    {
        get
        {
            Configure();
            return policy!;
        }
    }

    /// <summary>
    /// Sets <c>ONEDNN_MAX_CPU_ISA</c> (and the older <c>DNNL_MAX_CPU_ISA</c>) in the native environment,
    /// unless the user set it. Idempotent; never throws (a failed measurement
    /// leaves oneDNN uncapped, and the batched engine's self-check still guards its results).
    /// </summary>
    public static void Configure()
    {
        if (policy is not null) return;
        lock (Gate)
        {
            if (policy is not null) return;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                policy = CpuKernelPolicy.Unmeasured("oneDNN ISA caps are only measured on Linux x86-64");
                return;
            }
            if (MaxIsa is { } user)
            {
                policy = CpuKernelPolicy.FromEnvironment(user);
                return;
            }
            CpuKernelPolicy decided;
            try
            {
                decided = CpuKernelPolicy.Decide(Notices.Writer); // silent at load: no caller has chosen a writer yet
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                decided = CpuKernelPolicy.Unmeasured($"the measurement could not run: {e.Message}");
            }
            SetNative("ONEDNN_MAX_CPU_ISA", decided.Isa);
            SetNative("DNNL_MAX_CPU_ISA", decided.Isa);
            policy = decided;
        }
    }

    /// <summary>.NET's Environment.SetEnvironmentVariable does not reach native getenv on Linux: libc's setenv does. Never overwrites.</summary>
    static void SetNative(string name, string value) => setenv(name, value, 0);

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern IntPtr getenv(string name);
}
