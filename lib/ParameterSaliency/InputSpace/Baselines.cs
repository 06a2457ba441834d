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
        return InputGradients(Prepare(input), normalization, targetClass is int c ? [c] : null, [sourceIndex])[0];
    }

    /// <summary>
    /// Vanilla gradients of model-ready images [N, C, H, W], each for its own target class (default: its predicted
    /// class), from one backward pass: in eval mode logit n depends on image n alone.
    /// </summary>
    public IReadOnlyList<InputHeatmap> InputGradients(Tensor images, Normalization normalization, int[]? targetClasses = null, int?[]? sourceIndices = null)
    {
        using var scope = NewDisposeScope();
        var batch = PrepareBatch(images, targetClasses, sourceIndices);
        using var mode = new Runtime.EvalMode(model);
        var x = batch.detach().requires_grad_(true);
        var logits = model.call(x);
        long[] targets = TargetClasses(logits, targetClasses);
        var gradient = autograd.grad([logits.gather(1, tensor(targets, device: logits.device).unsqueeze(1)).sum()], [x])[0].to(ScalarType.Float32).cpu();
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        return Enumerable.Range(0, targets.Length).Select(n =>
        {
            float[] g = gradient[n].reshape(-1).data<float>().ToArray();
            var raw = HeatmapMath.ReduceChannels(g, channels, height, width, absoluteFirst: true);
            return InputHeatmaps.Create("input gradient", (int)targets[n], sourceIndices?[n], batch.narrow(0, n, 1), normalization, g, raw, [], display, 100, 0);
        }).ToArray();
    }

    /// <summary>Grad-CAM of <paramref name="targetClass"/> (default: the predicted class) for image <paramref name="index"/>; the model must be a <see cref="ResNet"/>.</summary>
    public InputHeatmap GradCam(ImageDataset data, int index, int? targetClass = null) =>
        GradCam(data.Images[index], data.Normalization, targetClass, index);

    /// <summary>Grad-CAM for one model-ready image [C, H, W]: ReLU(Σ_k α_k A_k), α_k the spatial mean of ∂f_c/∂A_k, A = layer4's output.</summary>
    public InputHeatmap GradCam(Tensor input, Normalization normalization, int? targetClass = null, int? sourceIndex = null)
    {
        using var scope = NewDisposeScope();
        return GradCams(Prepare(input), normalization, targetClass is int c ? [c] : null, [sourceIndex])[0];
    }

    /// <summary>Grad-CAM of model-ready images [N, C, H, W], each for its own target class (default: its predicted class), from one backward pass.</summary>
    public IReadOnlyList<InputHeatmap> GradCams(Tensor images, Normalization normalization, int[]? targetClasses = null, int?[]? sourceIndices = null)
    {
        if (model is not ResNet resnet) throw new NotSupportedException("Grad-CAM needs the last convolutional stage: it is implemented for ParameterSaliency.Models.ResNet.");
        using var scope = NewDisposeScope();
        var batch = PrepareBatch(images, targetClasses, sourceIndices);
        using var mode = new Runtime.EvalMode(model);
        var features = resnet.Features(batch.detach());
        var logits = resnet.Classify(features);
        long[] targets = TargetClasses(logits, targetClasses);
        var gradient = autograd.grad([logits.gather(1, tensor(targets, device: logits.device).unsqueeze(1)).sum()], [features])[0];
        var weights = gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu((weights * features).sum(1, keepdim: true)).detach();
        int height = (int)batch.shape[2], width = (int)batch.shape[3];
        var upsampled = nn.functional.interpolate(cam, [height, width], mode: InterpolationMode.Bilinear, align_corners: false).to(ScalarType.Float32).cpu();
        return Enumerable.Range(0, targets.Length).Select(n =>
            InputHeatmaps.Create("Grad-CAM", (int)targets[n], sourceIndices?[n], batch.narrow(0, n, 1), normalization, [], upsampled[n].reshape(-1).data<float>().ToArray(), [], display, 100, 0)).ToArray();
    }

    Tensor Prepare(Tensor input)
    {
        Runtime.GradientMode.EnsureEnabled("An input-gradient or Grad-CAM map");
        return inputs.Single(input, label: 0).Batch;
    }

    Tensor PrepareBatch(Tensor images, int[]? targetClasses, int?[]? sourceIndices)
    {
        Runtime.GradientMode.EnsureEnabled("An input-gradient or Grad-CAM map");
        if (images.dim() != 4) throw new ArgumentException($"Images must be a [N, C, H, W] batch; got shape [{string.Join(", ", images.shape)}].", nameof(images));
        if (targetClasses is not null && targetClasses.Length != images.shape[0])
            throw new ArgumentException($"{targetClasses.Length} target classes for {images.shape[0]} images.", nameof(targetClasses));
        if (sourceIndices is not null && sourceIndices.Length != images.shape[0])
            throw new ArgumentException($"{sourceIndices.Length} source indices for {images.shape[0]} images.", nameof(sourceIndices));
        inputs.Validate(images, zeros(images.shape[0], dtype: ScalarType.Int64));
        return images.to(inputs.DType).to(inputs.Device);
    }

    long[] TargetClasses(Tensor logits, int[]? targetClasses)
    {
        long classes = logits.shape[1];
        if (targetClasses is null) return logits.argmax(1).cpu().data<long>().ToArray();
        foreach (int c in targetClasses)
            if (c < 0 || c >= classes) throw new ArgumentOutOfRangeException(nameof(targetClasses), c, $"The model has classes [0, {classes}).");
        return targetClasses.Select(c => (long)c).ToArray();
    }
}
