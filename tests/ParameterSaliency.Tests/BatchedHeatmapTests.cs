using TorchSharp;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Batched heatmaps (one double backward through the batched engine's differentiable per-sample profiles for a whole
/// batch) against the definition, one image at a time through autograd: the input gradients agree to a relative L2
/// error below 1e-4 and the boosted filters are the same, in float64, for the method, the random control, the
/// paper's |s − μ| / σ and SmoothGrad.
/// </summary>
public class BatchedHeatmapTests
{
    public static TheoryData<string> Variants() => new() { "top-k", "random control", "absolute standardization", "SmoothGrad" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Batched_heatmaps_equal_the_heatmaps_of_one_image_at_a_time(string variant)
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10), seed: 31);
        model.to(ScalarType.Float64);
        using var data = TinyModels.Dataset(24, 14, seed: 32);
        var statistics = SaliencyStatistics.Compute(new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop }), data);
        var options = variant switch
        {
            "random control" => new HeatmapOptions { K = 5, Filters = BoostedFilters.Random, RandomSeed = 4 },
            "absolute standardization" => new HeatmapOptions { K = 5, AbsoluteStandardization = true },
            "SmoothGrad" => new HeatmapOptions { K = 5, SmoothGradCopies = 3, SmoothGradSeed = 9 },
            _ => new HeatmapOptions { K = 5 },
        };
        int[] indices = [0, 3, 5, 6, 11, 17, 23];
        var batched = new InputSpaceSaliency(model, statistics, options with { BatchSize = 4 }).Explain(data, indices); // batches of 4 and 3
        var alone = new InputSpaceSaliency(model, statistics, options with { BatchSize = 1 });
        var copiesTogether = new InputSpaceSaliency(model, statistics, options with { BatchSize = 2 }); // SmoothGrad: one image's copies in passes of 2 and 1
        for (int n = 0; n < indices.Length; n++)
        {
            var expected = alone.Explain(data, indices[n]);
            Assert.True(expected.Gradient.Any(e => e != 0), $"image {indices[n]}: the gradient is zero; the test would prove nothing");
            Assert.Equal(indices[n], batched[n].SourceIndex);
            AssertSame(expected, batched[n], $"{variant}, image {indices[n]}, batched with other images");
            AssertSame(expected, copiesTogether.Explain(data, indices[n]), $"{variant}, image {indices[n]} alone, batched copies");
        }
    }

    static void AssertSame(InputHeatmap expected, InputHeatmap actual, string what)
    {
        Assert.Equal(expected.BoostedFilters, actual.BoostedFilters);
        double error = Math.Sqrt(expected.Gradient.Zip(actual.Gradient, (e, a) => (double)(e - a) * (e - a)).Sum() / expected.Gradient.Sum(e => (double)e * e));
        Assert.True(error < 1e-4, $"{what}: gradient against one image alone, relative L2 error {error:E2}");
    }

    [Fact]
    public void The_method_and_its_random_control_explained_together_equal_each_alone()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10), seed: 33);
        model.to(ScalarType.Float64);
        using var data = TinyModels.Dataset(16, 14, seed: 34);
        var statistics = SaliencyStatistics.Compute(new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop }), data);
        var method = new InputSpaceSaliency(model, statistics, new HeatmapOptions { K = 5 });
        var control = new InputSpaceSaliency(model, statistics, new HeatmapOptions { K = 5, Filters = BoostedFilters.Random });
        int[] indices = [1, 2, 7, 9, 12];
        var images = data.Images.index_select(0, tensor(indices.Select(i => (long)i).ToArray()));
        var together = InputSpaceSaliency.ExplainTogether([method, control], images, indices.Select(i => data.LabelArray[i]).ToArray(), data.Normalization,
            indices.Select(i => (int?)i).ToArray(), randomSeeds: indices);
        for (int n = 0; n < indices.Length; n++)
        {
            AssertSame(new InputSpaceSaliency(model, statistics, method.Options with { BatchSize = 1 }).Explain(data, indices[n]), together[0][n], $"method, image {indices[n]}");
            var alone = new InputSpaceSaliency(model, statistics, control.Options with { BatchSize = 1, RandomSeed = indices[n] }).Explain(data, indices[n]);
            AssertSame(alone, together[1][n], $"random control, image {indices[n]}");
        }
    }
}
