using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// The standardized filter-wise profile ŝ(x, y) = (|∇_θ L| reduced per filter − μ) / σ of ONE image,
/// computed with <c>create_graph</c> so that ŝ stays differentiable with respect to x (the double
/// backward of SPEC §3 step 1). The statistics are checked against the model on construction.
/// </summary>
internal sealed class DifferentiableProfile
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly Tensor[] weights;
    readonly double[] mean, std;
    readonly bool absolute;

    public DifferentiableProfile(SaliencyProfiler profiler, SaliencyStatistics statistics, bool absolute)
    {
        if (profiler.Layout.Aggregation != Aggregation.FilterWise)
            throw new ArgumentException("Input-space heatmaps use filter-wise profiles: create the profiler with Aggregation.FilterWise.");
        statistics.EnsureBelongsTo(profiler);
        model = profiler.Model;
        var parameters = model.parameters().ToArray();
        weights = profiler.Layout.Segments.Select(s => parameters[s.ParameterIndex]).ToArray();
        mean = statistics.Mean.ToArray();
        std = statistics.Std.Select(s => s <= StandardizedProfiles.MinStd ? 1.0 : s).ToArray();
        this.absolute = absolute;
        Layout = profiler.Layout;
    }

    public ProfileLayout Layout { get; }

    /// <summary>ŝ [F] of image <paramref name="input"/> [1, C, H, W] (which should require grad) with label <paramref name="label"/> [1].</summary>
    public Tensor Standardized(Tensor input, Tensor label)
    {
        using var scope = NewDisposeScope();
        Runtime.GradientMode.EnsureEnabled("An input-space heatmap");
        var loss = SaliencyLoss.Of(model.call(input), label);
        var gradients = autograd.grad([loss], weights, retain_graph: true, create_graph: true, allow_unused: true);
        var parts = new Tensor[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            var gradient = LoopEngine.GradientOrZero(gradients[i], weights[i]);
            parts[i] = gradient.abs().reshape(weights[i].shape[0], -1).mean([1]);
        }
        var profile = cat(parts, 0);
        var deviation = profile - tensor(mean, profile.dtype, profile.device);
        if (absolute) deviation = deviation.abs();
        return (deviation / tensor(std, profile.dtype, profile.device)).MoveToOuterDisposeScope();
    }
}
