using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Data;

/// <summary>Per-channel input normalisation x' = (x/255 - mean) / std, as the model was trained with.</summary>
/// <param name="Mean">Per-channel mean of pixels in [0, 1], one entry per channel C.</param>
/// <param name="Std">Per-channel standard deviation, one entry per channel C.</param>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>Fashion-MNIST: mean 0.2860, std 0.3530 over the train split.</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>ImageNet (torchvision's pretrained weights): mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225.</summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>CIFAR-10: mean 0.4914, 0.4822, 0.4465; std 0.2470, 0.2435, 0.2616 over the train split.</summary>
    public static Normalization Cifar10 { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>A named preset: <c>imagenet</c>, <c>cifar10</c> or <c>fashion-mnist</c>.</summary>
    /// <param name="name"><c>imagenet</c>, <c>cifar10</c> or <c>fashion-mnist</c> (case-insensitive).</param>
    public static Normalization Preset(string name) => name.ToLowerInvariant() switch
    {
        "imagenet" => ImageNet,
        "cifar10" => Cifar10,
        "fashion-mnist" => FashionMnist,
        _ => throw new ArgumentException($"Unknown normalisation '{name}': imagenet, cifar10 or fashion-mnist (or give --mean and --std)."),
    };

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Length;

    /// <summary>Turns pixels in [0, 1], [N, C, H, W], into model inputs.</summary>
    /// <param name="unitPixels">Pixels in [0, 1], [N, C, H, W], with C = <see cref="Channels"/>.</param>
    public Tensor Apply(Tensor unitPixels)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(unitPixels.device);
        return ((unitPixels - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>Turns model inputs back into pixels in [0, 1].</summary>
    /// <param name="modelInputs">Normalised model inputs [N, C, H, W]; the result is clamped to [0, 1].</param>
    public Tensor Invert(Tensor modelInputs)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(modelInputs.device);
        return (modelInputs * std + mean).clamp(Zero, One).MoveToOuterDisposeScope();
    }

    (Tensor Mean, Tensor Std) Shaped(Device device) =>
        (tensor(Mean, device: device).reshape(1, Channels, 1, 1), tensor(Std, device: device).reshape(1, Channels, 1, 1));
}
