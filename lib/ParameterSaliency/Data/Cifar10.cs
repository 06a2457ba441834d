using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Data;

/// <summary>
/// CIFAR-10 (Krizhevsky, 2009) in its official binary version: 32x32 RGB, 10 classes, files
/// <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c> (train, 50,000) and <c>test_batch.bin</c> (10,000), each
/// a sequence of 3,073-byte records: the label, then 1,024 red, 1,024 green and 1,024 blue bytes, row by row.
/// Looked up in the folder given, <c>$CIFAR10_DIR</c>, then <see cref="SearchFolders"/>; never downloaded.
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes of one record: 1 label byte and 3x32x32 pixels.</summary>
    public const int RecordLength = 1 + 3 * 32 * 32;

    /// <summary>Class names indexed by label (as in <c>batches.meta.txt</c>).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Folders searched after <c>$CIFAR10_DIR</c>; a program adds its own (this repository's programs add
    /// <c>data/cifar-10-batches-bin</c>). Empty by default: the library assumes no layout.
    /// </summary>
    public static IList<string> SearchFolders { get; } = new List<string>();

    /// <summary>The files of a split, in order.</summary>
    /// <param name="split">Train (the five <c>data_batch_*.bin</c> files) or Test (<c>test_batch.bin</c>).</param>
    public static IReadOnlyList<string> FileNames(DataSplit split) =>
        split == DataSplit.Test ? ["test_batch.bin"] : Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();

    /// <summary>Loads a split as model-ready tensors: pixel/255, then normalised by <paramref name="normalization"/> (default: CIFAR-10's mean and std).</summary>
    /// <param name="split">Train (50,000 images) or Test (10,000).</param>
    /// <param name="folder">Folder tried first, before <c>$CIFAR10_DIR</c> and <see cref="SearchFolders"/>; null to skip it.</param>
    /// <param name="normalization">Per-channel mean and std applied after /255, with 3 channels; null for <see cref="Normalization.Cifar10"/>.</param>
    public static ImageDataset Load(DataSplit split, string? folder = null, Normalization? normalization = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        normalization ??= Normalization.Cifar10;
        if (normalization.Channels != 3) throw new ArgumentException($"CIFAR-10 images have 3 channels; the normalisation has {normalization.Channels}.");
        string located = Locate(split, folder);
        var labels = new List<byte>();
        using var pixels = new MemoryStream();
        foreach (string file in FileNames(split)) ReadRecords(Path.Combine(located, file), labels, pixels);
        using var scope = NewDisposeScope();
        var unit = tensor(pixels.ToArray(), ScalarType.Byte).reshape(labels.Count, 3, 32, 32).to_type(ScalarType.Float32).div_(ByteRange);
        var inputs = normalization.Apply(unit).MoveToOuterDisposeScope();
        var targets = tensor(labels.ToArray(), ScalarType.Byte).to_type(ScalarType.Int64).MoveToOuterDisposeScope();
        return new ImageDataset($"cifar10:{split.ToString().ToLowerInvariant()}", inputs, targets, ClassNames, normalization);
    }

    /// <summary>Appends the records of one file; a file that is not a whole number of records, or has a label above 9, is named in the error.</summary>
    internal static void ReadRecords(string path, List<byte> labels, Stream pixels)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes.Length % RecordLength != 0)
            throw new InvalidDataException($"'{path}' is not a CIFAR-10 binary batch: {bytes.Length:N0} bytes is not a positive multiple of {RecordLength:N0} (a label byte and 3x32x32 pixels).");
        for (int offset = 0; offset < bytes.Length; offset += RecordLength)
        {
            byte label = bytes[offset];
            if (label >= ClassNames.Count)
                throw new InvalidDataException($"'{path}': record {offset / RecordLength} has label {label}; CIFAR-10 labels are 0-9 (is this the CIFAR-100 binary version?).");
            labels.Add(label);
            pixels.Write(bytes, offset + 1, RecordLength - 1);
        }
    }

    /// <summary>The folder holding every file of <paramref name="split"/>; otherwise a message listing where it looked.</summary>
    /// <param name="split">The split whose files must all be in the folder.</param>
    /// <param name="folder">Folder tried first, before <c>$CIFAR10_DIR</c> and <see cref="SearchFolders"/>; null to skip it.</param>
    public static string Locate(DataSplit split, string? folder = null)
    {
        var candidates = new List<string>();
        if (folder is not null) candidates.Add(folder);
        if (Environment.GetEnvironmentVariable("CIFAR10_DIR") is { Length: > 0 } configured) candidates.Add(configured);
        lock (SearchFolders) candidates.AddRange(SearchFolders);
        foreach (string candidate in candidates)
            if (FileNames(split).All(name => File.Exists(Path.Combine(candidate, name)))) return candidate;
        throw new FileNotFoundException(
            $"CIFAR-10 ({split.ToString().ToLowerInvariant()}: {string.Join(", ", FileNames(split))}) was not found in " +
            (candidates.Count == 0 ? "any folder" : string.Join(", ", candidates)) +
            ". Download the binary version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html), unpack it, " +
            "and set CIFAR10_DIR to its cifar-10-batches-bin folder (or put that folder under data/ in the workbook).");
    }
}
