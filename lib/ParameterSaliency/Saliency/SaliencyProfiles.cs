using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>Saliency profiles s(x, y) of N images: <see cref="Values"/> [N, <see cref="ProfileLayout.Length"/>], float32, on the CPU.</summary>
public sealed class SaliencyProfiles : IDisposable
{
    internal SaliencyProfiles(ProfileLayout layout, Tensor values, int[] labels, IReadOnlyList<int>? sourceIndices = null)
    {
        Layout = layout;
        Values = values.DetachFromDisposeScope();
        Labels = labels;
        SourceIndices = sourceIndices ?? Enumerable.Range(0, labels.Length).ToArray();
    }

    /// <summary>Where each row's image sits in its data set (row numbers when profiled from bare tensors).</summary>
    public IReadOnlyList<int> SourceIndices { get; }

    /// <summary>What each entry means.</summary>
    public ProfileLayout Layout { get; }
    /// <summary>Profiles, one row per image.</summary>
    public Tensor Values { get; }
    /// <summary>The true labels y the loss was computed with.</summary>
    public IReadOnlyList<int> Labels { get; }
    /// <summary>
    /// Rows (0-based, as <see cref="Values"/>) computed again because float32 got a ReLU mask wrong (an input within
    /// rounding of zero that carries a gradient, on the side float64 does not put it; the kernels' summation order
    /// decides, see the docs' article on CPU kernels): in float32 with every ReLU mask of the image pinned to a float64 forward's.
    /// </summary>
    public IReadOnlyList<int> Float64MaskRows { get; init; } = [];

    /// <summary>How many images had a ReLU input within rounding of zero that carries a gradient, and were checked against a float64 forward (or, without a twin, reported in <see cref="UnsettledRows"/>).</summary>
    public int Float32Candidates { get; init; }

    /// <summary>
    /// Rows float32 may not have settled and nothing checked: of a model without a float64 twin
    /// (<see cref="ExactReference.Register"/>), or every such row under <see cref="KinkGuard.Flag"/>. How far each could be
    /// from the exact profile is in <see cref="UnsettledBounds"/>.
    /// </summary>
    public IReadOnlyList<int> UnsettledRows { get; init; } = [];

    /// <summary>
    /// For each of <see cref="UnsettledRows"/>, in order, about how far (row-relative L1, ||s − s_exact||₁ / ||s_exact||₁) it
    /// could be from the exact profile if float32 got every ReLU input of its image in the rounding band wrong: the sum of
    /// those inputs' gradient shares. A wrong mask moved a row by at most 0.93 times its share on the default model.
    /// </summary>
    public IReadOnlyList<double> UnsettledBounds { get; init; } = [];

    /// <summary>Number of images N.</summary>
    public int Count => Labels.Count;

    /// <summary>The profile of image <paramref name="index"/> as an array.</summary>
    /// <param name="index">Row (image) index in [0, <see cref="Count"/>).</param>
    public float[] Row(int index) => Values[index].to(ScalarType.Float32).data<float>().ToArray();

    /// <inheritdoc/>
    public void Dispose() => Values.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{Count} {Layout.Aggregation} saliency profiles of {Layout.Length} entries";
}
