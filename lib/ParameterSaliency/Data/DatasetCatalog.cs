namespace ParameterSaliency.Data;

/// <summary>
/// Resolves data-set names used by the command line and notebooks: <c>fashion-mnist:test</c>,
/// <c>fashion-mnist:train</c>, <c>cifar10:test</c>, <c>cifar10:train</c> and <c>folder:PATH</c> (torchvision's
/// ImageFolder layout, see <see cref="ImageFolder"/>).
/// </summary>
public static class DatasetCatalog
{
    /// <summary>The names <see cref="Load"/> accepts (PATH: any image folder).</summary>
    public static IReadOnlyList<string> Names { get; } = ["fashion-mnist:test", "fashion-mnist:train", "cifar10:test", "cifar10:train", "folder:PATH"];

    /// <summary>
    /// Loads the named data set. <paramref name="options"/> apply to image folders (resize, crop, skip bad files)
    /// and give CIFAR-10 and image folders the model's normalisation; Fashion-MNIST keeps its own.
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>, case-insensitive; <c>fashion-mnist</c> and <c>cifar10</c> alone mean the test split.</param>
    /// <param name="options">Preprocessing of an image folder (null: no resize or crop, ImageNet normalisation); for CIFAR-10 only its normalisation is used (null: CIFAR-10's); ignored for Fashion-MNIST.</param>
    /// <param name="progress">Receives (images done, total) while an image folder loads; null for none, unused by the other data sets.</param>
    public static ImageDataset Load(string name, ImageFolderOptions? options = null, IProgress<(int Done, int Total)>? progress = null)
    {
        if (FolderPath(name) is { } path)
        {
            var folder = ImageFolder.Scan(path);
            var data = folder.Load(options ?? new ImageFolderOptions(), progress);
            foreach (var skipped in folder.Skipped) Runtime.Notices.Writer.WriteLine($"skipped {skipped.Path}: {skipped.Reason}");
            return data;
        }
        return name.Trim().ToLowerInvariant() switch
        {
            "fashion-mnist:test" or "fashion-mnist" => FashionMnist.Load(DataSplit.Test),
            "fashion-mnist:train" => FashionMnist.Load(DataSplit.Train),
            "cifar10:test" or "cifar10" => Cifar10.Load(DataSplit.Test, normalization: options?.Normalization),
            "cifar10:train" => Cifar10.Load(DataSplit.Train, normalization: options?.Normalization),
            _ => throw new ArgumentException($"Unknown data set '{name}'. Known: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// The named data set as a source a pass reads chunk by chunk: an image folder is only scanned here and decoded as the
    /// pass goes (<see cref="ImageFolderSource"/>); other data sets are loaded (<see cref="Load"/>).
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>; <c>folder:PATH</c> gives an <see cref="ImageFolderSource"/>.</param>
    /// <param name="options">Preprocessing of an image folder (null: no resize or crop, ImageNet normalisation), or CIFAR-10's normalisation, as for <see cref="Load"/>.</param>
    /// <param name="progress">Handed to <see cref="Load"/> when the data set is loaded rather than read from a folder; a folder source does not use it.</param>
    public static IImageSource Source(string name, ImageFolderOptions? options = null, IProgress<(int Done, int Total)>? progress = null) =>
        FolderPath(name) is { } path ? new ImageFolderSource(ImageFolder.Scan(path), options ?? new ImageFolderOptions()) : Load(name, options, progress);

    /// <summary>PATH of a <c>folder:PATH</c> name, or null for any other name.</summary>
    static string? FolderPath(string name)
    {
        string trimmed = name.Trim();
        if (!trimmed.StartsWith("folder:", StringComparison.OrdinalIgnoreCase)) return null;
        string path = trimmed["folder:".Length..];
        return path.Length > 0 ? path : throw new ArgumentException("folder: needs a path, e.g. folder:images/val.");
    }
}
