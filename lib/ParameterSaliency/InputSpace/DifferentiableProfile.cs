using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// The standardized filter-wise profile ŝ(x, y) = (|∇_θ L| reduced per filter − μ) / σ, computed with
/// <c>create_graph</c> so that ŝ stays differentiable with respect to x (the double backward of SPEC §3
/// step 1): of one image by autograd (the definition), or of a whole batch by the batched engine's
/// differentiable per-sample gradients when the model allows it. The statistics are checked against the
/// model on construction.
/// </summary>
internal sealed class DifferentiableProfile
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly Tensor[] parameters;
    readonly IReadOnlyList<int> contributing;
    readonly double[] mean, std;
    readonly bool absolute;

    public DifferentiableProfile(SaliencyProfiler profiler, SaliencyStatistics statistics, bool absolute)
    {
        if (!profiler.Layout.IsUnitWise)
            throw new ArgumentException($"Input-space heatmaps boost units (filters, neurons or heads), not {profiler.Layout.Aggregation} entries.");
        statistics.EnsureBelongsTo(profiler);
        model = profiler.Model;
        parameters = model.parameters().ToArray();
        contributing = profiler.Layout.ContributingParameters;
        mean = statistics.Mean.ToArray();
        std = statistics.Std.Select(s => s <= StandardizedProfiles.MinStd ? 1.0 : s).ToArray();
        this.absolute = absolute;
        Layout = profiler.Layout;
        batched = profiler.BatchedEngineOrNull;
    }

    readonly BatchedEngine? batched;

    public ProfileLayout Layout { get; }

    /// <summary>Whether <see cref="StandardizedBatch"/> is available (every filter belongs to a Conv2d with groups = 1).</summary>
    public bool CanBatch => batched is not null;

    /// <summary>
    /// ŝ [N, F] of images <paramref name="inputs"/> [N, C, H, W] (which should require grad) with labels [N]: row n
    /// depends on image n alone (eval mode), so one backward of a sum over rows gives every image's own gradient. Rows
    /// whose ReLU masks float32 got wrong (<see cref="SettlingCheck"/>) come from the model's float64 twin, still
    /// differentiable with respect to their images.
    /// </summary>
    public Tensor StandardizedBatch(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Runtime.GradientMode.EnsureEnabled("An input-space heatmap");
        twin?.Invalidate(); // the model's weights may have changed since the last call
        var check = new SettlingCheck(() => twin ??= Float64Twin.For(model, Layout));
        var profiles = batched!.Differentiable(inputs, labels, check);
        if (check.Unverified.Count > 0)
            Runtime.Notices.Writer.WriteLine($"ParameterSaliency: {check.Unverified.Count} of {inputs.shape[0]} images of this heatmap batch have a ReLU input float32 may not have settled; " +
                                             "register a float64 twin with ExactReference.Register to have them recomputed.");
        if (check.Wrong.Count > 0)
        {
            var rows = tensor(check.Wrong.Select(r => (long)r).ToArray(), device: inputs.device);
            profiles = profiles.index_copy(0, rows, twin!.Differentiable(inputs.index_select(0, rows), labels.index_select(0, rows)).to(profiles.dtype));
        }
        return Standardize(profiles).MoveToOuterDisposeScope();
    }

    Float64Twin? twin;

    /// <summary>ŝ [F] of image <paramref name="input"/> [1, C, H, W] (which should require grad) with label <paramref name="label"/> [1].</summary>
    public Tensor Standardized(Tensor input, Tensor label)
    {
        using var scope = NewDisposeScope();
        Runtime.GradientMode.EnsureEnabled("An input-space heatmap");
        var loss = SaliencyLoss.Of(model.call(input), label);
        var gradients = autograd.grad([loss], contributing.Select(p => parameters[p]).ToArray(), retain_graph: true, create_graph: true, allow_unused: true);
        var profile = Layout.ReduceAll(contributing.Select((p, i) => LoopEngine.GradientOrZero(gradients[i], parameters[p]).unsqueeze(0)).ToArray())[0];
        return Standardize(profile).MoveToOuterDisposeScope();
    }

    /// <summary>(s − μ) / σ, or |s − μ| / σ, of profiles [F] or [N, F].</summary>
    Tensor Standardize(Tensor profile)
    {
        var deviation = profile - tensor(mean, profile.dtype, profile.device);
        if (absolute) deviation = deviation.abs();
        return deviation / tensor(std, profile.dtype, profile.device);
    }
}
