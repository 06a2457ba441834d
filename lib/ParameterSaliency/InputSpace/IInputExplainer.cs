using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// One shape for every input-space method: construct it with the model (and its options), call
/// <see cref="Explain(ImageDataset, int, int?)"/>, get an <see cref="InputHeatmap"/>. Implemented by the paper's
/// boosted-profile heatmap (<see cref="InputSpaceSaliency"/>), the vanilla <see cref="InputGradient"/>,
/// <see cref="GradCam"/> on a named layer, and <see cref="SmoothGrad"/>, which wraps any of them.
/// <example>
/// <code>
/// IInputExplainer[] methods = [new InputSpaceSaliency(model, statistics), new InputGradient(model), new GradCam(model, "layer4")];
/// var maps = methods.Select(m => m.Explain(test, index: 42)).ToArray();
/// </code>
/// </example>
/// </summary>
public interface IInputExplainer
{
    /// <summary>What the maps are called, e.g. "input gradient" or "Grad-CAM (layer4)".</summary>
    string Method { get; }

    /// <summary>
    /// The map of image <paramref name="index"/> of <paramref name="data"/> for class <paramref name="target"/>: by default
    /// the true label y for the boosted-profile heatmap (the paper explains a mistake with its true label), the predicted
    /// class for the baselines.
    /// </summary>
    /// <param name="data">Data set holding the image (model-ready images and their normalisation).</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="target">Class to explain; null for the method's default (true label y for the boosted-profile heatmap, predicted class for the baselines).</param>
    InputHeatmap Explain(ImageDataset data, int index, int? target = null);

    /// <summary>The map of one model-ready (normalised) image <paramref name="input"/> [C, H, W]; <paramref name="target"/> defaults to the predicted class.</summary>
    /// <param name="input">Model-ready (normalised) image x [C, H, W].</param>
    /// <param name="normalization">Normalisation applied to <paramref name="input"/>, used to recover its pixels in [0, 1].</param>
    /// <param name="target">Class to explain; null for the predicted class.</param>
    /// <param name="sourceIndex">Index of the image in its data set, recorded in <see cref="InputHeatmap.SourceIndex"/>; null when unknown.</param>
    InputHeatmap Explain(Tensor input, Normalization normalization, int? target = null, int? sourceIndex = null);
}
