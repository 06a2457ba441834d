using static TorchSharp.torch;

namespace ParameterSaliency.Data;

/// <summary>
/// Labelled images ready for a model: <see cref="Images"/> [N, C, H, W] float32 already
/// normalised, <see cref="Labels"/> int64 [N], on the CPU. Validated on construction: no NaN or
/// infinite pixel, every label in [0, classes).
/// </summary>
public sealed class ImageDataset : IDisposable, IImageSource
{
    /// <summary>Creates a data set, taking ownership of both tensors.</summary>
    /// <param name="name">A name such as <c>fashion-mnist:test</c>, used in messages.</param>
    /// <param name="images">Model-ready images x [N, C, H, W], float32, normalised, finite; the data set owns the tensor.</param>
    /// <param name="labels">True labels y [N], each in [0, classes); converted to int64 if of another type.</param>
    /// <param name="classNames">Class names indexed by label; their count bounds the labels.</param>
    /// <param name="normalization">How the images were normalised; its channel count must equal C.</param>
    public ImageDataset(string name, Tensor images, Tensor labels, IReadOnlyList<string> classNames, Normalization normalization)
    {
        if (images.dim() != 4) throw new ArgumentException($"{name}: images must be [N, C, H, W]; got shape [{string.Join(", ", images.shape)}].");
        if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{name}: labels must be [N] with N = {images.shape[0]}; got shape [{string.Join(", ", labels.shape)}].");
        if (images.shape[1] != normalization.Channels)
            throw new ArgumentException($"{name}: images have {images.shape[1]} channels but the normalisation has {normalization.Channels}.");
        if (images.dtype != ScalarType.Float32) throw new ArgumentException($"{name}: images must be float32, got {images.dtype}.");
        if (images.numel() > 0 && !isfinite(images).all().item<bool>()) throw new ArgumentException($"{name}: images contain NaN or infinite values.");
        // The data set owns its tensors: they must outlive any dispose scope of the caller.
        Labels = (labels.dtype == ScalarType.Int64 ? labels : labels.to_type(ScalarType.Int64)).DetachFromDisposeScope();
        images.DetachFromDisposeScope();
        int[] labelArray = Labels.data<long>().Select(l => (int)l).ToArray();
        int bad = Array.FindIndex(labelArray, l => l < 0 || l >= classNames.Count);
        if (bad >= 0) throw new ArgumentException($"{name}: label {labelArray[bad]} at index {bad} is outside [0, {classNames.Count}).");
        LabelArray = labelArray;
        Name = name;
        Images = images;
        ClassNames = classNames;
        Normalization = normalization;
    }

    /// <summary>A name such as <c>fashion-mnist:test</c>.</summary>
    public string Name { get; }

    /// <summary>Model-ready inputs [N, C, H, W], float32, normalised.</summary>
    public Tensor Images { get; }

    /// <summary>True labels y [N], int64.</summary>
    public Tensor Labels { get; }

    /// <summary>True labels as integers.</summary>
    public IReadOnlyList<int> LabelArray { get; }

    /// <summary>Class names indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>How pixels were normalised; <see cref="Normalization.Invert"/> recovers them for display.</summary>
    public Normalization Normalization { get; }

    /// <summary>Number of images N.</summary>
    public int Count => LabelArray.Count;

    /// <summary>Channels C, height H and width W of every image.</summary>
    public (int Channels, int Height, int Width) ImageShape => ((int)Images.shape[1], (int)Images.shape[2], (int)Images.shape[3]);

    /// <summary>The images at <paramref name="indices"/>, as a new data set (copies).</summary>
    /// <param name="indices">Zero-based image positions in [0, N), in the order wanted.</param>
    /// <param name="name">Name of the new data set; null for <c>NAME[k images]</c>.</param>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        int bad = indices.ToList().FindIndex(i => i < 0 || i >= Count);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(indices), $"{Name}: index {indices[bad]} is outside [0, {Count}).");
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        return new ImageDataset(name ?? $"{Name}[{indices.Count} images]", Images.index_select(0, index), Labels.index_select(0, index), ClassNames, Normalization);
    }

    /// <summary>A fingerprint of every image and label (<see cref="IImageSource.Identity"/>).</summary>
    public string Identity => Saliency.Fingerprints.Data(Images, Labels).ToString();

    /// <summary>The images at <paramref name="indices"/> (copies; <see cref="IImageSource"/>).</summary>
    /// <param name="indices">Zero-based image positions in [0, N), in the order wanted.</param>
    public ImageDataset Read(IReadOnlyList<int> indices) => Subset(indices);

    /// <summary>Pixels in [0, 1] of image <paramref name="index"/>, [C, H, W], for display.</summary>
    /// <param name="index">Zero-based position of the image in the data set.</param>
    public Tensor Pixels(int index)
    {
        using var scope = NewDisposeScope();
        return Normalization.Invert(Images[index].unsqueeze(0)).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} images of {ImageShape}, {ClassNames.Count} classes";
}
