using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// Input-space baselines to compare parameter-saliency heatmaps with, for the class the model
/// predicts (or a given class c): the vanilla input gradient max_c |∂f_c/∂x| (Simonyan et al.)
/// and Grad-CAM on the last convolutional stage (Selvaraju et al.), upsampled bilinearly.
/// Both keep the percentile post-processing off by default (plain min-max), so their raw shape shows.
/// </summary>
public sealed class Baselines
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ModelInputs inputs;
    readonly HeatmapOptions display;

    /// <summary>Baselines for <paramref name="model"/>; <paramref name="display"/> sets the colour map and blur of the results.</summary>
    public Baselines(nn.Module<Tensor, Tensor> model, HeatmapOptions? display = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        inputs = ModelInputs.Of(model);
        this.display = display ?? new HeatmapOptions();
    }

    /// <summary>The vanilla gradient of the logit of <paramref name="targetClass"/> (default: the predicted class) for image <paramref name="index"/>.</summary>
    public InputHeatmap InputGradient(ImageDataset data, int index, int? targetClass = null) =>
        InputGradient(data.Images[index], data.Normalization, targetClass, index);

    /// <summary>The vanilla gradient for one model-ready image [C, H, W].</summary>
    public InputHeatmap InputGradient(Tensor input, Normalization normalization, int? targetClass = null, int? sourceIndex = null)
    {
        using var scope = NewDisposeScope();
        var batch = Prepare(input);
        using var mode = new Runtime.EvalMode(model);
        var x = batch.detach().requires_grad_(true);
        var logits = model.call(x);
        int target = TargetClass(logits, targetClass);
        var gradient = autograd.grad([logits[0, target]], [x])[0];
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        float[] g = gradient.to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
        var raw = HeatmapMath.ReduceChannels(g, channels, height, width, absoluteFirst: true);
        return InputHeatmaps.Create("input gradient", target, sourceIndex, batch, normalization, g, raw, [], display, 100, 0);
    }

    /// <summary>Grad-CAM of <paramref name="targetClass"/> (default: the predicted class) for image <paramref name="index"/>; the model must be a <see cref="ResNet"/>.</summary>
    public InputHeatmap GradCam(ImageDataset data, int index, int? targetClass = null) =>
        GradCam(data.Images[index], data.Normalization, targetClass, index);

    /// <summary>Grad-CAM for one model-ready image [C, H, W]: ReLU(Σ_k α_k A_k), α_k the spatial mean of ∂f_c/∂A_k, A = layer4's output.</summary>
    public InputHeatmap GradCam(Tensor input, Normalization normalization, int? targetClass = null, int? sourceIndex = null)
    {
        if (model is not ResNet resnet) throw new NotSupportedException("Grad-CAM needs the last convolutional stage: it is implemented for ParameterSaliency.Models.ResNet.");
        using var scope = NewDisposeScope();
        var batch = Prepare(input);
        using var mode = new Runtime.EvalMode(model);
        var features = resnet.Features(batch.detach());
        var logits = resnet.Classify(features);
        int target = TargetClass(logits, targetClass);
        var gradient = autograd.grad([logits[0, target]], [features])[0];
        var weights = gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu((weights * features).sum(1, keepdim: true)).detach();
        int height = (int)batch.shape[2], width = (int)batch.shape[3];
        var upsampled = nn.functional.interpolate(cam, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        float[] raw = upsampled.to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
        return InputHeatmaps.Create("Grad-CAM", target, sourceIndex, batch, normalization, [], raw, [], display, 100, 0);
    }

    Tensor Prepare(Tensor input)
    {
        Runtime.GradientMode.EnsureEnabled("An input-gradient or Grad-CAM map");
        return inputs.Single(input, label: 0).Batch;
    }

    int TargetClass(Tensor logits, int? targetClass)
    {
        long classes = logits.shape[1];
        if (targetClass is int c && (c < 0 || c >= classes)) throw new ArgumentOutOfRangeException(nameof(targetClass), c, $"The model has classes [0, {classes}).");
        return targetClass ?? (int)logits.argmax(1).item<long>();
    }
}
