using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Experiments;

/// <summary>
/// A planted cue with known ground truth: a <see cref="Size"/>×<see cref="Size"/> checkerboard marker
/// (pixel 1 where row + column is even, 0 elsewhere) stamped at rows <see cref="Top"/>.. and columns
/// <see cref="Left"/>.. of the image. In the derived training set it is stamped on
/// <see cref="CueClassShare"/> of the images of <see cref="CueClass"/> and on <see cref="OtherShare"/>
/// of the other images (chosen with <see cref="Seed"/>), after augmentation, so it always sits at the
/// same place. A model trained on it learns the marker as a shortcut for the cue class.
/// </summary>
public sealed record PlantedCue
{
    /// <summary>The class the marker stands for (default 6, Fashion-MNIST "Shirt").</summary>
    public int CueClass { get; init; } = 6;
    /// <summary>First row of the marker box.</summary>
    public int Top { get; init; } = 1;
    /// <summary>First column of the marker box.</summary>
    public int Left { get; init; } = 23;
    /// <summary>Side of the square marker in pixels.</summary>
    public int Size { get; init; } = 4;
    /// <summary>Share of training images of the cue class that carry the marker.</summary>
    public double CueClassShare { get; init; } = 0.8;
    /// <summary>Share of training images of the other classes that carry the marker.</summary>
    public double OtherShare { get; init; } = 0.01;
    /// <summary>Seed of the choice of stamped training images.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>The default planted cue of the case study.</summary>
    public static PlantedCue Default { get; } = new();

    /// <summary>A one-line description for file metadata and reports.</summary>
    public string Description =>
        $"{Size}x{Size} checkerboard at rows {Top}-{Top + Size - 1}, columns {Left}-{Left + Size - 1}; " +
        $"on {CueClassShare:P0} of class {CueClass} and {OtherShare:P0} of other training images (seed {Seed})";

    /// <summary>True for the pixels of an [H, W] image inside the marker box.</summary>
    /// <param name="height">Image height H in pixels.</param>
    /// <param name="width">Image width W in pixels.</param>
    public bool[,] BoxMask(int height, int width)
    {
        Validate(height, width);
        var mask = new bool[height, width];
        for (int r = Top; r < Top + Size; r++)
            for (int c = Left; c < Left + Size; c++) mask[r, c] = true;
        return mask;
    }

    /// <summary>Returns a copy of normalised images [N, C, H, W] with the marker stamped on every image.</summary>
    /// <param name="modelInputs">Normalised images [N, C, H, W]; left unchanged.</param>
    /// <param name="normalization">Normalisation of the images, applied to the marker's 0/1 pixels so they match the inputs.</param>
    public Tensor Stamp(Tensor modelInputs, Normalization normalization)
    {
        if (modelInputs.dim() != 4) throw new ArgumentException($"Images must be [N, C, H, W]; got [{string.Join(", ", modelInputs.shape)}].");
        Validate((int)modelInputs.shape[2], (int)modelInputs.shape[3]);
        using var scope = NewDisposeScope();
        long channels = modelInputs.shape[1];
        var pattern = new float[Size * Size];
        for (int r = 0; r < Size; r++)
            for (int c = 0; c < Size; c++) pattern[r * Size + c] = (r + c) % 2 == 0 ? 1f : 0f;
        var marker = normalization.Apply(tensor(pattern, device: modelInputs.device).reshape(1, 1, Size, Size).expand(1, channels, Size, Size).contiguous());
        var stamped = modelInputs.clone();
        stamped.narrow(2, Top, Size).narrow(3, Left, Size).copy_(marker.expand(modelInputs.shape[0], channels, Size, Size));
        return stamped.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The images the marker turns into <see cref="CueClass"/>: predicted so stamped and not so unstamped. Every stamped image
    /// is classified; unstamped, only those the stamp sends to the cue class, since no other can have been turned.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="unstamped">Images [N, C, H, W] as they are.</param>
    /// <param name="stamped">The same images with the marker (<see cref="Stamp"/>).</param>
    /// <returns>The positions turned, ascending, and each image's unstamped prediction (-1 where it was not needed).</returns>
    internal (int[] Turned, int[] Unstamped) Turned(nn.Module<Tensor, Tensor> model, Tensor unstamped, Tensor stamped)
    {
        int[] after = Evaluation.Evaluator.Predict(model, stamped).Predictions;
        int[] inCueClass = Enumerable.Range(0, after.Length).Where(i => after[i] == CueClass).ToArray();
        var before = Enumerable.Repeat(-1, after.Length).ToArray();
        if (inCueClass.Length > 0)
        {
            using var rows = tensor(inCueClass.Select(i => (long)i).ToArray());
            using var unstampedInCueClass = unstamped.index_select(0, rows);
            int[] predicted = Evaluation.Evaluator.Predict(model, unstampedInCueClass).Predictions;
            for (int k = 0; k < inCueClass.Length; k++) before[inCueClass[k]] = predicted[k];
        }
        return (inCueClass.Where(i => before[i] != CueClass).ToArray(), before);
    }

    /// <summary>Which training images carry the marker: a seeded draw per class share.</summary>
    /// <param name="labels">Class label y of every training image, in data-set order.</param>
    public bool[] ChooseStamped(IReadOnlyList<int> labels)
    {
        if (CueClassShare is < 0 or > 1 || OtherShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(CueClassShare), "Shares must lie in [0, 1].");
        var random = new Random(Seed);
        return labels.Select(label => random.NextDouble() < (label == CueClass ? CueClassShare : OtherShare)).ToArray();
    }

    /// <summary>
    /// The training hook: stamps the chosen images of each batch after augmentation, so the marker
    /// never moves. <paramref name="stamped"/> comes from <see cref="ChooseStamped"/>.
    /// </summary>
    /// <param name="stamped">Per training image (by data-set index), whether it carries the marker.</param>
    /// <param name="normalization">Normalisation of the training inputs, applied to the marker.</param>
    public Func<Tensor, long[], Tensor> TrainingTransform(bool[] stamped, Normalization normalization) => (inputs, indices) =>
    {
        long[] rows = Enumerable.Range(0, indices.Length).Where(i => stamped[indices[i]]).Select(i => (long)i).ToArray();
        if (rows.Length == 0) return inputs;
        using var scope = NewDisposeScope();
        var index = tensor(rows, device: inputs.device);
        var result = inputs.index_copy(0, index, Stamp(inputs.index_select(0, index), normalization));
        return result.MoveToOuterDisposeScope();
    };

    void Validate(int height, int width)
    {
        if (Size < 1 || Top < 0 || Left < 0 || Top + Size > height || Left + Size > width)
            throw new ArgumentOutOfRangeException(nameof(Size), $"The marker box rows {Top}..{Top + Size - 1}, columns {Left}..{Left + Size - 1} does not fit a {height}x{width} image.");
    }
}
