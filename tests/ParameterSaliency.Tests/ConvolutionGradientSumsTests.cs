using ParameterSaliency.Saliency;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// The float32 register kernel of the batched engine (<see cref="ConvolutionGradientSums"/>: Σ_k |∂L_n/∂W[o, k]| read
/// straight from the padded input) against the definition in float64: autograd one sample at a time, |g| summed per
/// filter. Filter counts below, at and above a vector (6, 16, 17, 40), weight rows per filter with and without a remainder
/// of the kernel's groups of 8 (in·kh·kw = 9, 36, 48, 75), strides, dilation, padding, non-square kernels, and inputs that
/// are not contiguous.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)] // 512-bit vectors here, 256-bit in the AVX2 child
public class ConvolutionGradientSumsTests(ITestOutputHelper output)
{
    public static TheoryData<string> Layers() => new()
    {
        "1 to 16, 3x3 pad 1",
        "4 to 6, 3x3 stride 2 pad 1",
        "4 to 17, 1x1 stride 2",
        "3 to 40, 5x5 no padding",
        "8 to 16, 2x3 stride (1, 2) dilation 2 pad (2, 1)",
        "4 to 6, 3x3 pad 1, input not contiguous",
    };

    static Conv2d Build(string name) => Runtime.GlobalRandom.Seeded(3, () => name switch
    {
        "1 to 16, 3x3 pad 1" => nn.Conv2d(1, 16, 3, padding: 1, bias: false),
        "4 to 6, 3x3 stride 2 pad 1" => nn.Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false),
        "4 to 17, 1x1 stride 2" => nn.Conv2d(4, 17, 1, stride: 2, bias: false),
        "3 to 40, 5x5 no padding" => nn.Conv2d(3, 40, 5, bias: true),
        "8 to 16, 2x3 stride (1, 2) dilation 2 pad (2, 1)" => nn.Conv2d(8, 16, (2, 3), stride: (1, 2), padding: (2, 1), dilation: (2, 2), bias: false),
        _ => nn.Conv2d(4, 6, 3, padding: 1, bias: false),
    });

    [Theory]
    [MemberData(nameof(Layers))]
    public void Float32_sums_equal_the_definition_in_float64(string name)
    {
        using var scope = NewDisposeScope();
        using var conv = Build(name);
        long channels = conv.in_channels;
        var (input, outputGradient) = Runtime.GlobalRandom.Seeded(7, () =>
        {
            var x = name.EndsWith("not contiguous") ? randn(11, 5, channels, 9).permute(1, 2, 0, 3) : randn(5, channels, 11, 9);
            using var outputs = conv.call(x);
            return (x, randn(outputs.shape));
        });
        Assert.Equal(name.EndsWith("not contiguous"), !input.is_contiguous());

        using var exact = Build(name);
        exact.to(ScalarType.Float64);
        var expected = stack(Enumerable.Range(0, 5).Select(n =>
        {
            var loss = (exact.call(input.narrow(0, n, 1).to(ScalarType.Float64)) * outputGradient.narrow(0, n, 1).to(ScalarType.Float64)).sum();
            return autograd.grad([loss], [exact.weight!])[0].abs().flatten(1).sum([1]);
        }).ToArray()); // [N, out]

        Assert.True(ConvolutionGradientSums.Handles(input, outputGradient));
        var actual = ConvolutionGradientSums.Of([(conv, input, outputGradient)])[0];
        Assert.Equal(expected.shape, actual.shape);
        // Entry by entry, relative to the entry itself: every filter of every sample is held, not a summary of them.
        var relative = ((actual.to(ScalarType.Float64) - expected).abs() / expected.abs()).flatten();
        double worst = relative.max().item<double>();
        output.WriteLine($"{name}, {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512 : 256)}-bit vectors: {relative.shape[0]} sums, largest relative error {worst:E2}");
        Assert.True(worst < 1e-5, $"{name}: relative error {worst:E2} at sum {relative.argmax().item<long>()}");

        // Through the engine's reduction, float32 filter means and the layer mean.
        var filterWise = PerSampleConvolution.FromSums(conv, actual, Aggregation.FilterWise);
        double patchLength = conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3];
        using Scalar filterSize = patchLength, layerSize = expected.shape[1] * patchLength;
        Assert.True(((filterWise.to(ScalarType.Float64) - expected / filterSize).abs() / (expected / filterSize)).max().item<double>() < 1e-5);
        var layerWise = PerSampleConvolution.FromSums(conv, actual, Aggregation.LayerWise);
        var layerMean = expected.sum([1], keepdim: true) / layerSize;
        Assert.True(((layerWise.to(ScalarType.Float64) - layerMean).abs() / layerMean).max().item<double>() < 1e-5);
    }
}
