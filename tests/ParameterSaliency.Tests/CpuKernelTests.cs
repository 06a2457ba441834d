using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// libtorch's CPU convolution kernels in force in this process (the oneDNN cap and backend <see cref="CpuKernels"/> chose):
/// the probe found them right, the input gradient of a convolution equals its definition (the transposed convolution of
/// the output gradient), and the default model is profiled by the batched engine without falling back. A failure names
/// the processor and the kernels. Run under every cap by <see cref="CpuIsaMatrixTests"/>.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class CpuKernelTests
{
    static string Kernels => $"on {CpuKernelPolicy.ProcessorName()} ({CpuKernelPolicy.Signature()}) with {CpuKernels.Policy}";

    [Fact]
    public void The_probe_found_the_kernels_in_force_right()
    {
        if (OperatingSystem.IsLinux()) Assert.NotEqual(CpuKernelSource.NotProbed, CpuKernels.Policy.Source);
        Assert.True(CpuKernels.Policy.Right, $"the kernels in force are wrong {Kernels}");
    }

    [Theory]
    [InlineData(1, 16, 3, 1, 28, 8)]
    [InlineData(8, 8, 3, 1, 14, 5)]
    [InlineData(8, 8, 3, 1, 28, 64)]
    [InlineData(16, 16, 3, 1, 28, 64)]
    [InlineData(64, 64, 3, 1, 7, 32)]
    [InlineData(128, 128, 3, 2, 56, 2)] // ResNet-50's strided convolutions: a backward-data primitive crashed with SIGFPE on a Zen 5
    [InlineData(512, 1024, 1, 2, 28, 2)]
    public void Convolution_input_gradient_equals_the_transposed_convolution(int inChannels, int outChannels, int kernel, int stride, int size, int batch)
    {
        using var scope = NewDisposeScope();
        int padding = kernel / 2;
        var (conv, input) = Runtime.GlobalRandom.Seeded(1, () =>
            (nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: false), randn(batch, inChannels, size, size, requires_grad: true)));
        using var disposeConv = conv;
        var output = conv.call(input);
        var outputGradient = Runtime.GlobalRandom.Seeded(2, () => randn_like(output));
        var gradient = autograd.grad([(output * outputGradient).sum()], [input])[0];
        // The definition, in float64 (libtorch runs float64 convolutions without oneDNN); output_padding restores the
        // rows and columns a strided convolution skipped.
        long outputPadding = size - ((output.shape[2] - 1) * stride - 2 * padding + kernel);
        var expected = nn.functional.conv_transpose2d(outputGradient.to(ScalarType.Float64), conv.weight!.to(ScalarType.Float64),
            strides: [stride, stride], padding: [padding, padding], output_padding: [outputPadding, outputPadding]);
        double error = ((gradient.to(ScalarType.Float64) - expected).abs().max() / expected.abs().max()).item<double>();
        // Right kernels: ~1e-7 of the largest entry; the faulty ones were off by 1e-1 or more, or NaN.
        Assert.True(error < 1e-5, $"max error {error:E2} of the largest entry {Kernels}");
    }

    [Fact]
    public void The_default_model_s_batched_profiles_match_the_loop_without_falling_back()
    {
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(saved.Model);
        using var profiles = profiler.Profile(test, Enumerable.Range(0, 16).ToArray());
        // Which engine Auto then keeps is a measurement of speed (under the ISA matrix, with other tests running, the
        // loop can win): what must hold on every processor is that the batched engine agreed with the loop.
        Assert.Null(profiler.EngineFallbackReason);
        Assert.Contains("matched the loop", profiler.EngineReason);
    }
}
