namespace ParameterSaliency.Data;

/// <summary>Finds the workbook's folders (data/, notebooks/, artifacts/) from wherever the code runs.</summary>
public static class WorkbookPaths
{
    /// <summary>
    /// The repository root: <c>$PARAMETER_SALIENCY_ROOT</c> if set, else the first folder above the
    /// working directory or above this assembly that holds <c>data/fashion-mnist</c>.
    /// </summary>
    public static string Root => root ??= FindRoot();
    static string? root;

    /// <summary><see cref="Root"/>, or null outside a workbook checkout (a notebook that uses the packages in any folder).</summary>
    public static string? RootIfFound
    {
        get
        {
            try
            {
                return Root;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
        }
    }

    /// <summary>The folder of committed data (<c>data/</c>).</summary>
    public static string Data => Path.Combine(Root, "data");

    /// <summary>The committed default model, <c>data/models/fashion-resnet18-w16.safetensors</c>.</summary>
    public static string DefaultModel => Path.Combine(Data, "models", "fashion-resnet18-w16.safetensors");

    /// <summary>The committed model trained with the case study's planted cue (<c>saliency train --planted-cue</c>).</summary>
    public static string PlantedCueModel => Path.Combine(Data, "models", "fashion-resnet18-w16-planted-cue.safetensors");

    /// <summary>μ, σ of <see cref="PlantedCueModel"/> over the Fashion-MNIST test split.</summary>
    public static string PlantedCueStatistics => Path.Combine(Data, "statistics", "fashion-resnet18-w16-planted-cue.fashion-mnist-test.safetensors");

    /// <summary>The default architecture trained on permuted labels of 5,000 training images (data randomisation, SPEC §9).</summary>
    public static string PermutedLabelsModel => Path.Combine(Data, "models", "fashion-resnet18-w16-permuted-labels.safetensors");

    /// <summary>
    /// The committed companion of the default model trained with the paper's step schedule (<c>saliency train --schedule multistep</c>):
    /// its last epochs ran at 1e-3, the step size of Table 1 (Appendix D).
    /// </summary>
    public static string MultiStepModel => Path.Combine(Data, "models", "fashion-resnet18-w16-multistep.safetensors");

    /// <summary>μ, σ of <see cref="MultiStepModel"/> over the Fashion-MNIST test split.</summary>
    public static string MultiStepStatistics => Path.Combine(Data, "statistics", "fashion-resnet18-w16-multistep.fashion-mnist-test.safetensors");

    /// <summary>The second embedded model: the small Vision Transformer (<c>saliency train --arch vit-tiny</c>), <c>data/models/fashion-vit-tiny.safetensors</c>.</summary>
    public static string VitModel => Path.Combine(Data, "models", "fashion-vit-tiny.safetensors");

    /// <summary>μ, σ of <see cref="VitModel"/>'s neuron-wise profiles over the Fashion-MNIST test split.</summary>
    public static string VitNeuronStatistics => Path.Combine(Data, "statistics", "fashion-vit-tiny.fashion-mnist-test.neurons.safetensors");

    /// <summary>μ, σ of <see cref="VitModel"/>'s head-wise profiles over the Fashion-MNIST test split.</summary>
    public static string VitHeadStatistics => Path.Combine(Data, "statistics", "fashion-vit-tiny.fashion-mnist-test.heads.safetensors");

    /// <summary>μ, σ of the default model over the Fashion-MNIST test split.</summary>
    public static string DefaultStatistics => Path.Combine(Data, "statistics", "fashion-resnet18-w16.fashion-mnist-test.safetensors");

    /// <summary>
    /// Where the saliency index of <paramref name="modelPath"/>'s model over <paramref name="dataset"/> is cached
    /// (<c>artifacts/cache/</c>, not committed: 48 MB for the default; rebuilt in about a minute).
    /// </summary>
    public static string SaliencyIndexCache(string modelPath, string dataset) => CacheFile(modelPath, dataset, "saliency-index");

    /// <summary>
    /// Where the classification of <paramref name="dataset"/> by <paramref name="modelPath"/>'s model is cached
    /// (<c>artifacts/cache/</c>, beside the saliency index; the file the notebooks use for the same model and data).
    /// </summary>
    public static string EvaluationCache(string modelPath, string dataset) => CacheFile(modelPath, dataset, "evaluation");

    /// <summary>Where μ, σ of <paramref name="modelPath"/>'s model over <paramref name="dataset"/> are cached when no statistics file is given (<c>artifacts/cache/</c>).</summary>
    public static string StatisticsCache(string modelPath, string dataset) => CacheFile(modelPath, dataset, "statistics");

    /// <summary>
    /// A file-name-safe form of a data-set name for cache files: readable (<c>fashion-mnist:test</c> becomes
    /// <c>fashion-mnist-test</c>), and for image folders and long names the end of it and a short hash of the whole, so
    /// that a folder's absolute path makes neither subfolders nor clashes.
    /// </summary>
    public static string CacheName(string dataset)
    {
        string readable = new(dataset.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        if (readable.Length <= 40 && !dataset.StartsWith("folder:", StringComparison.Ordinal)) return readable;
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataset)))[..8];
        return readable[^Math.Min(32, readable.Length)..].TrimStart('-') + "-" + hash;
    }

    static string CacheFile(string modelPath, string dataset, string kind) =>
        Path.Combine(Artifacts, "cache", $"{Path.GetFileNameWithoutExtension(modelPath)}.{CacheName(dataset)}.{kind}.safetensors");

    /// <summary>The committed Fashion-MNIST files (<c>data/fashion-mnist/</c>: the test split; the train split when fetched).</summary>
    public static string FashionMnistFolder => Path.Combine(Data, "fashion-mnist");

    /// <summary>Where CIFAR-10's binary batches may be put (<c>data/cifar-10-batches-bin</c>, not committed).</summary>
    public static string Cifar10Folder => Path.Combine(Data, "cifar-10-batches-bin");

    /// <summary>Lets the library find the repository's Fashion-MNIST and CIFAR-10 files (<see cref="FashionMnist.SearchFolders"/>, <see cref="Cifar10.SearchFolders"/>) when the repository is found; idempotent.</summary>
    public static void RegisterData()
    {
        if (RootIfFound is null) return;
        foreach (var (folders, folder) in new[] { (FashionMnist.SearchFolders, FashionMnistFolder), (Cifar10.SearchFolders, Cifar10Folder) })
            lock (folders)
                if (!folders.Contains(folder)) folders.Add(folder);
    }

    /// <summary>Where generated results go (<c>artifacts/</c>, ignored by git).</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts");

    static string FindRoot()
    {
        string? configured = Environment.GetEnvironmentVariable("PARAMETER_SALIENCY_ROOT");
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Path.GetDirectoryName(typeof(WorkbookPaths).Assembly.Location) ?? "" })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
                if (Directory.Exists(Path.Combine(folder.FullName, "data", "fashion-mnist"))) return folder.FullName;
        }
        throw new DirectoryNotFoundException(
            "Cannot find the workbook's data/fashion-mnist folder above the working directory or the library. " +
            "Run from inside the repository or set PARAMETER_SALIENCY_ROOT to its root.");
    }
}
