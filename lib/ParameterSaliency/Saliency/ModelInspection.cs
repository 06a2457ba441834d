using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>What inputs a model accepts, read from its layers, so bad inputs are refused before libtorch sees them.</summary>
/// <param name="Channels">Input channels C the first layer takes.</param>
/// <param name="Classes">Logits of the classifier, when known.</param>
/// <param name="Device">Where the model's parameters are.</param>
/// <param name="DType">The model's precision.</param>
/// <param name="Features">For a model that flattens its input (<see cref="Models.Mlp"/>): the C·H·W it takes; null otherwise.</param>
internal sealed record ModelInputs(long Channels, long? Classes, Device Device, ScalarType DType, long? Features = null)
{
    public static ModelInputs Of(nn.Module<Tensor, Tensor> model)
    {
        var modules = model.named_modules().Select(m => m.module).ToArray();
        if (model is Models.Mlp mlp)
        {
            var first = mlp.parameters().First();
            return new ModelInputs(mlp.InChannels, modules.OfType<Linear>().Last().out_features, first.device, first.dtype, mlp.InFeatures);
        }
        // The first 4-D parameter is the first convolution's weight [out, in/groups, kh, kw], whether a Conv2d owns it or the user's own module.
        var stem = model.parameters().FirstOrDefault(p => p.dim() == 4)
            ?? throw new ArgumentException("The model has no convolution (no Conv2d layer, no other 4-D parameter), so its input channels are unknown: build models without convolutions as ParameterSaliency.Models.Mlp.");
        var stemConv = modules.OfType<Conv2d>().FirstOrDefault(c => c.weight is not null && c.weight.Handle == stem.Handle);
        long channels = stemConv?.in_channels ?? stem.shape[1];
        long? classes = model is Models.ResNet resnet ? resnet.Config.NumClasses : modules.OfType<Linear>().LastOrDefault()?.out_features;
        return new ModelInputs(channels, classes, stem.device, stem.dtype);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem with <paramref name="images"/> or <paramref name="labels"/>.</summary>
    public void Validate(Tensor images, Tensor labels)
    {
        if (images.dim() != 4) throw new ArgumentException($"Images must be [N, C, H, W]; got shape [{string.Join(", ", images.shape)}].");
        if (images.shape[0] == 0) throw new ArgumentException("No images: the batch is empty.");
        if (images.shape[1] != Channels) throw new ArgumentException($"Images have {images.shape[1]} channels but the model's first convolution expects {Channels}.");
        if (Features is long features && images.shape[1] * images.shape[2] * images.shape[3] != features)
            throw new ArgumentException($"The model takes {features} input features; images [{string.Join(", ", images.shape)}] have {images.shape[1] * images.shape[2] * images.shape[3]}.");
        if (!images.is_floating_point()) throw new ArgumentException($"Images must be floating point; got {images.dtype}.");
        if (!isfinite(images).all().item<bool>()) throw new ArgumentException("Images contain NaN or infinite values.");
        if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"Labels must be [N] with N = {images.shape[0]}; got shape [{string.Join(", ", labels.shape)}].");
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool) throw new ArgumentException($"Labels must be integers; got {labels.dtype}.");
        long low = labels.min().item<long>(), high = labels.max().item<long>();
        if (low < 0 || (Classes is long classes && high >= classes))
            throw new ArgumentException($"Labels must lie in [0, {Classes}); got values from {low} to {high}.");
    }

    /// <summary>Validates one image [C, H, W] and its label and returns them as a batch of one on the model's device and precision.</summary>
    public (Tensor Batch, Tensor Labels) Single(Tensor input, int label)
    {
        if (input.dim() != 3) throw new ArgumentException($"An image must be [C, H, W]; got shape [{string.Join(", ", input.shape)}].");
        var batch = input.unsqueeze(0);
        var labels = tensor(new long[] { label });
        Validate(batch, labels);
        return (batch.to(DType).to(Device), labels.to(Device));
    }
}
