using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// libtorch's CPU convolution kernels under the oneDNN ISA cap in force: the
/// input gradient of a convolution equals its definition (the transposed convolution of the output
/// gradient), and the default model is profiled by the batched engine without falling back. Run under
/// every cap by <see cref="CpuIsaMatrixTests"/>.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class CpuKernelTests
{
    [Theory]
    [InlineData(1, 16, 28, 8)]
    [InlineData(8, 8, 14, 5)]
    [InlineData(8, 8, 28, 64)]
    [InlineData(16, 16, 28, 64)]
    [InlineData(64, 64, 7, 32)]
    public void Convolution_input_gradient_equals_the_transposed_convolution(int inChannels, int outChannels, int size, int batch)
    {
        using var scope = NewDisposeScope();
        var (conv, input, outputGradient) = Runtime.GlobalRandom.Seeded(1, () =>
            (nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false), randn(batch, inChannels, size, size, requires_grad: true), randn(batch, outChannels, size, size)));
        using var disposeConv = conv;
        var gradient = autograd.grad([(conv.call(input) * outputGradient).sum()], [input])[0];
        // The definition, in float64 (libtorch runs float64 convolutions without oneDNN).
        var expected = nn.functional.conv_transpose2d(outputGradient.to(ScalarType.Float64), conv.weight!.to(ScalarType.Float64), padding: [1, 1]);
        double error = ((gradient.to(ScalarType.Float64) - expected).abs().max() / expected.abs().max()).item<double>();
        // Right kernels: ~1e-7 of the largest entry; the faulty ones were off by 1e-1 or more.
        Assert.True(error < 1e-5, $"max error {error:E2} of the largest entry under {CpuKernels.Policy.Isa}");
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
