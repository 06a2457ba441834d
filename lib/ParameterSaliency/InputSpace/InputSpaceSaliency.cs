using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// Input-space heatmaps from boosted parameter-saliency profiles (paper §2.2, Figure 1b; SPEC §3):
/// ŝ(x, y) is the standardized filter-wise profile, s' a detached copy with k entries multiplied by a
/// boost factor, and the heatmap is |max_c ∂ cos(ŝ, s')/∂x| clipped at its 99th percentile, floored at
/// its 90th and min-max normalised: the pixels that would move the model's parameter saliency
/// toward the boosted filters.
/// <code>
/// var explainer = new InputSpaceSaliency(model, statistics);   // top-10 filters, boost 100
/// var heatmap = explainer.Explain(test, index: 42);            // renders itself in a notebook
/// </code>
/// </summary>
public sealed class InputSpaceSaliency
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly DifferentiableProfile profile;
    readonly ModelInputs inputs;

    /// <summary>Prepares heatmaps for <paramref name="model"/> with μ, σ from <paramref name="statistics"/> (which must belong to this model).</summary>
    public InputSpaceSaliency(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, HeatmapOptions? options = null)
    {
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop });
        Options = options ?? new HeatmapOptions();
        Options.Validate(profiler.Layout.Length);
        profile = new DifferentiableProfile(profiler, statistics, Options.AbsoluteStandardization);
        inputs = ModelInputs.Of(model);
        this.model = model;
    }

    /// <summary>The options in force.</summary>
    public HeatmapOptions Options { get; }
    /// <summary>What each entry of ŝ means.</summary>
    public ProfileLayout Layout => profile.Layout;

    internal ScalarType ModelDType => inputs.DType;

    internal DifferentiableProfile Profile => profile;

    /// <summary>The heatmap of image <paramref name="index"/> of <paramref name="data"/> with its true label.</summary>
    public InputHeatmap Explain(ImageDataset data, int index)
    {
        if (index < 0 || index >= data.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{data.Name} has images [0, {data.Count}).");
        return Explain(data.Images[index], data.LabelArray[index], data.Normalization, index);
    }

    /// <summary>Heatmaps of the images of <paramref name="data"/> at <paramref name="indices"/>, one at a time (each needs its own double backward).</summary>
    public IReadOnlyList<InputHeatmap> Explain(ImageDataset data, IReadOnlyList<int> indices, IProgress<(int Done, int Total)>? progress = null)
    {
        var heatmaps = new List<InputHeatmap>(indices.Count);
        foreach (int index in indices)
        {
            heatmaps.Add(Explain(data, index));
            progress?.Report((heatmaps.Count, indices.Count));
        }
        return heatmaps;
    }

    /// <summary>The heatmap of one model-ready image <paramref name="input"/> [C, H, W] with label y = <paramref name="label"/>.</summary>
    public InputHeatmap Explain(Tensor input, int label, Normalization normalization, int? sourceIndex = null) =>
        Explain(input, label, normalization, sourceIndex, Options.RandomSeed);

    /// <summary>As <see cref="Explain(Tensor, int, Normalization, int?)"/> with another seed for the random control.</summary>
    internal InputHeatmap Explain(Tensor input, int label, Normalization normalization, int? sourceIndex, int randomSeed)
    {
        using var scope = NewDisposeScope();
        using var busy = Runtime.CoreShare.Busy();
        var (batch, labels) = Prepare(input, label);
        using var mode = new Runtime.EvalMode(model);
        int[] boosted = Options.Filters == BoostedFilters.Random ? FilterRanking.Random(Layout.Length, Options.K, randomSeed) : ChooseFilters(batch, labels);
        var gradient = Options.SmoothGradCopies == 0
            ? CosineGradient(batch, labels, boosted)
            : SmoothGradient(batch, labels, boosted);
        return Build(gradient, batch, normalization, label, sourceIndex, boosted, $"{(Options.Filters == BoostedFilters.TopSalient ? "top" : "random")}-{Options.K} filters ×{Options.Boost:G3}");
    }

    /// <summary>The top-k entries of ŝ: the filters s' boosts.</summary>
    int[] ChooseFilters(Tensor batch, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var z = profile.Standardized(batch, labels).detach().to(ScalarType.Float32).cpu();
        return FilterRanking.Top(z.data<float>().ToArray(), Options.K);
    }

    /// <summary>g = ∂ cos(ŝ(x), s')/∂x for a batch of one, s' = ŝ detached with <paramref name="boosted"/> entries × boost.</summary>
    internal Tensor CosineGradient(Tensor batch, Tensor labels, int[] boosted)
    {
        using var scope = NewDisposeScope();
        var x = batch.detach().requires_grad_(true);
        var z = profile.Standardized(x, labels);
        var factor = ones_like(z);
        factor.index_fill_(0, tensor(boosted.Select(b => (long)b).ToArray(), device: z.device), Options.Boost);
        var target = z.detach() * factor;
        var similarity = nn.functional.cosine_similarity(z.unsqueeze(0), target.unsqueeze(0), dim: 1).sum();
        return autograd.grad([similarity], [x])[0].detach().MoveToOuterDisposeScope();
    }

    Tensor SmoothGradient(Tensor batch, Tensor labels, int[] boosted)
    {
        using var scope = NewDisposeScope();
        double spread = (batch.max() - batch.min()).to(ScalarType.Float64).item<double>() * Options.SmoothGradNoise;
        var generator = new Generator((ulong)Options.SmoothGradSeed);
        var sum = zeros_like(batch);
        for (int copy = 0; copy < Options.SmoothGradCopies; copy++)
        {
            using var copyScope = NewDisposeScope();
            var noise = randn(batch.shape, batch.dtype, generator: generator).to(batch.device) * spread;
            sum.add_(CosineGradient(batch + noise, labels, boosted));
        }
        return (sum / Options.SmoothGradCopies).MoveToOuterDisposeScope();
    }

    /// <summary>Validates one image and label and makes them a batch of one on the model's device and precision.</summary>
    internal (Tensor Batch, Tensor Labels) Prepare(Tensor input, int label) => inputs.Single(input, label);

    internal InputHeatmap Build(Tensor gradient, Tensor batch, Normalization normalization, int label, int? sourceIndex, int[] boosted, string method)
    {
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        float[] g = gradient.to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
        var raw = HeatmapMath.ReduceChannels(g, channels, height, width);
        return InputHeatmaps.Create(method, label, sourceIndex, batch, normalization, g, raw, boosted, Options, Options.ClipPercentile, Options.FloorPercentile);
    }
}
