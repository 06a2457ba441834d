using TorchSharp;
using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// SmoothGrad (Smilkov et al.) around any explainer: the map M̂(x) = (1/n) Σ_i M(x + ε_i), ε_i ~ N(0, (noise·(max x − min x))²),
/// each copy explained by the wrapped method for the class it chose on the clean image, then post-processed as that method
/// does. The noise comes from a generator seeded with <c>seed</c>, so a map is reproducible.
/// (<see cref="HeatmapOptions.SmoothGradCopies"/> is the boosted heatmap's own variant: it averages the gradient g with the
/// clean image's boosted filters, in batches.)
/// <example>
/// <code>
/// var smooth = new SmoothGrad(new InputGradient(model), copies: 16, noise: 0.15);
/// var map = smooth.Explain(test, index: 42);
/// </code>
/// </example>
/// </summary>
public sealed class SmoothGrad : IInputExplainer
{
    readonly IInputExplainer inner;
    readonly int copies, seed;
    readonly double noise;

    /// <summary>Averages <paramref name="copies"/> maps of <paramref name="inner"/> over inputs with Gaussian noise of σ = <paramref name="noise"/> × the image's value range.</summary>
    /// <param name="inner">The explainer whose maps are averaged.</param>
    /// <param name="copies">Number n of noisy copies, at least 1 (default 8).</param>
    /// <param name="noise">Noise σ as a fraction of the image's value range max x − min x (default 0.1).</param>
    /// <param name="seed">Seed of the noise generator (default 0).</param>
    public SmoothGrad(IInputExplainer inner, int copies = 8, double noise = 0.1, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, "At least one noisy copy.");
        if (!double.IsFinite(noise) || noise < 0) throw new ArgumentOutOfRangeException(nameof(noise), noise, "Non-negative, finite noise.");
        (this.inner, this.copies, this.noise, this.seed) = (inner, copies, noise, seed);
    }

    /// <inheritdoc/>
    public string Method => $"{inner.Method}, SmoothGrad ×{copies}";

    /// <summary>The smoothed map of image <paramref name="index"/>; the target defaults as the wrapped method's does.</summary>
    /// <param name="data">Data set holding the image (model-ready images and their normalisation).</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="target">Class to explain; null for the wrapped method's default, chosen on the clean image.</param>
    public InputHeatmap Explain(ImageDataset data, int index, int? target = null)
    {
        TargetedBatch.CheckIndex(data, index);
        var clean = inner.Explain(data, index, target);
        return Smooth(clean, data.Images[index], data.Normalization, index);
    }

    /// <inheritdoc/>
    public InputHeatmap Explain(Tensor input, Normalization normalization, int? target = null, int? sourceIndex = null) =>
        Smooth(inner.Explain(input, normalization, target, sourceIndex), input, normalization, sourceIndex);

    InputHeatmap Smooth(InputHeatmap clean, Tensor input, Normalization normalization, int? sourceIndex)
    {
        using var scope = NewDisposeScope();
        var image = input.detach();
        using Scalar spread = (image.max() - image.min()).to(ScalarType.Float64).item<double>() * noise;
        var generator = new Generator((ulong)seed);
        var raw = new double[clean.Raw.Length];
        var gradient = new double[clean.Gradient.Length];
        for (int copy = 0; copy < copies; copy++)
        {
            using var copyScope = NewDisposeScope();
            var noisy = image + randn(image.shape, image.dtype, generator: generator).to(image.device) * spread;
            var map = inner.Explain(noisy, normalization, clean.Label, sourceIndex);
            for (int p = 0; p < raw.Length; p++) raw[p] += map.Raw[p];
            for (int p = 0; p < gradient.Length && p < map.Gradient.Length; p++) gradient[p] += map.Gradient[p];
        }
        float[] meanRaw = raw.Select(v => (float)(v / copies)).ToArray();
        float[] meanGradient = gradient.Select(v => (float)(v / copies)).ToArray();
        return InputHeatmaps.Create(Method, clean.Label, sourceIndex, image.unsqueeze(0), normalization, meanGradient, meanRaw, clean.BoostedFilters,
            clean.ClipPercentile, clean.FloorPercentile);
    }
}
