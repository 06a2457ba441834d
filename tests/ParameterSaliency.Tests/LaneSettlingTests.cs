using ParameterSaliency.Saliency;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Rows that float32 got wrong are recomputed whichever lane found them (<see cref="ProfileLanes"/>): the second lane
/// checks its passes with its replica's float64 twin, and the profiler's own twin may never have been built. A model made
/// so that float32 puts one ReLU input on the wrong side of zero, on any processor: its input is 1 + 1e-8 − 1, which is 0
/// in float32 (1 + 1e-8 rounds to 1 whatever the order of the sum) and 1e-8 in float64.
/// </summary>
public class LaneSettlingTests(ITestOutputHelper output)
{
    /// <summary>
    /// An <see cref="Models.Mlp"/> on images of two pixels (x₀, x₁), hidden widths 2 and 2: the first layer's units are
    /// x₀ + x₁ and x₀ (about 1, far from zero), the second's are (x₀ + x₁) − 1 (the kink, unit A) and x₀.
    /// </summary>
    static Models.Mlp KinkedMlp()
    {
        var model = new Models.Mlp(2, 1, [2, 2], 2);
        var weights = new Dictionary<string, float[]>
        {
            ["layers.0.weight"] = [1, 1, 1, 0], ["layers.0.bias"] = [0, 0],
            ["layers.2.weight"] = [1, 0, 0, 1], ["layers.2.bias"] = [-1, 0],
            ["fc.weight"] = [1, -0.5f, -1, 0.75f], ["fc.bias"] = [0, 0],
        };
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                parameter.copy_(tensor(weights[name]).reshape(parameter.shape));
        model.eval();
        return model;
    }

    [Fact]
    public void Rows_the_replicas_twin_finds_wrong_are_recomputed_when_the_models_own_passes_had_none()
    {
        using var scope = NewDisposeScope();
        using var model = KinkedMlp(); // registered with ExactReference by its constructor: replicas and twins are Mlps
        // Five passes of two: the first batch (this thread), then lanes: passes 1 and 3 on the model, 2 and 4 on the replica.
        // Only the replica's passes hold a kinked image (rows 4 and 9).
        int[] kinked = [4, 9];
        var pixels = Enumerable.Range(0, 10).SelectMany(row => kinked.Contains(row) ? new[] { 1f, 1e-8f } : new[] { 1f, 0.5f + 0.01f * row }).ToArray();
        var images = tensor(pixels).reshape(10, 2, 1, 1);
        var labels = tensor(Enumerable.Range(0, 10).Select(row => (long)(row % 2)).ToArray());
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched, BatchSize = 2 }) { LanesForced = true };

        using var profiles = profiler.Profile(images, labels);

        output.WriteLine($"{profiler.PassesOnLanes} passes on lanes; {profiles.Float32Candidates} candidates; recomputed [{string.Join(", ", profiles.Float64MaskRows)}], " +
                         $"unsettled [{string.Join(", ", profiles.UnsettledRows)}]");
        Assert.Equal(4, profiler.PassesOnLanes);
        Assert.Empty(profiles.UnsettledRows);
        Assert.Equal(kinked, profiles.Float64MaskRows.Order());
        using var exact = Float64Profiles(model, images, labels);
        var errors = TinyModels.RowErrors(profiles.Values, exact);
        Assert.All(Enumerable.Range(0, errors.Length), row => Assert.True(errors[row] <= 1e-6, $"row {row} is {errors[row]:E2} from float64"));
    }

    /// <summary>The profiles of a float64 copy of <paramref name="model"/>, where 1 + 1e-8 − 1 is 1e-8.</summary>
    static Tensor Float64Profiles(Models.Mlp model, Tensor images, Tensor labels)
    {
        using var copy = KinkedMlp();
        copy.to(ScalarType.Float64);
        ExactReference.CopyState(model, copy, "float64 copy");
        using var profiles = new SaliencyProfiler(copy, new ProfilerOptions { Engine = ProfileEngine.Loop }).Profile(images.to(ScalarType.Float64), labels);
        return profiles.Values.clone();
    }
}
