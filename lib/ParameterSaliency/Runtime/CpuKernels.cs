using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Caps oneDNN (libtorch's CPU convolution library) at AVX2 before libtorch runs its first
/// convolution. Measured on the AMD EPYC (AVX-512) machines of this project, libtorch 2.10's
/// AVX-512 convolution kernels return wrong and run-to-run different input gradients for
/// narrow convolutions (4 or 8 channels, batch > 1; see the test <c>CpuKernelTests</c>), which
/// corrupts every gradient upstream of them; the AVX2 kernels are right. A value the user set
/// in <c>ONEDNN_MAX_CPU_ISA</c> is respected (<c>ALL</c> lifts the cap).
/// </summary>
public static class CpuKernels
{
    /// <summary>The cap applied when the environment sets none.</summary>
    public const string DefaultMaxIsa = "AVX2";

    [ModuleInitializer]
    internal static void ApplyOnLoad() => Configure();

    /// <summary>The oneDNN ISA cap in force for this process (null: none).</summary>
    public static string? MaxIsa => Marshal.PtrToStringAnsi(getenv("ONEDNN_MAX_CPU_ISA"));

    /// <summary>Sets <c>ONEDNN_MAX_CPU_ISA</c> (and the older <c>DNNL_MAX_CPU_ISA</c>) in the native environment unless already set. Idempotent.</summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        // .NET's Environment.SetEnvironmentVariable does not reach native getenv on Linux: call libc.
        string isa = MaxIsa ?? DefaultMaxIsa;
        setenv("ONEDNN_MAX_CPU_ISA", isa, 0);
        setenv("DNNL_MAX_CPU_ISA", isa, 0);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern IntPtr getenv(string name);
}
