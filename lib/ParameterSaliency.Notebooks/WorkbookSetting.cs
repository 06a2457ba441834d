using System.Net;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// What a notebook looks at: a model, a data set, and where their μ, σ (and saliency index) are cached. Every
/// notebook decides it in one cell near the top, <c>var setting = Workbook.Default;</c>; change that cell alone to
/// run the notebook on your own model and images, e.g.
/// <c>Workbook.From("model.pth", "folder:images", arch: "resnet18", normalize: "imagenet", resize: 256, crop: 224)</c>.
/// The model and the data are loaded once, when first used.
/// </summary>
public sealed class WorkbookSetting
{
    readonly Lazy<SavedModel> model;
    readonly Lazy<ImageDataset> data;
    readonly string? statisticsPath;
    readonly IReadOnlyDictionary<Aggregation, string> statisticsPaths;
    readonly WorkbookSetting? whole; // FirstImages: the setting whose μ and σ this one uses

    internal WorkbookSetting(string modelPath, string dataset, string? arch, Normalization? normalization, int? resize, int? crop, string? statisticsPath, bool isDefault,
        IReadOnlyDictionary<Aggregation, string>? statisticsPaths = null)
    {
        ModelPath = Path.GetFullPath(modelPath);
        Dataset = dataset;
        IsDefault = isDefault;
        this.statisticsPath = statisticsPath;
        this.statisticsPaths = statisticsPaths ?? new Dictionary<Aggregation, string>();
        model = new(() => ModelFile.Load(ModelPath, arch: arch, normalization: normalization));
        data = new(() => DatasetCatalog.Load(dataset, new ImageFolderOptions(resize, crop, Model.Normalization)));
    }

    WorkbookSetting(WorkbookSetting whole, int count)
    {
        ModelPath = whole.ModelPath;
        Dataset = $"{whole.Dataset}[0:{count}]";
        IsDefault = whole.IsDefault;
        statisticsPaths = new Dictionary<Aggregation, string>(); // μ and σ: the whole setting's (see StatisticsPathFor)
        this.whole = whole;
        model = whole.model;
        data = new(() => whole.Data.Subset(Enumerable.Range(0, count).ToArray(), $"{whole.Data.Name}[0:{count}]"));
    }

    /// <summary>
    /// The same model on the first <paramref name="count"/> images of <see cref="Data"/>, or this setting itself when
    /// the data set has no more: a smaller run of a notebook (a test, a first look), with classification and index caches of its
    /// own. μ and σ stay those of the whole data set (the same files, read or computed over every image), as the paper
    /// standardizes with the validation set's: a subset never writes its own into them.
    /// </summary>
    /// <param name="count">How many images, from the first, at least 1.</param>
    public WorkbookSetting FirstImages(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "At least one image.");
        return count >= Data.Count ? this : new WorkbookSetting(this, count);
    }

    /// <summary>The model's weights file.</summary>
    public string ModelPath { get; }
    /// <summary>The data set's name (<see cref="DatasetCatalog"/>): fashion-mnist:test, cifar10:test, folder:PATH, ….</summary>
    public string Dataset { get; }
    /// <summary>True for the workbook's default (Fashion-MNIST and its trained ResNet), whose planted-cue companion model exists too.</summary>
    public bool IsDefault { get; }
    /// <summary>The model, loaded on first use.</summary>
    public SavedModel Model => model.Value;
    /// <summary>The data set with the model's normalisation, loaded on first use.</summary>
    public ImageDataset Data => data.Value;

    /// <summary>
    /// Where μ and σ of <see cref="Model"/> over <see cref="Data"/> are cached: the path given, else a file named by the
    /// model and data set in the workbook's <c>artifacts/cache/</c> (outside a checkout: the user cache).
    /// </summary>
    public string StatisticsPath => whole?.StatisticsPath ?? statisticsPath ?? Path.Combine(CacheFolder, $"{Path.GetFileNameWithoutExtension(ModelPath)}.{WorkbookPaths.CacheName(Data.Name)}.statistics.safetensors");

    /// <summary>
    /// Where μ and σ of the <paramref name="aggregation"/> profiles are cached: the committed file of that aggregation when
    /// the setting has one, <see cref="StatisticsPath"/> for the model's default aggregation, else a file in the cache
    /// named with the aggregation.
    /// </summary>
    /// <param name="aggregation">Filter-, neuron- or head-wise (or any other aggregation).</param>
    public string StatisticsPathFor(Aggregation aggregation) =>
        whole is not null ? whole.StatisticsPathFor(aggregation)
        : statisticsPaths.TryGetValue(aggregation, out var committed) ? committed
        : aggregation == ProfilerOptions.DefaultAggregationFor(Model.Model) ? StatisticsPath
        : Path.Combine(CacheFolder, $"{Path.GetFileNameWithoutExtension(ModelPath)}.{WorkbookPaths.CacheName(Data.Name)}.{aggregation}.statistics.safetensors");

    /// <summary>Where the saliency index of <see cref="Model"/> over <see cref="Data"/> is cached (the model's default aggregation).</summary>
    public string SaliencyIndexPath => SaliencyIndexPathFor(ProfilerOptions.DefaultAggregationFor(Model.Model));

    /// <summary>Where the saliency index of <see cref="Model"/>'s <paramref name="aggregation"/> profiles over <see cref="Data"/> is cached.</summary>
    /// <param name="aggregation">The aggregation of the indexed profiles.</param>
    public string SaliencyIndexPathFor(Aggregation aggregation) => Path.Combine(CacheFolder,
        $"{Path.GetFileNameWithoutExtension(ModelPath)}.{WorkbookPaths.CacheName(Data.Name)}{(aggregation == ProfilerOptions.DefaultAggregationFor(Model.Model) ? "" : "." + aggregation)}.saliency-index.safetensors");

    /// <summary>μ and σ over <see cref="Data"/> of the profiler's aggregation, from the cache when it belongs to this model and these images, else computed once and cached.</summary>
    /// <param name="profiler">Profiler of <see cref="Model"/> that computes s when the cache cannot be used; its aggregation picks the file (<see cref="StatisticsPathFor"/>).</param>
    /// <param name="progress">Receives the progress of the pass over <see cref="Data"/> when μ, σ are computed; null: none.</param>
    public SaliencyStatistics Statistics(SaliencyProfiler profiler, IProgress<PassProgress>? progress = null) =>
        whole is not null ? whole.Statistics(profiler, progress) : SaliencyStatistics.LoadOrCompute(StatisticsPathFor(profiler.Layout.Aggregation), profiler, Data, progress);

    /// <summary>Where the classification of <see cref="Data"/> by <see cref="Model"/> is cached (<see cref="Evaluation"/>).</summary>
    public string EvaluationPath => Path.Combine(CacheFolder, $"{Path.GetFileNameWithoutExtension(ModelPath)}.{WorkbookPaths.CacheName(Data.Name)}.evaluation.safetensors");

    /// <summary>How <see cref="Model"/> classifies <see cref="Data"/>: from the cache when it belongs to these weights and these images, else classified once and cached (<see cref="EvaluationCache"/>).</summary>
    /// <param name="progress">Receives (images done, images in all) while classifying; null: none.</param>
    public EvaluationReport Evaluation(IProgress<(int Done, int Total)>? progress = null) =>
        EvaluationCache.LoadOrEvaluate(EvaluationPath, Model.Model, Data, progress);

    static string CacheFolder => WorkbookPaths.RootIfFound is not null ? Path.Combine(WorkbookPaths.Artifacts, "cache") : Path.Combine(UserCache.Folder, "notebooks");

    internal string ToHtml() =>
        "<table><tr><th>model</th><th>architecture</th><th>data</th><th>images</th><th>classes</th><th>μ, σ cache</th></tr>" +
        $"<tr><td>{WebUtility.HtmlEncode(Path.GetFileName(ModelPath))}</td><td>{WebUtility.HtmlEncode(Model.Arch)}</td><td>{WebUtility.HtmlEncode(Data.Name)}</td>" +
        $"<td>{Data.Count:N0} ({Data.ImageShape.Channels}x{Data.ImageShape.Height}x{Data.ImageShape.Width})</td><td>{Data.ClassNames.Count}</td>" +
        $"<td>{WebUtility.HtmlEncode(Path.GetFileName(StatisticsPath))}</td></tr></table>";

    public override string ToString() => $"{Path.GetFileName(ModelPath)} on {Dataset}";
}
