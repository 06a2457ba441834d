using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// The oneDNN ISA cap libtorch's CPU kernels run under in this process (<see cref="CpuKernelPolicy"/>: the user's
/// <c>ONEDNN_MAX_CPU_ISA</c> if set, else none), and the native libraries prepared when the library is first used.
/// </summary>
public static class CpuKernels
{
    [ModuleInitializer]
    internal static void ApplyOnLoad() => TorchNativeLibraries.Prepare();

    /// <summary>The oneDNN ISA cap in force for this process (null: none set, or set empty).</summary>
    public static string? MaxIsa => Marshal.PtrToStringAnsi(getenv("ONEDNN_MAX_CPU_ISA")) is { Length: > 0 } isa ? isa : null;

    /// <summary>The cap in force and why.</summary>
    public static CpuKernelPolicy Policy => policy.Value;
    static readonly Lazy<CpuKernelPolicy> policy = new(() => MaxIsa is { } user ? CpuKernelPolicy.FromEnvironment(user) : CpuKernelPolicy.Uncapped());

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern IntPtr getenv(string name);
}
