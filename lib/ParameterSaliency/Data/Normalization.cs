using static TorchSharp.torch;

namespace ParameterSaliency.Data;

/// <summary>Per-channel input normalisation x' = (x/255 - mean) / std, as the model was trained with.</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>Fashion-MNIST: mean 0.2860, std 0.3530 over the train split.</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Length;

    /// <summary>Turns pixels in [0, 1], [N, C, H, W], into model inputs.</summary>
    public Tensor Apply(Tensor unitPixels)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(unitPixels.device);
        return ((unitPixels - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>Turns model inputs back into pixels in [0, 1].</summary>
    public Tensor Invert(Tensor modelInputs)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(modelInputs.device);
        return (modelInputs * std + mean).clamp(0, 1).MoveToOuterDisposeScope();
    }

    (Tensor Mean, Tensor Std) Shaped(Device device) =>
        (tensor(Mean, device: device).reshape(1, Channels, 1, 1), tensor(Std, device: device).reshape(1, Channels, 1, 1));
}
