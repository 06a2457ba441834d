using System.Security.Cryptography;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Data;

/// <summary>Which half of a data set.</summary>
public enum DataSplit
{
    /// <summary>60,000 training images (Fashion-MNIST).</summary>
    Train,
    /// <summary>10,000 test images (Fashion-MNIST), committed under data/fashion-mnist.</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 28x28 grayscale, 10 classes. Files are
/// looked up in <c>$FASHION_MNIST_DIR</c>, <c>data/fashion-mnist</c>, Debian's
/// <c>/usr/share/datasets/fashion-mnist</c>, and otherwise downloaded from the official
/// location; every file is verified by the SHA-256 of its decompressed content.
/// </summary>
public static class FashionMnist
{
    /// <summary>Class names indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The official download location.</summary>
    public const string OfficialLocation = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Debian's package dataset-fashion-mnist installs the files here.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>SHA-256 of each file's decompressed IDX content.</summary>
    internal static readonly IReadOnlyDictionary<string, string> ContentSha256 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ["train-labels-idx1-ubyte.gz"] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ["t10k-images-idx3-ubyte.gz"] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ["t10k-labels-idx1-ubyte.gz"] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    };

    /// <summary>Loads a split as model-ready tensors: pixel/255, then (x - 0.2860) / 0.3530.</summary>
    /// <param name="split">Train (60,000 images) or Test (10,000).</param>
    /// <param name="folder">Folder searched first and the download target; null for <c>$FASHION_MNIST_DIR</c>, <see cref="SearchFolders"/>, Debian's folder and the user cache.</param>
    public static ImageDataset Load(DataSplit split, string? folder = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        string prefix = split == DataSplit.Train ? "train" : "t10k";
        string imagesPath = Locate($"{prefix}-images-idx3-ubyte.gz", folder);
        string labelsPath = Locate($"{prefix}-labels-idx1-ubyte.gz", folder);
        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidDataException($"'{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels.");
        using var scope = NewDisposeScope();
        var unit = tensor(images.Pixels, ScalarType.Byte).reshape(images.Count, 1, images.Rows, images.Columns).to_type(ScalarType.Float32).div_(ByteRange);
        var inputs = Normalization.FashionMnist.Apply(unit).MoveToOuterDisposeScope();
        var targets = tensor(labels, ScalarType.Byte).to_type(ScalarType.Int64).MoveToOuterDisposeScope();
        return new ImageDataset($"fashion-mnist:{split.ToString().ToLowerInvariant()}", inputs, targets, ClassNames, Normalization.FashionMnist);
    }

    /// <summary>
    /// Folders searched after <c>$FASHION_MNIST_DIR</c> and before Debian's package folder; a program adds its own
    /// (this repository's programs add its <c>data/fashion-mnist</c>). Empty by default: the library assumes no layout.
    /// </summary>
    public static IList<string> SearchFolders { get; } = new List<string>();

    /// <summary>
    /// Finds a verified copy of <paramref name="fileName"/>: in <paramref name="folder"/>, <c>$FASHION_MNIST_DIR</c>,
    /// <see cref="SearchFolders"/>, Debian's package folder, the user cache; else downloads it into
    /// <paramref name="folder"/> (or the first search folder, or the user cache).
    /// </summary>
    /// <param name="fileName">One of the four official file names, e.g. <c>t10k-images-idx3-ubyte.gz</c>.</param>
    /// <param name="folder">Folder searched first and, when given, where a download is written; null for the default search.</param>
    public static string Locate(string fileName, string? folder = null)
    {
        var tried = new List<string>();
        var candidates = new List<string>();
        if (folder is not null) candidates.Add(folder);
        string? configured = Environment.GetEnvironmentVariable("FASHION_MNIST_DIR");
        if (!string.IsNullOrEmpty(configured)) candidates.Add(configured);
        lock (SearchFolders) candidates.AddRange(SearchFolders);
        candidates.Add(DebianFolder);
        string cached = Path.Combine(Serialization.UserCache.Folder, "fashion-mnist");
        candidates.Add(cached);
        foreach (string candidate in candidates)
        {
            string path = Path.Combine(candidate, fileName);
            tried.Add(path);
            if (File.Exists(path)) return Verified(path, fileName);
        }
        string target;
        lock (SearchFolders) target = folder ?? SearchFolders.FirstOrDefault() ?? cached;
        return Download(fileName, target, tried);
    }

    static string Verified(string path, string fileName)
    {
        string actual = Convert.ToHexStringLower(SHA256.HashData(IdxFile.ReadContent(path)));
        if (actual != ContentSha256[fileName])
            throw new InvalidDataException(
                $"'{path}' does not match the known Fashion-MNIST checksum (content SHA-256 {actual}, expected {ContentSha256[fileName]}). " +
                "Delete it and fetch the file again.");
        return path;
    }

    static string Download(string fileName, string folder, List<string> tried)
    {
        string target = Path.Combine(folder, fileName);
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            Runtime.Notices.Writer.WriteLine($"Downloading {OfficialLocation}{fileName} ...");
            byte[] bytes = client.GetByteArrayAsync(OfficialLocation + fileName).GetAwaiter().GetResult();
            Serialization.AtomicFile.Write(target, stream => stream.Write(bytes));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            throw new FileNotFoundException(
                $"Fashion-MNIST file '{fileName}' was not found (looked in: {string.Join(", ", tried)}) and could not be downloaded " +
                $"from {OfficialLocation} ({e.Message}). Install Debian's package (apt-get install dataset-fashion-mnist), " +
                $"or put the file in {folder}, or set FASHION_MNIST_DIR to a folder that holds it.", fileName, e);
        }
        try { return Verified(target, fileName); }
        catch (InvalidDataException) { File.Delete(target); throw; }
    }
}
