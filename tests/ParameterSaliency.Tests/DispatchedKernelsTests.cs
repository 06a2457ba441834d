using ParameterSaliency.Runtime;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>The comparison that lets <see cref="CpuIsaMatrixTests"/> skip a cap can tell two sets of kernels apart.</summary>
public class DispatchedKernelsTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Avx2_dispatches_other_convolution_kernels_than_avx512()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "oneDNN ISA caps are imitated on Linux x86-64");
        Skip.IfNot(CpuKernelPolicy.SupportedCaps().Contains("AVX512_CORE"), "this processor has no AVX-512");
        var avx512 = DispatchedKernels.Under(new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = "AVX512_CORE" });
        var avx2 = DispatchedKernels.Under(new Dictionary<string, string> { ["ONEDNN_MAX_CPU_ISA"] = "AVX2" });
        output.WriteLine($"AVX512_CORE ({avx512.Policy}): {avx512.Kernels.Length}; AVX2 ({avx2.Policy}): {avx2.Kernels.Length}");
        Skip.IfNot(avx512.Policy.Contains("AVX512_CORE") && avx2.Policy.Contains("AVX2"), $"oneDNN is not on under both caps here: {avx512.Policy}; {avx2.Policy}");
        Assert.NotEmpty(avx512.Kernels);
        Assert.Equal(avx512.Kernels.Length, avx2.Kernels.Length); // the same problems, one kernel each
        // Most differ; a few small ones (8 channels, weight gradients) run oneDNN's AVX2 kernel under either cap.
        int differing = avx512.Kernels.Except(avx2.Kernels).Count();
        output.WriteLine($"{differing} of {avx512.Kernels.Length} differ");
        Assert.True(differing > avx512.Kernels.Length / 2, $"only {differing} of {avx512.Kernels.Length} kernels differ between AVX512_CORE and AVX2");
        Assert.All(avx2.Kernels, kernel => Assert.Contains(":avx2", kernel));
    }
}
