using ParameterSaliency.Saliency;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The batched engine's convolution kernel (im2col + bmm, reduced chunk by chunk) against per-sample autograd, one
/// sample at a time, in float64: strides, dilation, padding, non-square kernels, 1x1 downsampling convolutions and
/// biases, with chunk budgets small enough to split both the samples and the output channels, for every aggregation
/// and for the fast and the differentiable (heatmap) path.
/// </summary>
public class PerSampleConvolutionTests
{
    public static TheoryData<string, long> Layers() => new()
    {
        { "3x3 stride 1 pad 1", 1L << 22 },
        { "3x3 stride 2 pad 1", 1L << 22 },
        { "3x3 stride 2 pad 1", 200 },           // both the samples and the output channels in chunks
        { "1x1 stride 2 (downsample)", 1L << 22 },
        { "1x1 stride 2 (downsample)", 50 },
        { "2x3 stride (1, 2) dilation 2 pad (2, 1) bias", 1L << 22 },
        { "2x3 stride (1, 2) dilation 2 pad (2, 1) bias", 333 },
        { "5x5 no padding bias", 1 },              // one sample and one channel per chunk
    };

    static Conv2d Build(string name) => Runtime.GlobalRandom.Seeded(3, () => name switch
    {
        "3x3 stride 1 pad 1" => nn.Conv2d(4, 6, 3, stride: 1, padding: 1, bias: false),
        "3x3 stride 2 pad 1" => nn.Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false),
        "1x1 stride 2 (downsample)" => nn.Conv2d(4, 6, 1, stride: 2, bias: false),
        "2x3 stride (1, 2) dilation 2 pad (2, 1) bias" => nn.Conv2d(4, 6, (2, 3), stride: (1, 2), padding: (2, 1), dilation: (2, 2), bias: true),
        _ => nn.Conv2d(4, 6, 5, bias: true),
    });

    [Theory]
    [MemberData(nameof(Layers))]
    public void Chunked_per_sample_gradients_equal_autograd_one_sample_at_a_time(string name, long chunkElements)
    {
        using var conv = Build(name);
        conv.to(ScalarType.Float64);
        var (input, outputGradient) = Runtime.GlobalRandom.Seeded(7, () =>
        {
            var x = randn(5, 4, 11, 9, dtype: ScalarType.Float64);
            using var output = conv.call(x);
            return (x, randn(output.shape, dtype: ScalarType.Float64));
        });
        // The definition: for each sample n, ∂/∂W of Σ out_n · g_n is that sample's weight gradient.
        var perSample = Enumerable.Range(0, 5).Select(n =>
        {
            var loss = (conv.call(input.narrow(0, n, 1)) * outputGradient.narrow(0, n, 1)).sum();
            return autograd.grad([loss], [conv.weight!])[0];
        }).ToArray();
        var gradients = stack(perSample); // [N, out, in, kh, kw]
        foreach (var aggregation in Enum.GetValues<Aggregation>().Where(a => a != Aggregation.HeadWise)) // a convolution has no heads
        {
            var layout = ProfileLayout.For(conv, aggregation);
            var expected = layout.Reduce(layout.Segments[0], gradients);
            foreach (bool differentiable in new[] { false, true })
            {
                var actual = PerSampleConvolution.Reduced(conv, input, outputGradient, layout, differentiable, chunkElements);
                Assert.Equal(expected.shape, actual.shape);
                double error = ((actual - expected).abs().max() / expected.abs().max()).item<double>();
                Assert.True(error < 1e-12, $"{name}, {aggregation}, {(differentiable ? "differentiable" : "fast")} path, chunks of {chunkElements}: relative error {error:E2}");
            }
        }
    }
}
