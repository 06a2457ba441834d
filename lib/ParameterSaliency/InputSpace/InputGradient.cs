using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// The vanilla input gradient (Simonyan et al.): g = ∂f_c/∂x for the class c the model predicts (or a given class),
/// the map max over colour channels of |g|, min-max normalised without the percentile clip so its raw shape shows.
/// A baseline to hold the boosted-profile heatmap against.
/// </summary>
public sealed class InputGradient : IInputExplainer
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ModelInputs inputs;

    /// <summary>Input gradients of <paramref name="model"/>'s logits.</summary>
    /// <param name="model">Classifier f whose logit gradients ∂f_c/∂x are taken.</param>
    public InputGradient(nn.Module<Tensor, Tensor> model)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        inputs = ModelInputs.Of(model);
    }

    /// <inheritdoc/>
    public string Method => "input gradient";

    /// <summary>The gradient of the logit of <paramref name="target"/> (default: the predicted class) for image <paramref name="index"/>.</summary>
    /// <param name="data">Data set holding the image (model-ready images and their normalisation).</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="target">Class c whose logit is differentiated; null for the predicted class.</param>
    public InputHeatmap Explain(ImageDataset data, int index, int? target = null)
    {
        TargetedBatch.CheckIndex(data, index);
        return Explain(data.Images[index], data.Normalization, target, index);
    }

    /// <inheritdoc/>
    public InputHeatmap Explain(Tensor input, Normalization normalization, int? target = null, int? sourceIndex = null)
    {
        using var scope = NewDisposeScope();
        return ExplainBatch(TargetedBatch.Single(inputs, input, "An input-gradient map"), normalization, target is int c ? [c] : null, [sourceIndex])[0];
    }

    /// <summary>
    /// Maps of model-ready images [N, C, H, W], each for its own target class (default: its predicted class), from one
    /// backward pass: in eval mode logit n depends on image n alone.
    /// </summary>
    /// <param name="images">Model-ready (normalised) images x [N, C, H, W].</param>
    /// <param name="normalization">Normalisation applied to <paramref name="images"/>, used to recover their pixels in [0, 1].</param>
    /// <param name="targetClasses">Class whose logit is explained for each image (length N); null for every image's predicted class.</param>
    /// <param name="sourceIndices">Index of each image in its data set (length N, entries may be null); null when unknown.</param>
    public IReadOnlyList<InputHeatmap> ExplainBatch(Tensor images, Normalization normalization, int[]? targetClasses = null, int?[]? sourceIndices = null)
    {
        using var scope = NewDisposeScope();
        var batch = TargetedBatch.Prepare(inputs, images, targetClasses, sourceIndices, "An input-gradient map");
        using var mode = new Runtime.EvalMode(model);
        var x = batch.detach().requires_grad_(true);
        var logits = model.call(x);
        long[] targets = TargetedBatch.Targets(logits, targetClasses);
        var gradient = autograd.grad([TargetedBatch.TargetLogitSum(logits, targets)], [x])[0].to(ScalarType.Float32).cpu();
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        return Enumerable.Range(0, targets.Length).Select(n =>
        {
            float[] g = gradient[n].reshape(-1).data<float>().ToArray();
            var raw = HeatmapMath.ReduceChannels(g, channels, height, width, absoluteFirst: true);
            return InputHeatmaps.Create(Method, (int)targets[n], sourceIndices?[n], batch.narrow(0, n, 1), normalization, g, raw, [], 100, 0);
        }).ToArray();
    }
}
