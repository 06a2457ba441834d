using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Regression test for libtorch 2.10's AVX-512 convolution kernels, which gave wrong input
/// gradients for narrow convolutions on this project's AMD EPYC machines (see CpuKernels).
/// The input gradient of a convolution is compared with the transposed convolution of the
/// output gradient, its definition.
/// </summary>
public class CpuKernelTests
{
    [Theory]
    [InlineData(4, 14, 3)]
    [InlineData(4, 28, 64)]
    [InlineData(8, 14, 5)]
    [InlineData(8, 28, 64)]
    [InlineData(16, 28, 64)]
    public void Convolution_input_gradient_equals_the_transposed_convolution(int channels, int size, int batch)
    {
        Assert.Equal(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
            ? Runtime.CpuKernels.DefaultMaxIsa : null, Runtime.CpuKernels.MaxIsa);
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var conv = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
        var input = randn(batch, channels, size, size, requires_grad: true);
        var outputGradient = randn(batch, channels, size, size);
        var gradient = autograd.grad([(conv.call(input) * outputGradient).sum()], [input])[0];
        var expected = nn.functional.conv_transpose2d(outputGradient, conv.weight!, padding: [1, 1]);
        double error = (gradient - expected).abs().max().item<float>();
        Assert.True(error < 1e-4, $"max error {error} (scale {expected.abs().max().item<float>()})");
    }
}
