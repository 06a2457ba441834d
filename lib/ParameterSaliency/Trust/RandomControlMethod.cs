using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// The random control of SPEC §9: a map (or a profile over <paramref name="units"/> units) of uniform values drawn from a
/// generator seeded by <paramref name="seed"/> and the image's index, so it ignores the model and the class. A test that
/// this control passes cannot tell explanations from noise.
/// </summary>
/// <param name="units">Entries of a random profile; null for a random heatmap over the image's pixels.</param>
/// <param name="seed">Seed combined with each image's index.</param>
public sealed class RandomControlMethod(int? units = null, int seed = 0) : ExplanationMethod
{
    /// <inheritdoc/>
    public override string Name => units is null ? "random heatmap (control)" : "random units (control)";

    /// <inheritdoc/>
    public override bool IsHeatmap => units is null;

    /// <inheritdoc/>
    public override bool IsControl => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Explanation> Explain(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, IReadOnlyList<int>? targets = null)
    {
        CheckTargets(data, indices, targets);
        int length = units ?? data.ImageShape.Height * data.ImageShape.Width;
        return indices.Select(index =>
        {
            var random = new Random(unchecked(seed * 1_000_003 + index)); // HashCode.Combine differs between processes
            return new Explanation(Enumerable.Range(0, length).Select(_ => random.NextSingle()).ToArray());
        }).ToArray();
    }
}
