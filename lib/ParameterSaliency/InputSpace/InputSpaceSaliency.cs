using TorchSharp;
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
public sealed class InputSpaceSaliency : IInputExplainer
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly DifferentiableProfile profile;
    readonly ModelInputs inputs;
    readonly SaliencyStatistics statistics;

    /// <summary>Prepares heatmaps for <paramref name="model"/> with μ, σ from <paramref name="statistics"/> (which must belong to this model).</summary>
    /// <param name="model">Classifier whose saliency profiles s (of the statistics' aggregation: filters, neurons or heads) are used.</param>
    /// <param name="statistics">Per-filter μ and σ of the profiles, computed for <paramref name="model"/>.</param>
    /// <param name="options">k, boost, filter choice, SmoothGrad, batching and percentiles; null for the defaults (top-10, boost 100).</param>
    public InputSpaceSaliency(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, HeatmapOptions? options = null)
    {
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Aggregation = statistics.Aggregation, Engine = ProfileEngine.Loop });
        Options = options ?? new HeatmapOptions();
        Options.Validate(profiler.Layout.Length);
        profile = new DifferentiableProfile(profiler, statistics, Options.AbsoluteStandardization);
        this.statistics = statistics;
        inputs = ModelInputs.Of(model);
        this.model = model;
        parameterCount = profiler.Layout.Segments.Sum(segment => segment.Shape.Aggregate(1L, (product, size) => product * size));
    }

    /// <summary>The options in force.</summary>
    public HeatmapOptions Options { get; }

    /// <summary>Most per-sample gradient entries one batched pass holds for its double backward (1 GB in float32).</summary>
    const long GradientEntriesPerPass = 1L << 27;

    /// <summary>Images per double backward: <see cref="HeatmapOptions.BatchSize"/>, fewer for models whose per-sample gradients would exceed <see cref="GradientEntriesPerPass"/>.</summary>
    public int ImagesPerPass => (int)Math.Clamp(GradientEntriesPerPass / Math.Max(1, parameterCount), 1, Options.BatchSize);

    readonly long parameterCount;
    /// <summary>What each entry of ŝ means.</summary>
    public ProfileLayout Layout => profile.Layout;

    internal ScalarType ModelDType => inputs.DType;

    internal DifferentiableProfile Profile => profile;

    /// <inheritdoc/>
    public string Method => $"{(Options.Filters == BoostedFilters.TopSalient ? "top" : "random")}-{Options.K} filters ×{Options.Boost:G3}";

    /// <summary>
    /// The heatmap of image <paramref name="index"/> of <paramref name="data"/>: ŝ(x, y) with y = <paramref name="target"/>,
    /// by default the image's true label (the paper's choice: a mistake is explained with the label it should have had).
    /// </summary>
    /// <param name="data">Data set holding the image (model-ready images and their normalisation).</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="target">Label y in ŝ(x, y); null for the image's true label.</param>
    public InputHeatmap Explain(ImageDataset data, int index, int? target = null)
    {
        TargetedBatch.CheckIndex(data, index);
        return Explain(data.Images[index], target ?? data.LabelArray[index], data.Normalization, index, Options.RandomSeed);
    }

    /// <summary>
    /// Heatmaps of the images of <paramref name="data"/> at <paramref name="indices"/>, <see cref="HeatmapOptions.BatchSize"/>
    /// images per double backward when the model allows it (each image's heatmap is the same as alone, within float
    /// rounding), else one at a time.
    /// </summary>
    /// <param name="data">Data set holding the images (model-ready images, true labels y and their normalisation).</param>
    /// <param name="indices">Indices of the images to explain, each in [0, data.Count); each is explained with its true label y.</param>
    /// <param name="progress">Receives (heatmaps done, total) after each pass; null for none.</param>
    public IReadOnlyList<InputHeatmap> Explain(ImageDataset data, IReadOnlyList<int> indices, IProgress<(int Done, int Total)>? progress = null)
    {
        foreach (int index in indices)
            if (index < 0 || index >= data.Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"{data.Name} has images [0, {data.Count}).");
        var heatmaps = new List<InputHeatmap>(indices.Count);
        for (int start = 0; start < indices.Count; start += ImagesPerPass)
        {
            using var scope = NewDisposeScope();
            int[] chunk = indices.Skip(start).Take(ImagesPerPass).ToArray();
            var images = data.Images.index_select(0, tensor(chunk.Select(i => (long)i).ToArray()));
            heatmaps.AddRange(Explain(images, chunk.Select(i => data.LabelArray[i]).ToArray(), data.Normalization,
                chunk.Select(i => (int?)i).ToArray(), chunk.Select(_ => Options.RandomSeed).ToArray()));
            progress?.Report((heatmaps.Count, indices.Count));
        }
        return heatmaps;
    }

    /// <summary>
    /// Heatmaps of model-ready images <paramref name="images"/> [N, C, H, W] with labels y, in one double backward through
    /// the batched engine's differentiable profiles (the random control draws image n's filters with
    /// <paramref name="randomSeeds"/>[n]); one image at a time when the model has layers the batched engine does not handle.
    /// </summary>
    internal IReadOnlyList<InputHeatmap> Explain(Tensor images, int[] labels, Normalization normalization, int?[] sourceIndices, int[] randomSeeds) =>
        ExplainTogether([this], images, labels, normalization, sourceIndices, randomSeeds)[0];

    /// <summary>
    /// Heatmaps of the same images by several explainers of the same model and statistics (the method and its random
    /// control): ŝ of the batch, with its graph, is computed once and each explainer's objective takes its own double
    /// backward through it (on the default model two maps cost 14 ms an image this way, 20 ms separately).
    /// Explainers that cannot share (other statistics or standardization, SmoothGrad, no batched engine) run on their own.
    /// </summary>
    internal static IReadOnlyList<InputHeatmap>[] ExplainTogether(IReadOnlyList<InputSpaceSaliency> explainers, Tensor images, int[] labels, Normalization normalization, int?[] sourceIndices, int[] randomSeeds)
    {
        var first = explainers[0];
        bool share = images.shape[0] > 1 && first.profile.CanBatch && explainers.All(e =>
            e.Options.SmoothGradCopies == 0 && e.model == first.model && e.statistics == first.statistics && e.Options.AbsoluteStandardization == first.Options.AbsoluteStandardization);
        if (!share)
            return explainers.Select(e => e.ExplainAlone(images, labels, normalization, sourceIndices, randomSeeds)).ToArray();
        using var scope = NewDisposeScope();
        using var busy = Runtime.CoreShare.Busy();
        var (batch, labelTensor) = first.PrepareBatch(images, labels);
        using var mode = new Runtime.EvalMode(first.model);
        var x = batch.detach().requires_grad_(true);
        var z = first.profile.StandardizedBatch(x, labelTensor);
        return explainers.Select((explainer, e) =>
        {
            var boosted = explainer.RandomFilters(randomSeeds) ?? explainer.TopFilters(z.detach());
            var gradient = explainer.CosineGradientOf(x, z, boosted, retainGraph: e < explainers.Count - 1);
            return explainer.BuildAll(gradient, batch, normalization, labels, sourceIndices, boosted);
        }).ToArray();
    }

    /// <summary>One explainer's heatmaps of a batch (SmoothGrad over the batch), or one image at a time without a batched engine.</summary>
    IReadOnlyList<InputHeatmap> ExplainAlone(Tensor images, int[] labels, Normalization normalization, int?[] sourceIndices, int[] randomSeeds)
    {
        if (!profile.CanBatch || images.shape[0] == 1)
            return Enumerable.Range(0, labels.Length).Select(n => Explain(images[n], labels[n], normalization, sourceIndices[n], randomSeeds[n])).ToArray();
        if (Options.SmoothGradCopies == 0) return ExplainTogether([this], images, labels, normalization, sourceIndices, randomSeeds)[0];
        using var scope = NewDisposeScope();
        using var busy = Runtime.CoreShare.Busy();
        var (batch, labelTensor) = PrepareBatch(images, labels);
        using var mode = new Runtime.EvalMode(model);
        var boosted = RandomFilters(randomSeeds) ?? TopFilters(profile.StandardizedBatch(batch, labelTensor).detach());
        return BuildAll(SmoothBatchGradient(batch, labelTensor, boosted), batch, normalization, labels, sourceIndices, boosted);
    }

    (Tensor Batch, Tensor Labels) PrepareBatch(Tensor images, int[] labels)
    {
        var labelTensor = tensor(labels.Select(l => (long)l).ToArray());
        inputs.Validate(images, labelTensor);
        return (images.to(inputs.DType).to(inputs.Device), labelTensor.to(inputs.Device));
    }

    /// <summary>Image n's k filters drawn with <paramref name="randomSeeds"/>[n] for the random control; null for the method (top-k of ŝ).</summary>
    int[][]? RandomFilters(int[] randomSeeds) => Options.Filters == BoostedFilters.Random
        ? randomSeeds.Select(seed => FilterRanking.Random(Layout.Length, Options.K, seed)).ToArray()
        : null;

    IReadOnlyList<InputHeatmap> BuildAll(Tensor gradient, Tensor batch, Normalization normalization, int[] labels, int?[] sourceIndices, int[][] boosted)
    {
        return Enumerable.Range(0, labels.Length)
            .Select(n => Build(gradient.narrow(0, n, 1), batch.narrow(0, n, 1), normalization, labels[n], sourceIndices[n], boosted[n], Method))
            .ToArray();
    }

    int[][] TopFilters(Tensor z)
    {
        var rows = z.to(ScalarType.Float32).cpu();
        return Enumerable.Range(0, (int)rows.shape[0]).Select(n => FilterRanking.Top(rows[n].data<float>().ToArray(), Options.K)).ToArray();
    }

    /// <summary>
    /// g_n = ∂ cos(ŝ(x_n), s'_n)/∂x_n for every image of the batch at once, s'_n = ŝ(x_n) detached with image n's
    /// <paramref name="boosted"/> filters × boost: ŝ(x_n) depends on x_n alone, so the gradient of Σ_n cos(ŝ_n, s'_n)
    /// with respect to the batch holds each image's own gradient.
    /// </summary>
    Tensor BatchCosineGradient(Tensor batch, Tensor labels, int[][] boosted)
    {
        using var scope = NewDisposeScope();
        var x = batch.detach().requires_grad_(true);
        return CosineGradientOf(x, profile.StandardizedBatch(x, labels), boosted, retainGraph: false).MoveToOuterDisposeScope();
    }

    /// <summary>∂/∂x of Σ_n cos(z_n, s'_n), s'_n = z_n detached with image n's <paramref name="boosted"/> filters × boost.</summary>
    Tensor CosineGradientOf(Tensor x, Tensor z, int[][] boosted, bool retainGraph)
    {
        using var scope = NewDisposeScope();
        var factor = ones_like(z);
        using Scalar boost = Options.Boost;
        for (int n = 0; n < boosted.Length; n++)
            factor[n].index_fill_(0, tensor(boosted[n].Select(b => (long)b).ToArray(), device: z.device), boost);
        var target = z.detach() * factor;
        var similarity = nn.functional.cosine_similarity(z, target, dim: 1).sum();
        return autograd.grad([similarity], [x], retain_graph: retainGraph)[0].detach().MoveToOuterDisposeScope();
    }

    /// <summary>SmoothGrad over a batch: every image gets the noise draws it would get alone (the same generator, seeded per image).</summary>
    Tensor SmoothBatchGradient(Tensor batch, Tensor labels, int[][] boosted)
    {
        using var scope = NewDisposeScope();
        long count = batch.shape[0];
        using Scalar noiseScale = Options.SmoothGradNoise, copyCount = Options.SmoothGradCopies;
        var spread = (batch.reshape(count, -1).amax([1]) - batch.reshape(count, -1).amin([1])).reshape(count, 1, 1, 1) * noiseScale;
        var generator = new Generator((ulong)Options.SmoothGradSeed);
        var sum = zeros_like(batch);
        for (int copy = 0; copy < Options.SmoothGradCopies; copy++)
        {
            using var copyScope = NewDisposeScope();
            var noise = randn([1, .. batch.shape[1..]], batch.dtype, generator: generator).to(batch.device) * spread;
            sum.add_(BatchCosineGradient(batch + noise, labels, boosted));
        }
        return (sum / copyCount).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The heatmap of one model-ready image <paramref name="input"/> [C, H, W] with label y = <paramref name="target"/>;
    /// without one, the class the model predicts (pass the true label to explain a mistake as the paper does).
    /// </summary>
    /// <param name="input">Model-ready (normalised) image x [C, H, W].</param>
    /// <param name="normalization">Normalisation applied to <paramref name="input"/>, used to recover its pixels in [0, 1].</param>
    /// <param name="target">Label y in ŝ(x, y); null for the class the model predicts.</param>
    /// <param name="sourceIndex">Index of the image in its data set, recorded in <see cref="InputHeatmap.SourceIndex"/>; null when unknown.</param>
    public InputHeatmap Explain(Tensor input, Normalization normalization, int? target = null, int? sourceIndex = null) =>
        Explain(input, target ?? PredictedClass(input), normalization, sourceIndex, Options.RandomSeed);

    int PredictedClass(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (batch, _) = Prepare(input, 0);
        using var mode = new Runtime.EvalMode(model);
        using var noGrad = no_grad();
        return (int)model.call(batch).argmax(1).item<long>();
    }

    /// <summary>The heatmap of one model-ready image with label y and <paramref name="randomSeed"/> for the random control.</summary>
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
        return Build(gradient, batch, normalization, label, sourceIndex, boosted, Method);
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
        using Scalar boost = Options.Boost;
        factor.index_fill_(0, tensor(boosted.Select(b => (long)b).ToArray(), device: z.device), boost);
        var target = z.detach() * factor;
        var similarity = nn.functional.cosine_similarity(z.unsqueeze(0), target.unsqueeze(0), dim: 1).sum();
        return autograd.grad([similarity], [x])[0].detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SmoothGrad of one image: the mean of g over noisy copies x + ε_c (ε_c drawn in order from a generator seeded with
    /// <see cref="HeatmapOptions.SmoothGradSeed"/>), the copies explained together, up to <see cref="ImagesPerPass"/> per
    /// double backward, when the model allows it.
    /// </summary>
    Tensor SmoothGradient(Tensor batch, Tensor labels, int[] boosted)
    {
        using var scope = NewDisposeScope();
        using Scalar spread = (batch.max() - batch.min()).to(ScalarType.Float64).item<double>() * Options.SmoothGradNoise,
                     copyCount = Options.SmoothGradCopies;
        var generator = new Generator((ulong)Options.SmoothGradSeed);
        var sum = zeros_like(batch);
        int perPass = profile.CanBatch ? ImagesPerPass : 1;
        for (int copy = 0; copy < Options.SmoothGradCopies; copy += perPass)
        {
            using var copyScope = NewDisposeScope();
            int copies = Math.Min(perPass, Options.SmoothGradCopies - copy);
            var noisy = cat(Enumerable.Range(0, copies).Select(_ => batch + randn(batch.shape, batch.dtype, generator: generator).to(batch.device) * spread).ToArray(), 0);
            var gradients = copies == 1
                ? CosineGradient(noisy, labels, boosted)
                : BatchCosineGradient(noisy, labels.expand(copies), Enumerable.Repeat(boosted, copies).ToArray());
            sum.add_(gradients.sum([0], keepdim: true));
        }
        return (sum / copyCount).MoveToOuterDisposeScope();
    }

    /// <summary>Validates one image and label and makes them a batch of one on the model's device and precision.</summary>
    internal (Tensor Batch, Tensor Labels) Prepare(Tensor input, int label) => inputs.Single(input, label);

    internal InputHeatmap Build(Tensor gradient, Tensor batch, Normalization normalization, int label, int? sourceIndex, int[] boosted, string method)
    {
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        float[] g = gradient.to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
        var raw = HeatmapMath.ReduceChannels(g, channels, height, width);
        return InputHeatmaps.Create(method, label, sourceIndex, batch, normalization, g, raw, boosted, Options.ClipPercentile, Options.FloorPercentile);
    }
}
