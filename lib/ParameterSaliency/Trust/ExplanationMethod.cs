using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// What the trust tests (SPEC §9) examine: a way to explain images of any model with the same architecture, so that the
/// explanation of a randomised or relabelled model can be compared with the trained model's. Implemented for every
/// <see cref="InputSpace.IInputExplainer"/> (<see cref="InputExplainerMethod"/>), for the standardized profile ŝ itself
/// (<see cref="ProfileMethod"/>, μ and σ re-estimated for each model) and for the random controls (<see cref="RandomControlMethod"/>).
/// </summary>
public abstract class ExplanationMethod
{
    /// <summary>The name shown in tables and charts.</summary>
    public abstract string Name { get; }

    /// <summary>True for a map over the input's pixels (SSIM, deletion, insertion and localisation apply); false for a profile over the model's units.</summary>
    public abstract bool IsHeatmap { get; }

    /// <summary>True for a control that ignores the model (a random map or profile): every test should find it wanting.</summary>
    public virtual bool IsControl => false;

    /// <summary>
    /// Explanations of the images of <paramref name="data"/> at <paramref name="indices"/> by <paramref name="model"/>, for
    /// the classes <paramref name="targets"/> (null: the method's default, the true label y for ŝ and the boosted heatmap, the
    /// predicted class for the baselines).
    /// </summary>
    /// <param name="model">The classifier: the trained model or a randomised copy of its architecture.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Indices of the images in <paramref name="data"/>.</param>
    /// <param name="targets">Class explained for each image, or null for the method's default.</param>
    public abstract IReadOnlyList<Explanation> Explain(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, IReadOnlyList<int>? targets = null);

    /// <inheritdoc/>
    public override string ToString() => Name;

    internal static void CheckTargets(ImageDataset data, IReadOnlyList<int> indices, IReadOnlyList<int>? targets)
    {
        if (indices.Count == 0) throw new ArgumentException("No images to explain.", nameof(indices));
        foreach (int index in indices)
            if (index < 0 || index >= data.Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"{data.Name} has images [0, {data.Count}).");
        if (targets is null) return;
        if (targets.Count != indices.Count) throw new ArgumentException($"{targets.Count} targets for {indices.Count} images.", nameof(targets));
        foreach (int target in targets)
            if (target < 0 || target >= data.ClassNames.Count) throw new ArgumentOutOfRangeException(nameof(targets), target, $"Classes are [0, {data.ClassNames.Count}).");
    }
}
