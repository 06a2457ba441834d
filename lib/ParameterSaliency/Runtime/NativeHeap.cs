using System.Runtime.InteropServices;

namespace ParameterSaliency.Runtime;

/// <summary>
/// glibc's allocator keeps memory that libtorch freed in its arenas: over a long pass the resident set climbs to a
/// plateau without any tensor being leaked (a statistics pass of the default model peaked at 454-513 MB over 1,000
/// images and 790-880 MB over 10,000; three passes over 5,000 in one process left 686, 690 and 690 MB).
/// <see cref="Trim"/> hands free pages back to the system, at most every 2 s: the same 10,000-image pass then peaked
/// at 678-705 MB, in the same time (a trim after every chunk of 64 images: 607-622 MB, but 38% slower).
/// A no-op where the C library has no <c>malloc_trim</c> (not glibc) or the system is not Linux.
/// </summary>
internal static class NativeHeap
{
    static bool unavailable = !OperatingSystem.IsLinux();
    static long lastTrim = Environment.TickCount64;

    /// <summary>Trims, at most once every <see cref="Every"/> (each trim costs the pages it frees a fault when they are used again).</summary>
    public static void Trim()
    {
        if (unavailable || Environment.TickCount64 - Interlocked.Read(ref lastTrim) < Every.TotalMilliseconds) return;
        Interlocked.Exchange(ref lastTrim, Environment.TickCount64);
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true;
        }
    }

    static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);
}
