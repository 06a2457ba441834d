using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParameterSaliency.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// Before any test touches libtorch: one libtorch thread in this process and in every process a test
    /// starts (they inherit OMP_NUM_THREADS). xunit runs two test classes at a time on the 2-core machines
    /// this suite is sized for, so two single-threaded computations use both cores without
    /// oversubscribing them.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is null)
        {
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", "1");
            if (OperatingSystem.IsLinux()) setenv("OMP_NUM_THREADS", "1", 0);
        }
        Runtime.CoreShare.Enabled = false;
        Data.WorkbookPaths.RegisterData();
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);
}
