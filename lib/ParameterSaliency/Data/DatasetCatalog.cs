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
    public static ImageDataset Load(string name, ImageFolderOptions? options = null, IProgress<(int Done, int Total)>? progress = null)
    {
        string trimmed = name.Trim();
        if (trimmed.StartsWith("folder:", StringComparison.OrdinalIgnoreCase))
        {
            string path = trimmed["folder:".Length..];
            if (path.Length == 0) throw new ArgumentException("folder: needs a path, e.g. folder:images/val.");
            var folderOptions = options ?? new ImageFolderOptions();
            var folder = ImageFolder.Scan(path);
            var data = folder.Load(folderOptions, progress);
            foreach (var skipped in folder.Skipped) Runtime.Notices.Writer.WriteLine($"skipped {skipped.Path}: {skipped.Reason}");
            return data;
        }
        return trimmed.ToLowerInvariant() switch
        {
            "fashion-mnist:test" or "fashion-mnist" => FashionMnist.Load(DataSplit.Test),
            "fashion-mnist:train" => FashionMnist.Load(DataSplit.Train),
            "cifar10:test" or "cifar10" => Cifar10.Load(DataSplit.Test, normalization: options?.Normalization),
            "cifar10:train" => Cifar10.Load(DataSplit.Train, normalization: options?.Normalization),
            _ => throw new ArgumentException($"Unknown data set '{name}'. Known: {string.Join(", ", Names)}."),
        };
    }
}
