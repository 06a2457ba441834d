using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Cli;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    public static Option<string> Statistics(bool required) => new("--stats") { Description = "Saliency statistics (μ, σ) file from 'saliency stats'.", Required = required };

    public static ConsoleProgress<PassProgress> PassProgress() => new(p => p.ToString(), p => p.Done == p.Total);

    /// <summary>
    /// How the model classifies the data set, from the cache beside the saliency index when it belongs to these weights
    /// and these images (<see cref="EvaluationCache"/>), else classified once, with progress, and cached: a second
    /// <c>neighbors</c>, <c>finetune</c> or <c>atlas</c> on the same model and data does not classify every image again.
    /// </summary>
    public static EvaluationReport CachedEvaluation(string modelPath, SavedModel saved, ImageDataset data) =>
        EvaluationCache.LoadOrEvaluate(WorkbookPaths.EvaluationCache(modelPath, data.Name), saved.Model, data,
            new ConsoleProgress<(int Done, int Total)>(p => $"classifying {p.Done}/{p.Total}", p => p.Done == p.Total));
}

/// <summary>
/// The --model option and what a file that does not describe itself needs: --arch (PyTorch checkpoints, safetensors
/// without our metadata) and the input normalisation (--normalize PRESET, or --mean and --std).
/// </summary>
internal sealed class ModelOptions(string? defaultModel = null, string description = "Weights file: our safetensors, or a PyTorch checkpoint (.pth, .pt) with --arch.")
{
    readonly Option<string> path = new("--model") { Description = description, DefaultValueFactory = _ => defaultModel ?? WorkbookPaths.DefaultModel };
    readonly Option<string?> arch = new("--arch") { Description = "Architecture of a file that does not say which it holds (see 'saliency models')." };
    readonly Option<string?> normalize = new("--normalize") { Description = "Input normalisation of a file that does not record it: imagenet, cifar10 or fashion-mnist." };
    readonly Option<string?> mean = new("--mean") { Description = "Per-channel input mean, e.g. 0.485,0.456,0.406 (with --std), instead of --normalize." };
    readonly Option<string?> std = new("--std") { Description = "Per-channel input std, e.g. 0.229,0.224,0.225 (with --mean)." };
    readonly Option<int?> heads = new("--heads") { Description = "Attention heads per block of a Vision Transformer loaded with --arch vit (its weights do not say)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { path, arch, normalize, mean, std, heads }) command.Options.Add(option);
    }

    public string PathOf(ParseResult result) => result.GetValue(path)!;

    public SavedModel Load(ParseResult result) => ModelFile.Load(PathOf(result), arch: result.GetValue(arch), normalization: Normalization(result), heads: result.GetValue(heads));

    Normalization? Normalization(ParseResult result)
    {
        string? preset = result.GetValue(normalize), means = result.GetValue(mean), stds = result.GetValue(std);
        if (preset is not null && (means ?? stds) is not null) throw new ArgumentException("Give --normalize or --mean and --std, not both.");
        if (preset is not null) return Data.Normalization.Preset(preset);
        if (means is null != stds is null) throw new ArgumentException("--mean and --std go together.");
        if (means is null) return null;
        float[] Parse(string text, string name) => text.Split(',').Select(t => float.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            ? v : throw new ArgumentException($"{name} '{text}' is not a comma-separated list of numbers.")).ToArray();
        var (m, s) = (Parse(means, "--mean"), Parse(stds!, "--std"));
        if (m.Length != s.Length || s.Any(v => v <= 0)) throw new ArgumentException("--mean and --std need as many entries each, and every std must be positive.");
        return new Data.Normalization(m, s);
    }
}

/// <summary>
/// The --dataset option and how images become model inputs: --resize and --crop (torchvision's Resize and CenterCrop) and
/// --skip-bad for image folders; CIFAR-10 and image folders take the model's normalisation.
/// </summary>
internal sealed class DatasetOptions(string defaultDataset = "fashion-mnist:test")
{
    readonly Option<string> name = new("--dataset")
    {
        Description = "Data set: fashion-mnist:test, fashion-mnist:train, cifar10:test, cifar10:train or folder:PATH (class subfolders, as torchvision's ImageFolder).",
        DefaultValueFactory = _ => defaultDataset,
    };
    readonly Option<int?> resize = new("--resize") { Description = "Image folders: resize the shorter side to this many pixels (bilinear with antialias, as torchvision), e.g. 256." };
    readonly Option<int?> crop = new("--crop") { Description = "Image folders: centre crop to this square size after --resize, e.g. 224." };
    readonly Option<bool> skipBad = new("--skip-bad") { Description = "Image folders: skip images that cannot be decoded (each is listed) instead of stopping." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { name, resize, crop, skipBad }) command.Options.Add(option);
    }

    public string NameOf(ParseResult result) => result.GetValue(name)!;

    /// <summary>Loads the data set for <paramref name="model"/> (its normalisation and input channels), with a progress line for image folders.</summary>
    public ImageDataset Load(ParseResult result, SavedModel? model) => DatasetCatalog.Load(NameOf(result), Options(result, model), ReadingProgress());

    /// <summary>The data set as a source read chunk by chunk (<see cref="DatasetCatalog.Source"/>): image folders are never all in memory.</summary>
    public IImageSource Source(ParseResult result, SavedModel model) => DatasetCatalog.Source(NameOf(result), Options(result, model), ReadingProgress());

    ImageFolderOptions Options(ParseResult result, SavedModel? model) =>
        new(result.GetValue(resize), result.GetValue(crop), model?.Normalization, result.GetValue(skipBad));

    static ConsoleProgress<(int Done, int Total)> ReadingProgress() => new(p => $"reading images {p.Done}/{p.Total}", p => p.Done == p.Total);
}

/// <summary>The --aggregation, --engine and --batch-size options of the verbs that profile many images, and the profiler options they give.</summary>
internal sealed class EngineOptions
{
    static readonly Dictionary<string, Aggregation> Aggregations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["filters"] = Aggregation.FilterWise, ["neurons"] = Aggregation.NeuronWise, ["heads"] = Aggregation.HeadWise, ["layers"] = Aggregation.LayerWise,
    };

    readonly Option<string?> aggregation = CreateAggregation();

    static Option<string?> CreateAggregation()
    {
        var option = new Option<string?>("--aggregation")
        {
            Description = "Units of the profile s: filters, neurons (filters and the rows of every 2-D weight but the classifier), heads (attention heads) " +
                          "or layers. Default: filters for convolutional networks, neurons otherwise (vit*, mlp).",
        };
        option.AcceptOnlyFromAmong([.. Aggregations.Keys]);
        return option;
    }

    readonly Option<ProfileEngine> engine = new("--engine") { Description = "Per-sample gradient engine: Auto, Loop or Batched.", DefaultValueFactory = _ => ProfileEngine.Auto };
    readonly Option<int> batchSize = new("--batch-size") { Description = "Images per pass of the batched engine.", DefaultValueFactory = _ => new ProfilerOptions().BatchSize };
    readonly Option<KinkGuard> guard = new("--guard")
    {
        Description = "Rows that hang on a ReLU input within float32 rounding of zero: Exact (checked in float64 and recomputed where float32 got a mask wrong) " +
                      "or Flag (left in float32 and listed with how far each could move; no float64 forward).",
        DefaultValueFactory = _ => KinkGuard.Exact,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(aggregation);
        command.Options.Add(engine);
        command.Options.Add(batchSize);
        command.Options.Add(guard);
    }

    public ProfilerOptions From(ParseResult result) => new()
    {
        Aggregation = result.GetValue(aggregation) is { } name ? Aggregations[name] : null,
        Engine = result.GetValue(engine),
        BatchSize = result.GetValue(batchSize),
        Guard = result.GetValue(guard),
    };
}
