using System.Runtime.CompilerServices;

namespace ParameterSaliency.Tests;

internal static class TestAssemblySetup
{
    /// <summary>Before any test touches libtorch: the same oneDNN ISA cap every program of the workbook applies.</summary>
    [ModuleInitializer]
    internal static void Initialize() => Runtime.CpuKernels.Configure();
}
