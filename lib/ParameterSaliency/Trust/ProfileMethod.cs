using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// The parameter-space explanation itself under test: the standardized profile ŝ(x, y) = (s(x, y) − μ) / σ, with μ and σ
/// of the model explained (<see cref="ModelStatistics"/>).
/// </summary>
/// <param name="statistics">μ and σ for each model.</param>
/// <param name="name">The name shown in tables and charts.</param>
public sealed class ProfileMethod(ModelStatistics statistics, string name = "ŝ (parameter saliency)") : ExplanationMethod
{
    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override bool IsHeatmap => false;

    /// <inheritdoc/>
    public override IReadOnlyList<Explanation> Explain(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, IReadOnlyList<int>? targets = null)
    {
        CheckTargets(data, indices, targets);
        var muSigma = statistics.For(model);
        using var scope = NewDisposeScope();
        var profiler = statistics.ProfilerFor(model);
        var images = data.Images.index_select(0, tensor(indices.Select(i => (long)i).ToArray()));
        var labels = tensor((targets ?? indices.Select(i => data.LabelArray[i]).ToArray()).Select(l => (long)l).ToArray());
        using var profiles = profiler.Profile(images, labels);
        using var standardized = StandardizedProfiles.Of(profiles, muSigma);
        var values = standardized.Values.to(ScalarType.Float32).cpu();
        return Enumerable.Range(0, indices.Count).Select(n => new Explanation(values[n].data<float>().ToArray())).ToArray();
    }
}
