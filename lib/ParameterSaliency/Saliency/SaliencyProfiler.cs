using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Computes saliency profiles s(x, y) = |∇_θ L(f_θ(x), y)|, aggregated per parameter, filter, neuron, head or
/// layer (paper §2.1), one image at a time in eval mode with the TRUE label y; the profile of
/// an image never depends on the other images of its batch.
/// <code>
/// var profiler = new SaliencyProfiler(model);              // filter-wise (neuron-wise without convolutions), automatic engine
/// using var profiles = profiler.Profile(images, labels);  // [N, 1200] for the default model
/// </code>
/// </summary>
public sealed class SaliencyProfiler
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ModelInputs inputs;
    readonly LoopEngine loop;
    readonly BatchedEngine? batched;

    /// <summary>Prepares a profiler for <paramref name="model"/>; fails when the model has none of the units the aggregation needs, or when the batched engine is asked for and cannot handle the model.</summary>
    /// <param name="model">Classifier f_θ to explain, mapping images [N, C, H, W] to logits.</param>
    /// <param name="options">Aggregation, engine and images per pass; null: the defaults (filter-wise for convolutional networks and neuron-wise otherwise, <see cref="ProfileEngine.Auto"/>, 64 per pass).</param>
    public SaliencyProfiler(nn.Module<Tensor, Tensor> model, ProfilerOptions? options = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        Options = (options ?? new ProfilerOptions()) is var given && given.Aggregation is null ? given with { Aggregation = ProfilerOptions.DefaultAggregationFor(model) } : given;
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "BatchSize must be at least 1.");
        inputs = ModelInputs.Of(model);
        Layout = ProfileLayout.For(model, Options.Aggregation!.Value, Options.LayerWiseAllTensors);
        loop = new LoopEngine(model, Layout);
        batched = BatchedEngine.TryCreate(model, Layout, out string? reason);
        (Engine, EngineReason) = Options.Engine switch
        {
            ProfileEngine.Loop => (ProfileEngine.Loop, "loop: requested"),
            ProfileEngine.Batched => batched is not null ? (ProfileEngine.Batched, "batched: requested")
                : throw new NotSupportedException($"The batched engine cannot profile this model: {reason}. Use ProfileEngine.Loop or Auto."),
            _ when batched is null => (ProfileEngine.Loop, $"loop: {reason}"),
            _ => (ProfileEngine.Batched, "batched until measured: the first batch of two or more images is profiled by both engines and the faster one is kept"),
        };
    }

    /// <summary>The options in force.</summary>
    public ProfilerOptions Options { get; }

    /// <summary>The batched engine for this model and layout, or null when the model has layers it does not handle (whatever engine runs).</summary>
    internal BatchedEngine? BatchedEngineOrNull => batched;

    /// <summary>
    /// Most input values (images × C·H·W) of one pass: 2^20, 4 MB of float32. The activations a batched pass keeps for its
    /// backward grow with it: ResNet-50 at 3x224x224 peaked at 5.5 GB with 16 images per pass, at 3.0 GB with 8.
    /// </summary>
    public const long InputValuesPerPass = 1L << 20;

    /// <summary>Images per pass for images of <paramref name="valuesPerImage"/> values (C·H·W): <see cref="ProfilerOptions.BatchSize"/>, fewer for large images (<see cref="InputValuesPerPass"/>), never fewer than 2 unless BatchSize is 1.</summary>
    /// <param name="valuesPerImage">Input values per image, C·H·W.</param>
    public int ImagesPerPass(long valuesPerImage) => (int)Math.Min(Options.BatchSize, Math.Max(2, InputValuesPerPass / Math.Max(1, valuesPerImage)));
    /// <summary>What each profile entry means (filter names for filter-wise profiles).</summary>
    public ProfileLayout Layout { get; }
    /// <summary>The engine this profiler uses (never <see cref="ProfileEngine.Auto"/>).</summary>
    public ProfileEngine Engine { get; private set; }

    /// <summary>Which engine runs and why, e.g. "batched: measured faster (…); its first 16 images matched the loop (…)", and whether later passes run two at a time.</summary>
    public string EngineReason { get; private set; }

    /// <summary>Why an automatically chosen batched engine was replaced by the loop, if it was.</summary>
    public string? EngineFallbackReason { get; private set; }

    /// <summary>
    /// Row-relative L1 difference between the batched engine and the loop above which the batched engine is not trusted,
    /// on any of the first <see cref="SelfCheckImages"/> images of the first batch of two or more (rows either engine's <see cref="SettlingCheck"/> recomputes under float64's ReLU masks
    /// are left out: their float32 rows may differ by 1e-2). Both engines' other rows were within 6.9e-6 of float64 on the
    /// first 1,024 test images, under every oneDNN cap; the bound is the one the tests hold every row to.
    /// </summary>
    public const double SelfCheckTolerance = 1e-3;
    bool batchedVerified;
    /// <summary>The model being explained.</summary>
    public nn.Module<Tensor, Tensor> Model => model;
    /// <summary>SHA-256 of the model's current state dict: what statistics computed with it are tied to.</summary>
    public string ModelFingerprint => Fingerprints.Model(model);

    /// <summary>Profiles of <paramref name="images"/> [N, C, H, W] (model-ready) with true labels <paramref name="labels"/> [N], in the model's precision (float32 normally; a float64 model gives float64 profiles).</summary>
    /// <param name="images">Images x [N, C, H, W], model-ready (normalised), floating point; moved to the model's device and dtype pass by pass.</param>
    /// <param name="labels">True labels y [N], integers in [0, classes).</param>
    /// <param name="progress">Receives (images done, N) after each pass; null: no reports.</param>
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
            using var busy = Runtime.CoreShare.Busy();
            long valuesPerImage = images.shape[1] * images.shape[2] * images.shape[3];
            int perPass = ImagesPerPass(valuesPerImage);
            twin?.Invalidate(); // the model's weights may have changed since the last call
            using var check = new SettlingCheck(() => twin ??= Float64Twin.For(model, Layout), SettleMaskBudget) { Guard = Options.Guard };
            int passes = (count + perPass - 1) / perPass, done = 0;
            int PassSize(int pass) => Math.Min(perPass, count - pass * perPass);
            (Tensor Images, Tensor Labels) PassInputs(int pass) =>
                (images.narrow(0, pass * perPass, PassSize(pass)).to(inputs.DType).to(inputs.Device), labels.narrow(0, pass * perPass, PassSize(pass)).to(ScalarType.Int64).to(inputs.Device));
            // Once the batched engine is measured and checked, the passes left go on two lanes when that pays (small images, 2+ threads).
            bool OnLanes(int passesLeft) => Engine == ProfileEngine.Batched && batchedVerified && passesLeft >= 2
                                            && (LanesForced ?? ProfileLanes.Worthwhile(valuesPerImage, inputs.Device)) && (lanes ??= ProfileLanes.For(model, Layout)) is not null;
            for (int pass = 0; pass < passes; pass++)
            {
                if (OnLanes(passes - pass))
                {
                    int firstPass = pass;
                    var laneRows = lanes!.Run(passes - firstPass, batched!, check, (engine, laneCheck, index) =>
                    {
                        using var passScope = NewDisposeScope();
                        var (passImages, passLabels) = PassInputs(firstPass + index);
                        return engine.Profile(passImages, passLabels, laneCheck, (firstPass + index) * perPass).detach().cpu().DetachFromDisposeScope();
                    }, index => progress?.Report((done += PassSize(firstPass + index), count)));
                    foreach (var laneRow in laneRows) rows.Add(laneRow.MoveToOtherDisposeScope(scope));
                    if (!EngineReason.EndsWith(LanesNote, StringComparison.Ordinal)) EngineReason += LanesNote;
                    break;
                }
                busy.Tick();
                using var batchScope = NewDisposeScope();
                var (batchImages, batchLabels) = PassInputs(pass);
                var values = Engine == ProfileEngine.Batched ? BatchedChecked(batchImages, batchLabels, check, pass * perPass) : loop.Profile(batchImages, batchLabels, check, pass * perPass);
                rows.Add(values.detach().cpu().MoveToOuterDisposeScope());
                progress?.Report((done += PassSize(pass), count));
            }
            int[] labelArray = labels.cpu().to(ScalarType.Int64).data<long>().Select(l => (int)l).ToArray();
            var profiles = cat(rows, 0);
            // Rows a twin proved wrong (the model's, or on the second lane its replica's) are recomputed; rows no twin could check are reported.
            List<int> float64Rows = [.. check.Wrong], unsettledRows = [.. check.Unverified.Keys];
            if (float64Rows.Count > 0) profiles = Settle(profiles, images, labels, float64Rows, perPass, check);
            if (unsettledRows.Count > 0 && Options.Guard == KinkGuard.Exact)
                Runtime.Notices.Writer.WriteLine($"ParameterSaliency: {unsettledRows.Count} of {count} profiles have a ReLU input float32 cannot settle and stay in float32 " +
                                                 "(register a float64 twin with ExactReference.Register to have them recomputed): rows " + string.Join(", ", unsettledRows.Take(10)) + (unsettledRows.Count > 10 ? ", ..." : ""));
            return new SaliencyProfiles(Layout, profiles, labelArray, sourceIndices)
            {
                Float64MaskRows = float64Rows, UnsettledRows = unsettledRows, UnsettledBounds = [.. check.Unverified.Values], Float32Candidates = check.Candidates,
            };
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    /// <summary>
    /// The batched engine's first batch (of two or more images) is checked against the loop (the definition), image by
    /// image, on its first <see cref="SelfCheckImages"/> images: when any image the settling check leaves in float32 differs
    /// by more than <see cref="SelfCheckTolerance"/>, an automatically chosen engine falls back to the loop and an
    /// explicitly requested one throws. Under <see cref="ProfileEngine.Auto"/> the same batch also decides which engine is
    /// faster on this model and processor: the batched engine runs twice more (warm) and is kept unless the loop's time
    /// per image beats the better of the two by more than 10%.
    /// </summary>
    Tensor BatchedChecked(Tensor images, Tensor labels, SettlingCheck check, int firstRow)
    {
        if (batchedVerified) return batched!.Profile(images, labels, check, firstRow);
        if (images.shape[0] < 2) // nothing to compare a batch of one with: Auto decides on a later batch
            return Options.Engine == ProfileEngine.Batched ? batched!.Profile(images, labels, check, firstRow) : loop.Profile(images, labels, check, firstRow);
        using var scope = NewDisposeScope();
        using SettlingCheck batchedCheck = check.Sibling(), loopCheck = check.Sibling(); // only the returned engine's findings count
        long count = images.shape[0], comparedCount = Math.Min(count, SelfCheckImages);
        var values = batched!.Profile(images, labels, batchedCheck, firstRow);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reference = loop.Profile(images.narrow(0, 0, comparedCount), labels.narrow(0, 0, comparedCount), loopCheck, firstRow);
        double loopSecondsPerImage = clock.Elapsed.TotalSeconds / comparedCount;
        // Rows either engine's check recomputes in float64 are settled later, whatever float32 gave them.
        var settled = batchedCheck.Unsettled.Concat(loopCheck.Unsettled).Select(row => row - firstRow).ToHashSet();
        var rowDifferences = ProfileDifferences.Rows(values.narrow(0, 0, comparedCount), reference);
        var compared = Enumerable.Range(0, rowDifferences.Length).Where(row => !settled.Contains(row)).ToArray();
        int worst = compared.Length == 0 ? -1 : compared.MaxBy(row => rowDifferences[row]);
        double difference = worst < 0 ? 0 : rowDifferences[worst];
        string agreement = $"its first {comparedCount} images matched the loop (largest relative difference {difference:E1}" + (settled.Count > 0 ? $", {settled.Count} recomputed under float64's ReLU masks" : "") + ")";
        Tensor LoopForAll() => count == comparedCount ? reference
            : cat([reference, loop.Profile(images.narrow(0, comparedCount, count - comparedCount), labels.narrow(0, comparedCount, count - comparedCount), loopCheck, firstRow + (int)comparedCount)], 0);
        if (difference > SelfCheckTolerance)
        {
            string reason = $"the batched engine disagreed with the per-image loop by {difference:E1} (relative L1) on image {firstRow + worst} of its first batch " +
                            $"on this model and processor on the CPU kernels {Runtime.CpuKernels.Policy.Kernels}";
            if (Options.Engine == ProfileEngine.Batched) throw new InvalidOperationException($"Batched profiling is unreliable here: {reason}. Use ProfileEngine.Loop or Auto.");
            UseLoop($"loop: {reason}", reason);
            var all = LoopForAll();
            check.Include(loopCheck);
            Runtime.Notices.Writer.WriteLine($"ParameterSaliency: using the loop engine: {reason}.");
            return all.MoveToOuterDisposeScope();
        }
        batchedVerified = true;
        if (Options.Engine == ProfileEngine.Batched)
        {
            EngineReason += "; " + agreement;
            check.Include(batchedCheck);
            return values.MoveToOuterDisposeScope();
        }
        // The batched engine's warm time, the better of two runs (a single run of a few tens of milliseconds can fall on
        // a moment when other processes hold the cores); it is kept unless the loop is faster per image by more than 10%.
        double batchedSecondsPerImage = double.MaxValue;
        for (int run = 0; run < 2; run++)
        {
            clock.Restart();
            batched.Profile(images, labels).Dispose();
            batchedSecondsPerImage = Math.Min(batchedSecondsPerImage, clock.Elapsed.TotalSeconds / count);
        }
        string speeds = $"{1 / batchedSecondsPerImage:F0} img/s batched on the first {count} images, {1 / loopSecondsPerImage:F0} img/s in the loop on the first {comparedCount}";
        if (batchedSecondsPerImage <= loopSecondsPerImage * 1.1)
        {
            EngineReason = $"batched: measured {(batchedSecondsPerImage <= loopSecondsPerImage ? "faster" : "within 10% of the loop")} ({speeds}); {agreement}";
            check.Include(batchedCheck);
            return values.MoveToOuterDisposeScope();
        }
        UseLoop($"loop: measured faster ({speeds}); {agreement}", fallback: null);
        var profiles = LoopForAll();
        check.Include(loopCheck);
        return profiles.MoveToOuterDisposeScope();
    }

    /// <summary>How many images of the first batch the loop profiles to check the batched engine and time it against: the loop is the slow one.</summary>
    public const int SelfCheckImages = 16;

    /// <summary>
    /// <paramref name="values"/> [N, F] with the rows <paramref name="unsettled"/> recomputed, <paramref name="perPass"/>
    /// images at a time, by the engine in force in float32 with every ReLU mask pinned to a float64 forward's
    /// (<see cref="PinnedRelus"/>): float64's masks, float32's arithmetic, the cost of a float32 pass. The masks are those
    /// <paramref name="check"/>'s float64 forward found the rows wrong with, or, for a pass with a row whose masks it did
    /// not keep, a new forward (<see cref="Float64Twin.OpenMasks"/>).
    /// </summary>
    Tensor Settle(Tensor values, Tensor images, Tensor labels, List<int> unsettled, int perPass, SettlingCheck check)
    {
        values = values.clone();
        for (int start = 0; start < unsettled.Count; start += perPass)
        {
            using var passScope = NewDisposeScope();
            var passRows = unsettled.Skip(start).Take(perPass).ToArray();
            var rows = tensor(passRows.Select(row => (long)row).ToArray());
            var passImages = images.index_select(0, rows).to(inputs.DType).to(inputs.Device);
            var passLabels = labels.index_select(0, rows).to(ScalarType.Int64).to(inputs.Device);
            var kept = passRows.Select(check.TakeMasks).ToArray();
            List<Tensor> open;
            if (kept.All(masks => masks is not null))
            {
                open = Enumerable.Range(0, kept[0]!.Length).Select(call => kept.Length == 1 ? kept[0]![call].alias() : cat(kept.Select(masks => masks![call]).ToArray(), 0)).ToList();
                RowsSettledWithKeptMasks += kept.Length;
            }
            else open = (twin ??= Float64Twin.For(model, Layout) ?? throw new InvalidOperationException("Rows were proven wrong by a float64 twin, but none can be built for the model now."))
                        .OpenMasks(passImages); // the masks were not kept, or the rows were found on the second lane
            foreach (var mask in kept.Where(masks => masks is not null).SelectMany(masks => masks!)) mask.Dispose();
            try
            {
                Tensor settled;
                using (var pinned = new PinnedRelus(model, open))
                {
                    settled = Engine == ProfileEngine.Batched ? batched!.Profile(passImages, passLabels) : loop.Profile(passImages, passLabels);
                    long expected = open.Count * (Engine == ProfileEngine.Batched ? 1 : passImages.shape[0]);
                    if (pinned.Calls != expected)
                        throw new InvalidOperationException($"The model ran {pinned.Calls} ReLUs where its float64 twin ran {expected}: the builder given to ExactReference.Register builds another architecture.");
                }
                values.index_copy_(0, rows, settled.detach().cpu().to(values.dtype));
            }
            finally
            {
                foreach (var mask in open) mask.Dispose();
            }
        }
        return values;
    }

    Float64Twin? twin;
    ProfileLanes? lanes;

    /// <summary>What <see cref="EngineReason"/> ends with once passes have run on lanes.</summary>
    const string LanesNote = "; passes after the first batch run two at a time, on two threads (small images)";

    /// <summary>How many passes, over all calls, ran on two lanes at once (<see cref="ProfileLanes"/>).</summary>
    internal int PassesOnLanes => lanes?.PassesRun ?? 0;

    /// <summary>Whether the passes after the first batch run on lanes (two or more of them, a replica): null, when <see cref="ProfileLanes.Worthwhile"/>; true, always (the tests, whose process has one libtorch thread); false, never.</summary>
    internal bool? LanesForced { get; set; }

    /// <summary>
    /// Most bytes of float64 masks one call keeps for the rows float32 got wrong (<see cref="SettlingCheck.MaskBudgetBytes"/>),
    /// so that settling them needs no second float64 forward; 0: every wrong row is run through the twin again (the tests
    /// compare the two).
    /// </summary>
    internal long SettleMaskBudget { get; init; } = SettlingCheck.MaskBudgetBytes;

    /// <summary>How many rows, over all calls, were settled with the masks their check kept (the others took a second float64 forward).</summary>
    internal int RowsSettledWithKeptMasks { get; private set; }

    /// <summary>
    /// Goes on with the engine an interrupted statistics pass measured and used (<see cref="ProfileEngine.Auto"/> only; an
    /// explicitly requested engine is part of the checkpoint's key), so that the resumed pass is bit-identical to an
    /// uninterrupted one.
    /// </summary>
    internal void ContinueWith(ProfileEngine engine)
    {
        if (Options.Engine != ProfileEngine.Auto || batchedVerified || engine == ProfileEngine.Auto) return;
        if (engine == ProfileEngine.Loop) UseLoop("loop: the engine the interrupted pass this one resumes chose on its first batch", fallback: null);
        else if (batched is not null)
        {
            Engine = ProfileEngine.Batched;
            EngineReason = "batched: the engine the interrupted pass this one resumes chose on its first batch (faster than the loop, and matching it)";
            batchedVerified = true;
        }
    }

    void UseLoop(string reason, string? fallback)
    {
        Engine = ProfileEngine.Loop;
        EngineReason = reason;
        EngineFallbackReason = fallback;
    }

    /// <summary>Profiles of the images of <paramref name="data"/> at <paramref name="indices"/> (all when null).</summary>
    /// <param name="data">Data set (not empty) whose images and true labels are profiled.</param>
    /// <param name="indices">Indices of the images of <paramref name="data"/> to profile, in this order; null: all.</param>
    /// <param name="progress">Receives (images done, images to profile) after each pass; null: no reports.</param>
    public SaliencyProfiles Profile(ImageDataset data, IReadOnlyList<int>? indices = null, IProgress<(int Done, int Total)>? progress = null)
    {
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to profile.");
        if (indices is null) return Profile(data.Images, data.Labels, progress);
        using var subset = data.Subset(indices);
        return Profile(subset.Images, subset.Labels, progress, indices.ToArray());
    }
}
