using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Computes saliency profiles s(x, y) = |∇_θ L(f_θ(x), y)|, aggregated per parameter, filter or
/// layer (paper §2.1), one image at a time in eval mode with the TRUE label y; the profile of
/// an image never depends on the other images of its batch.
/// <code>
/// var profiler = new SaliencyProfiler(model);              // filter-wise, automatic engine
/// using var profiles = profiler.Profile(images, labels);  // [N, 1200] for the default model
/// </code>
/// </summary>
public sealed class SaliencyProfiler
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ModelInputs inputs;
    readonly LoopEngine loop;
    readonly BatchedEngine? batched;

    /// <summary>Prepares a profiler for <paramref name="model"/>; fails when the model has no convolution filters, or when the batched engine is asked for and cannot handle the model.</summary>
    public SaliencyProfiler(nn.Module<Tensor, Tensor> model, ProfilerOptions? options = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        Options = options ?? new ProfilerOptions();
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "BatchSize must be at least 1.");
        inputs = ModelInputs.Of(model);
        Layout = ProfileLayout.For(model, Options.Aggregation, Options.LayerWiseAllTensors);
        loop = new LoopEngine(model, Layout);
        batched = BatchedEngine.TryCreate(model, Layout, out string? reason);
        Engine = Options.Engine switch
        {
            ProfileEngine.Loop => ProfileEngine.Loop,
            ProfileEngine.Batched => batched is not null ? ProfileEngine.Batched
                : throw new NotSupportedException($"The batched engine cannot profile this model: {reason}. Use ProfileEngine.Loop or Auto."),
            _ => batched is not null && batched.MaxConvChannels <= Options.BatchedMaxChannels ? ProfileEngine.Batched : ProfileEngine.Loop,
        };
    }

    /// <summary>The options in force.</summary>
    public ProfilerOptions Options { get; }
    /// <summary>What each profile entry means (filter names for filter-wise profiles).</summary>
    public ProfileLayout Layout { get; }
    /// <summary>The engine this profiler uses (never <see cref="ProfileEngine.Auto"/>).</summary>
    public ProfileEngine Engine { get; private set; }

    /// <summary>Why an automatically chosen batched engine was replaced by the loop, if it was.</summary>
    public string? EngineFallbackReason { get; private set; }

    /// <summary>Relative L1 difference above which the batched engine's first results are not trusted.</summary>
    public const double SelfCheckTolerance = 1e-4;
    bool batchedVerified;
    /// <summary>The model being explained.</summary>
    public nn.Module<Tensor, Tensor> Model => model;
    /// <summary>SHA-256 of the model's current state dict: what statistics computed with it are tied to.</summary>
    public string ModelFingerprint => Fingerprints.Model(model);

    /// <summary>Profiles of <paramref name="images"/> [N, C, H, W] (model-ready) with true labels <paramref name="labels"/> [N], in the model's precision (float32 normally; a float64 model gives float64 profiles).</summary>
    public SaliencyProfiles Profile(Tensor images, Tensor labels, IProgress<(int Done, int Total)>? progress = null) =>
        Profile(images, labels, progress, sourceIndices: null);

    SaliencyProfiles Profile(Tensor images, Tensor labels, IProgress<(int Done, int Total)>? progress, IReadOnlyList<int>? sourceIndices)
    {
        Runtime.GradientMode.EnsureEnabled("Saliency profiling");
        inputs.Validate(images, labels);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            int count = (int)images.shape[0];
            var rows = new List<Tensor>();
            using var scope = NewDisposeScope();
            for (int start = 0; start < count; start += Options.BatchSize)
            {
                using var batchScope = NewDisposeScope();
                int size = Math.Min(Options.BatchSize, count - start);
                var batchImages = images.narrow(0, start, size).to(inputs.DType).to(inputs.Device);
                var batchLabels = labels.narrow(0, start, size).to(ScalarType.Int64).to(inputs.Device);
                var values = Engine == ProfileEngine.Batched ? BatchedChecked(batchImages, batchLabels) : loop.Profile(batchImages, batchLabels);
                rows.Add(values.detach().cpu().MoveToOuterDisposeScope());
                progress?.Report((start + size, count));
            }
            int[] labelArray = labels.cpu().to(ScalarType.Int64).data<long>().Select(l => (int)l).ToArray();
            return new SaliencyProfiles(Layout, cat(rows, 0), labelArray, sourceIndices);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    /// <summary>
    /// The batched engine's first batch is checked against the loop (the definition) on up to two
    /// images: libtorch's CPU convolution kernels have given wrong batched gradients for some
    /// narrow layers on some processors (see <see cref="Runtime.CpuKernels"/>). On a mismatch an
    /// automatically chosen engine falls back to the loop; an explicitly requested one throws.
    /// </summary>
    Tensor BatchedChecked(Tensor images, Tensor labels)
    {
        var values = batched!.Profile(images, labels);
        if (batchedVerified || images.shape[0] < 2) return values;
        using var scope = NewDisposeScope();
        long checkedCount = Math.Min(2, images.shape[0]);
        var reference = loop.Profile(images.narrow(0, 0, checkedCount), labels.narrow(0, 0, checkedCount)).to(ScalarType.Float64);
        var difference = ((values.narrow(0, 0, checkedCount).to(ScalarType.Float64) - reference).abs().sum() / reference.abs().sum().clamp_min(1e-300)).item<double>();
        if (difference <= SelfCheckTolerance)
        {
            batchedVerified = true;
            return values;
        }
        string reason = $"the batched engine disagreed with the per-image loop by {difference:E1} (relative L1) on this model and processor, " +
                        "a known fault of libtorch's CPU convolution kernels for narrow layers";
        if (Options.Engine == ProfileEngine.Batched) throw new InvalidOperationException($"Batched profiling is unreliable here: {reason}. Use ProfileEngine.Loop or Auto.");
        Engine = ProfileEngine.Loop;
        EngineFallbackReason = reason;
        Console.Error.WriteLine($"ParameterSaliency: using the loop engine: {reason}.");
        return loop.Profile(images, labels).MoveToOuterDisposeScope();
    }

    /// <summary>Profiles of the images of <paramref name="data"/> at <paramref name="indices"/> (all when null).</summary>
    public SaliencyProfiles Profile(ImageDataset data, IReadOnlyList<int>? indices = null, IProgress<(int Done, int Total)>? progress = null)
    {
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to profile.");
        if (indices is null) return Profile(data.Images, data.Labels, progress);
        using var subset = data.Subset(indices);
        return Profile(subset.Images, subset.Labels, progress, indices.ToArray());
    }
}
