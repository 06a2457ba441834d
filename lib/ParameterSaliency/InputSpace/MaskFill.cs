using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>What replaces the masked pixels (SPEC §3, masking).</summary>
public enum MaskFill
{
    /// <summary>Pixel value 0 (black; the Fashion-MNIST background).</summary>
    Black,
    /// <summary>The data set's mean pixel (0 in normalised units).</summary>
    DatasetMean,
    /// <summary>The image blurred with a Gaussian of σ = 2 pixels.</summary>
    Blur,
}

/// <summary>Replaces or copies the pixels of a <see cref="RegionMask"/> in model-ready images; every pixel outside the region is left bit-identical.</summary>
public static class RegionEdits
{
    /// <summary>A copy of <paramref name="input"/> [C, H, W] (model-ready) with the region filled by <paramref name="fill"/>.</summary>
    /// <param name="input">Model-ready image x [C, H, W].</param>
    /// <param name="region">Pixels to fill, [H, W] matching the image.</param>
    /// <param name="fill">What replaces them: black, the data set mean (0 in normalised units) or the image blurred with σ = 2.</param>
    /// <param name="normalization">Normalisation of <paramref name="input"/>, used to express black (pixel 0) in model units.</param>
    public static Tensor Mask(Tensor input, RegionMask region, MaskFill fill, Normalization normalization)
    {
        Check(input, region);
        using var scope = NewDisposeScope();
        int channels = (int)input.shape[0];
        var replacement = fill switch
        {
            MaskFill.Black => tensor(normalization.Mean.Zip(normalization.Std, (m, s) => -m / s).ToArray(), input.dtype, input.device).reshape(channels, 1, 1).expand_as(input),
            MaskFill.DatasetMean => zeros_like(input),
            _ => Blurred(input, sigma: 2.0),
        };
        return where(MaskTensor(region, input), replacement, input).MoveToOuterDisposeScope();
    }

    /// <summary>A copy of <paramref name="target"/> [C, H, W] whose region holds <paramref name="source"/>'s pixels (paper §3.1, pasting).</summary>
    /// <param name="source">Model-ready image [C, H, W] whose region pixels are copied.</param>
    /// <param name="target">Model-ready image of the same shape that receives them; its dtype and device are kept.</param>
    /// <param name="region">Pixels to copy, [H, W] matching both images.</param>
    public static Tensor Paste(Tensor source, Tensor target, RegionMask region)
    {
        Check(source, region);
        Check(target, region);
        if (!source.shape.SequenceEqual(target.shape)) throw new ArgumentException($"Source [{string.Join(", ", source.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape.");
        using var scope = NewDisposeScope();
        return where(MaskTensor(region, target), source.to(target.dtype).to(target.device), target).MoveToOuterDisposeScope();
    }

    static Tensor MaskTensor(RegionMask region, Tensor like) =>
        tensor(region.Pixels.ToArray(), device: like.device).reshape(1, region.Height, region.Width).expand_as(like);

    static Tensor Blurred(Tensor input, double sigma)
    {
        int radius = (int)Math.Ceiling(2 * sigma);
        var weights = Enumerable.Range(-radius, 2 * radius + 1).Select(d => Math.Exp(-d * d / (2 * sigma * sigma))).ToArray();
        double total = weights.Sum();
        var kernel1d = tensor(weights.Select(w => w / total).ToArray(), input.dtype, input.device);
        var kernel = outer(kernel1d, kernel1d).reshape(1, 1, 2 * radius + 1, 2 * radius + 1);
        var planes = input.unsqueeze(1); // [C, 1, H, W]: each channel alone
        var padded = nn.functional.pad(planes, [radius, radius, radius, radius], TorchSharp.PaddingModes.Replicate);
        return nn.functional.conv2d(padded, kernel).squeeze(1);
    }

    static void Check(Tensor input, RegionMask region)
    {
        if (input.dim() != 3 || input.shape[1] != region.Height || input.shape[2] != region.Width)
            throw new ArgumentException($"Expected an image [C, {region.Height}, {region.Width}] for this mask; got [{string.Join(", ", input.shape)}].");
    }
}
