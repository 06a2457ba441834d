using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>Checks a batch of model-ready images and its target classes in C# before libtorch sees them (shared by the gradient baselines).</summary>
internal static class TargetedBatch
{
    /// <summary>A single image [C, H, W] as a batch of one, checked against the model.</summary>
    public static Tensor Single(ModelInputs inputs, Tensor input, string what)
    {
        Runtime.GradientMode.EnsureEnabled(what);
        return inputs.Single(input, label: 0).Batch;
    }

    /// <summary>Images [N, C, H, W] on the model's device and precision, with target classes and source indices of matching length.</summary>
    public static Tensor Prepare(ModelInputs inputs, Tensor images, int[]? targetClasses, int?[]? sourceIndices, string what)
    {
        Runtime.GradientMode.EnsureEnabled(what);
        if (images.dim() != 4) throw new ArgumentException($"Images must be a [N, C, H, W] batch; got shape [{string.Join(", ", images.shape)}].", nameof(images));
        if (targetClasses is not null && targetClasses.Length != images.shape[0])
            throw new ArgumentException($"{targetClasses.Length} target classes for {images.shape[0]} images.", nameof(targetClasses));
        if (sourceIndices is not null && sourceIndices.Length != images.shape[0])
            throw new ArgumentException($"{sourceIndices.Length} source indices for {images.shape[0]} images.", nameof(sourceIndices));
        inputs.Validate(images, zeros(images.shape[0], dtype: ScalarType.Int64));
        return images.to(inputs.DType).to(inputs.Device);
    }

    /// <summary>The given target classes, checked against the logits' class count, or the predicted classes.</summary>
    public static long[] Targets(Tensor logits, int[]? targetClasses)
    {
        long classes = logits.shape[1];
        if (targetClasses is null) return logits.argmax(1).cpu().data<long>().ToArray();
        foreach (int c in targetClasses)
            if (c < 0 || c >= classes) throw new ArgumentOutOfRangeException(nameof(targetClasses), c, $"The model has classes [0, {classes}).");
        return targetClasses.Select(c => (long)c).ToArray();
    }

    /// <summary>Σ_n f_{t_n}(x_n): its gradient holds each image's own ∂f_t/∂·, since in eval mode logit n depends on image n alone.</summary>
    public static Tensor TargetLogitSum(Tensor logits, long[] targets) =>
        logits.gather(1, tensor(targets, device: logits.device).unsqueeze(1)).sum();

    /// <summary>Checks <paramref name="index"/> against <paramref name="data"/>.</summary>
    public static void CheckIndex(Data.ImageDataset data, int index)
    {
        if (index < 0 || index >= data.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{data.Name} has images [0, {data.Count}).");
    }
}
