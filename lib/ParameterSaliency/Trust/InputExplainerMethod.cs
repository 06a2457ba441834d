using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// An input-space method under test: <paramref name="factory"/> builds its <see cref="IInputExplainer"/> for each model
/// (a randomised model needs its own explainer: the boosted heatmap's μ and σ belong to one model).
/// <example><code>var gradCam = new InputExplainerMethod("Grad-CAM", m => new GradCam(m));</code></example>
/// </summary>
/// <param name="name">The name shown in tables and charts.</param>
/// <param name="factory">A model in, its explainer out.</param>
public sealed class InputExplainerMethod(string name, Func<nn.Module<Tensor, Tensor>, IInputExplainer> factory) : ExplanationMethod
{
    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override bool IsHeatmap => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Explanation> Explain(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, IReadOnlyList<int>? targets = null)
    {
        CheckTargets(data, indices, targets);
        var explainer = factory(model);
        // The boosted heatmap explains a whole batch in one double backward when the targets are its default (true labels).
        var maps = targets is null && explainer is InputSpaceSaliency boosted ? boosted.Explain(data, indices)
            : indices.Select((index, n) => explainer.Explain(data, index, targets?[n])).ToArray();
        return maps.Select(map => new Explanation(map.Raw, map)).ToArray();
    }
}
