using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// μ and σ of saliency profiles over a validation set D (paper Appendix A.1): per-entry mean
/// and SAMPLE standard deviation (N - 1), accumulated in float64 over every image of D with its
/// true label. Carries fingerprints of the model, the data and the options, so statistics of
/// another model or a changed data set are refused rather than silently used.
/// </summary>
public sealed class SaliencyStatistics
{
    const string Kind = "parameter-saliency-statistics/1";

    /// <summary>Bumped whenever the computation of profiles changes (2: loss evaluated in float64); cached statistics of another version are recomputed.</summary>
    public const int AlgorithmVersion = 2;

    SaliencyStatistics(StatisticsAccumulator accumulator, IReadOnlyList<string> entryNames, Aggregation aggregation, string modelFingerprint, DataFingerprint data, string dataName,
        IReadOnlyList<double>? importedStd = null)
    {
        Accumulator = accumulator;
        EntryNames = entryNames;
        Aggregation = aggregation;
        ModelFingerprint = modelFingerprint;
        Data = data;
        DataName = dataName;
        Std = importedStd ?? accumulator.SampleStd();
    }

    internal StatisticsAccumulator Accumulator { get; }
    /// <summary>μ, per entry (float64).</summary>
    public IReadOnlyList<double> Mean => Accumulator.Mean;
    /// <summary>σ, per entry: sample standard deviation (float64).</summary>
    public IReadOnlyList<double> Std { get; }
    /// <summary>Number of profiles |D|; 0 when unknown (statistics imported from a file that records no count).</summary>
    public long Count => Accumulator.Count;

    /// <summary>False for imported statistics whose sample count is unknown: they cannot be merged.</summary>
    public bool CountKnown => Count > 0;

    /// <summary>
    /// μ and σ computed elsewhere (e.g. the authors' released ImageNet statistics), with this library's entry
    /// names; the sample count is unknown (<see cref="CountKnown"/> false), so they refuse to merge, and no model
    /// fingerprint is recorded, so only the entries are checked when a profiler uses them.
    /// </summary>
    /// <param name="mean">μ, one finite value per entry.</param>
    /// <param name="std">σ, one finite, non-negative value per entry.</param>
    /// <param name="entryNames">This library's entry (filter) names, as many as <paramref name="mean"/> and <paramref name="std"/>.</param>
    /// <param name="source">Where the statistics come from: names them in errors and is recorded as <see cref="DataName"/>.</param>
    public static SaliencyStatistics Imported(IReadOnlyList<double> mean, IReadOnlyList<double> std, IReadOnlyList<string> entryNames, string source)
    {
        if (mean.Count != entryNames.Count || std.Count != entryNames.Count)
            throw new ArgumentException($"{source}: {mean.Count} means and {std.Count} standard deviations for {entryNames.Count} filters.");
        int bad = Enumerable.Range(0, mean.Count).FirstOrDefault(i => !double.IsFinite(mean[i]) || !double.IsFinite(std[i]) || std[i] < 0, -1);
        if (bad >= 0) throw new InvalidDataException($"{source}: entry {bad} ({entryNames[bad]}) has μ = {mean[bad]}, σ = {std[bad]}.");
        var accumulator = new StatisticsAccumulator(mean.ToArray(), new double[mean.Count], 0);
        return new SaliencyStatistics(accumulator, entryNames, Aggregation.FilterWise, UnknownModel, new DataFingerprint(0, 0), source, std.ToArray());
    }

    /// <summary>The model fingerprint of imported statistics: none.</summary>
    const string UnknownModel = "unknown";
    /// <summary>Entry names (filter names for filter-wise statistics).</summary>
    public IReadOnlyList<string> EntryNames { get; }
    /// <summary>The aggregation of the profiles.</summary>
    public Aggregation Aggregation { get; }
    /// <summary>SHA-256 of the model's state dict (<see cref="Fingerprints.Model"/>).</summary>
    public string ModelFingerprint { get; }
    /// <summary>Mergeable fingerprint of the images and labels of D.</summary>
    public DataFingerprint Data { get; }
    /// <summary>SHA-256 (first 16 hex digits) of μ, σ and |D| as stored: equal checksums, bit-identical statistics.</summary>
    public string Checksum
    {
        get
        {
            var bytes = new List<byte>();
            foreach (double value in Mean.Concat(Std)) bytes.AddRange(BitConverter.GetBytes(value));
            bytes.AddRange(BitConverter.GetBytes(Count));
            return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()))[..16];
        }
    }

    /// <summary>What D was, e.g. <c>fashion-mnist:test</c> or <c>fashion-mnist:test[shard 1/4]</c>.</summary>
    public string DataName { get; }

    /// <summary>
    /// How the profiles behind μ and σ treated rows that hang on a ReLU input within float32 rounding of zero: checked in
    /// float64 (<see cref="KinkGuard.Exact"/>, also every file that records nothing) or left in float32 (<see cref="KinkGuard.Flag"/>).
    /// A cache computed under Flag is not used for a profiler that checks.
    /// </summary>
    public KinkGuard Guard { get; init; } = KinkGuard.Exact;

    /// <summary>One pass of <paramref name="profiler"/> over <paramref name="data"/> (the images at <paramref name="indices"/>, or all); memory stays flat whatever the size of D.</summary>
    /// <param name="profiler">Profiler whose model, layout and options compute the profiles s.</param>
    /// <param name="data">The validation set D.</param>
    /// <param name="indices">Indices of the images of D to use (at least 2); null: all.</param>
    /// <param name="dataName">Name of D recorded in the statistics; null: the data set's name.</param>
    /// <param name="progress">Receives a <see cref="PassProgress"/> after each chunk of images; null: no reports.</param>
    public static SaliencyStatistics Compute(SaliencyProfiler profiler, IImageSource data, IReadOnlyList<int>? indices = null, string? dataName = null, IProgress<PassProgress>? progress = null) =>
        Compute(profiler, data, indices, dataName, progress, checkpoint: null, TimeSpan.Zero, Runtime.Notices.Writer);

    /// <summary>The pass, resuming from <paramref name="checkpoint"/> when it holds an earlier part of it, and saving it after a chunk whenever <paramref name="checkpointEvery"/> has passed.</summary>
    static SaliencyStatistics Compute(SaliencyProfiler profiler, IImageSource data, IReadOnlyList<int>? indices, string? dataName, IProgress<PassProgress>? progress,
        StatisticsCheckpoint? checkpoint, TimeSpan checkpointEvery, TextWriter log)
    {
        var chosen = indices ?? Enumerable.Range(0, data.Count).ToArray();
        if (chosen.Count < 2) throw new ArgumentException($"Statistics need at least 2 images; {data.Name} gives {chosen.Count}.");
        var accumulator = new StatisticsAccumulator(profiler.Layout.Length);
        var fingerprint = new DataFingerprint(0, 0);
        int first = 0;
        if (checkpoint?.TryRead(log) is var (saved, savedFingerprint, done, engine) && done <= chosen.Count && saved.Length == profiler.Layout.Length)
        {
            (accumulator, fingerprint, first) = (saved, savedFingerprint, done);
            profiler.ContinueWith(engine);
            log.WriteLine($"Resuming from {checkpoint.Path}: {done:N0} of {chosen.Count:N0} images already done.");
        }
        var clock = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        // Chunks start at multiples of `chunk` from the first image, in a resumed pass too: the same batches, the same numbers.
        // Two batches a chunk, so that small images' passes run two at a time (ProfileLanes).
        int chunk = 2 * Math.Max(profiler.Options.BatchSize, 64);
        for (int start = first; start < chosen.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            var slice = chosen.Skip(start).Take(chunk).ToArray();
            using var subset = data.Read(slice);
            using var profiles = profiler.Profile(subset.Images, subset.Labels);
            accumulator.Add(profiles.Values);
            fingerprint = fingerprint.Merge(Fingerprints.Data(subset.Images, subset.Labels));
            Runtime.NativeHeap.Trim(); // free pages back to the system every 2 s: the resident set plateaus lower
            progress?.Report(new PassProgress("Saliency statistics", start + slice.Length, chosen.Count, clock.Elapsed, start + slice.Length - first));
            if (checkpoint is not null && start + slice.Length < chosen.Count && sinceCheckpoint.Elapsed >= checkpointEvery)
            {
                checkpoint.Write(accumulator, fingerprint, start + slice.Length, profiler.Engine);
                sinceCheckpoint.Restart();
            }
        }
        return new SaliencyStatistics(accumulator, profiler.Layout.EntryNames, profiler.Layout.Aggregation, profiler.ModelFingerprint, fingerprint, dataName ?? data.Name)
        {
            Guard = profiler.Options.Guard,
        };
    }

    /// <summary>
    /// The statistics cached at <paramref name="path"/> if they were computed for this profiler's
    /// model and options over exactly these images (all of <paramref name="data"/>, or those at
    /// <paramref name="indices"/>); otherwise (missing, stale, damaged) computes them and rewrites the
    /// cache atomically. Never returns statistics that belong to something else. Processes that want
    /// the same cache at once take turns (<see cref="CacheLock"/>): one computes, the others wait and read it.
    /// </summary>
    /// <param name="path">The cache file.</param>
    /// <param name="profiler">The profiler whose model and options the statistics must belong to.</param>
    /// <param name="data">The validation set D.</param>
    /// <param name="progress">Progress of a computation.</param>
    /// <param name="log">Where to say why a cache is not used, or that another process is computing it (default: <see cref="Runtime.Notices"/>).</param>
    /// <param name="indices">The images of D to use (default: all).</param>
    /// <param name="dataName">The name of D recorded in the statistics.</param>
    /// <param name="recompute">Compute even when the cache is valid.</param>
    /// <param name="computing">Called just before computing (not when the cache is used).</param>
    /// <param name="checkpointEvery">
    /// How often an unfinished pass saves its state to <c>&lt;path&gt;.partial</c> (default 30 s; zero: after every chunk of
    /// 128 images or two batches). A pass that was interrupted resumes from there, with the same result.
    /// </param>
    public static SaliencyStatistics LoadOrCompute(string path, SaliencyProfiler profiler, IImageSource data, IProgress<PassProgress>? progress = null, TextWriter? log = null,
        IReadOnlyList<int>? indices = null, string? dataName = null, bool recompute = false, Action? computing = null, TimeSpan? checkpointEvery = null)
    {
        log ??= Runtime.Notices.Writer;
        using var turn = CacheLock.Acquire(path, log);
        if (!recompute && TryLoadCached(path, profiler, data, indices, log) is { } cached) return cached;
        computing?.Invoke();
        var checkpoint = StatisticsCheckpoint.For(path, profiler, data, indices ?? Enumerable.Range(0, data.Count).ToArray());
        var statistics = Compute(profiler, data, indices, dataName, progress, checkpoint, checkpointEvery ?? TimeSpan.FromSeconds(30), log);
        statistics.Save(path);
        checkpoint.Delete();
        return statistics;
    }

    /// <summary>The statistics at <paramref name="path"/> when they belong to this profiler and these images; null (and why, on <paramref name="log"/>) otherwise.</summary>
    static SaliencyStatistics? TryLoadCached(string path, SaliencyProfiler profiler, IImageSource data, IReadOnlyList<int>? indices, TextWriter log)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var cached = Load(path);
            cached.EnsureBelongsTo(profiler);
            if (cached.Guard == KinkGuard.Flag && profiler.Options.Guard == KinkGuard.Exact)
                throw new InvalidOperationException("they were computed with KinkGuard.Flag (rows near a ReLU kink left in float32), and this profiler checks those rows in float64");
            var expected = Fingerprint(data, indices ?? Enumerable.Range(0, data.Count).ToArray());
            if (cached.Data != expected)
                throw new InvalidOperationException($"they were computed over other images ({cached.DataName}) than {data.Name}");
            return cached;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or KeyNotFoundException)
        {
            log.WriteLine($"Not using the cached statistics in {path}: {e.Message} Recomputing.");
            return null;
        }
    }

    /// <summary>The fingerprint of the images at <paramref name="indices"/>, read in chunks (the sum of per-image hashes: chunking does not change it).</summary>
    static DataFingerprint Fingerprint(IImageSource data, IReadOnlyList<int> indices)
    {
        if (data is ImageDataset all && indices.Count == all.Count && indices.Select((index, i) => index == i).All(same => same)) return Fingerprints.Data(all.Images, all.Labels);
        var fingerprint = new DataFingerprint(0, 0);
        for (int start = 0; start < indices.Count; start += FingerprintChunk)
        {
            using var chunk = data.Read(indices.Skip(start).Take(FingerprintChunk).ToArray());
            fingerprint = fingerprint.Merge(Fingerprints.Data(chunk.Images, chunk.Labels));
        }
        return fingerprint;
    }

    const int FingerprintChunk = 1024;

    /// <summary>Merges statistics of disjoint shards of D into the statistics of D (same model and options required).</summary>
    /// <param name="shards">Statistics of disjoint shards of D with known counts, of the same model, aggregation and entries.</param>
    /// <param name="dataName">Name of the merged D; null: the shards' names joined with " + ".</param>
    public static SaliencyStatistics Merge(IReadOnlyList<SaliencyStatistics> shards, string? dataName = null)
    {
        if (shards.Count == 0) throw new ArgumentException("Nothing to merge.");
        var first = shards[0];
        var accumulator = new StatisticsAccumulator(first.EntryNames.Count);
        var fingerprint = new DataFingerprint(0, 0);
        foreach (var shard in shards)
        {
            if (!shard.CountKnown)
                throw new ArgumentException($"Cannot merge: '{shard.DataName}' records no sample count (imported statistics), so its weight in a merge is unknown.");
            if (shard.ModelFingerprint != first.ModelFingerprint)
                throw new ArgumentException($"Cannot merge: shard '{shard.DataName}' was computed with another model (fingerprint {shard.ModelFingerprint[..12]}… vs {first.ModelFingerprint[..12]}…).");
            if (shard.Aggregation != first.Aggregation || !shard.EntryNames.SequenceEqual(first.EntryNames))
                throw new ArgumentException($"Cannot merge: shard '{shard.DataName}' has other profile entries or aggregation.");
            accumulator.Merge(shard.Accumulator);
            fingerprint = fingerprint.Merge(shard.Data);
        }
        return new SaliencyStatistics(accumulator, first.EntryNames, first.Aggregation, first.ModelFingerprint, fingerprint,
            dataName ?? string.Join(" + ", shards.Select(s => s.DataName)))
        {
            Guard = shards.Any(shard => shard.Guard == KinkGuard.Flag) ? KinkGuard.Flag : KinkGuard.Exact, // one unchecked shard leaves the whole unchecked
        };
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> unless these statistics were computed for <paramref name="profiler"/>'s model, aggregation and entries.</summary>
    /// <param name="profiler">Profiler whose layout (aggregation and entry names) and model fingerprint are checked; the fingerprint only when these statistics record one.</param>
    public void EnsureBelongsTo(SaliencyProfiler profiler)
    {
        if (profiler.Layout.Aggregation != Aggregation || !profiler.Layout.EntryNames.SequenceEqual(EntryNames))
            throw new InvalidOperationException($"These statistics describe {Aggregation} profiles of {EntryNames.Count} entries; the profiler makes {profiler.Layout.Aggregation} profiles of {profiler.Layout.Length}.");
        if (ModelFingerprint != UnknownModel && profiler.ModelFingerprint != ModelFingerprint)
            throw new InvalidOperationException($"These statistics belong to another model (fingerprint {ModelFingerprint[..12]}…, this model {profiler.ModelFingerprint[..12]}…): recompute them for this model.");
    }

    /// <summary>Writes <c>mean</c>, <c>std</c>, <c>m2</c> (f64 [F]) and <c>count</c> (i64) with the fingerprints, atomically.</summary>
    /// <param name="path">Safetensors file to write (replaced atomically).</param>
    public void Save(string path)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["mean"] = tensor(Mean.ToArray(), ScalarType.Float64),
            ["std"] = tensor(Std.ToArray(), ScalarType.Float64),
            ["m2"] = tensor(Accumulator.M2.ToArray(), ScalarType.Float64),
            ["count"] = tensor(Count, ScalarType.Int64),
        };
        var metadata = new Dictionary<string, string>
        {
            ["kind"] = Kind,
            ["algorithm_version"] = AlgorithmVersion.ToString(CultureInfo.InvariantCulture),
            ["aggregation"] = Aggregation.ToString(),
            ["model_fingerprint"] = ModelFingerprint,
            ["data_fingerprint"] = Data.ToString(),
            ["data"] = DataName,
            ["entries"] = EntryNames.Count.ToString(CultureInfo.InvariantCulture),
            ["entry_names_sha256"] = NamesHash(EntryNames),
        };
        if (Aggregation != Aggregation.ParameterWise) metadata["entry_names"] = string.Join(",", EntryNames);
        if (Guard != KinkGuard.Exact) metadata["guard"] = Guard.ToString(); // exact files stay as they were
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Reads statistics written by <see cref="Save"/>; a damaged, inconsistent or foreign file is refused with a message saying what is wrong.</summary>
    /// <param name="path">Safetensors file written by <see cref="Save"/>.</param>
    public static SaliencyStatistics Load(string path)
    {
        using var content = SafeTensors.Read(path);
        string Get(string key) => content.Metadata.TryGetValue(key, out var value) ? value
            : throw new InvalidDataException($"{path}: no '{key}' in the metadata: not a saliency statistics file.");
        if (Get("kind") != Kind) throw new InvalidDataException($"{path}: kind '{Get("kind")}' is not '{Kind}'.");
        if (!content.Metadata.TryGetValue("algorithm_version", out var version) || version != AlgorithmVersion.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: computed by another version of the profile algorithm ({version ?? "1"}, now {AlgorithmVersion}): stale.");
        if (!Enum.TryParse<Aggregation>(Get("aggregation"), out var aggregation)) throw new InvalidDataException($"{path}: unknown aggregation '{Get("aggregation")}'.");
        int entries = int.Parse(Get("entries"), CultureInfo.InvariantCulture);
        double[] Read(string name)
        {
            var t = content[name];
            if (t.dtype != ScalarType.Float64 || t.dim() != 1 || t.shape[0] != entries)
                throw new InvalidDataException($"{path}: '{name}' must be float64 [{entries}]; it is {t.dtype} [{string.Join(", ", t.shape)}].");
            var values = t.data<double>().ToArray();
            if (values.Any(v => !double.IsFinite(v) || v < 0 && name != "mean")) throw new InvalidDataException($"{path}: '{name}' holds non-finite or negative values.");
            return values;
        }
        double[] mean = Read("mean"), std = Read("std"), m2 = Read("m2");
        long count = content["count"].to(ScalarType.Int64).item<long>();
        bool imported = content.Metadata.TryGetValue("model_fingerprint", out var fingerprint) && fingerprint == UnknownModel;
        if (count < 2 && !(imported && count == 0)) throw new InvalidDataException($"{path}: count {count} is below 2.");
        var names = aggregation == Aggregation.ParameterWise
            ? Enumerable.Range(0, entries).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
            : Get("entry_names").Split(',');
        if (aggregation != Aggregation.ParameterWise && (names.Length != entries || NamesHash(names) != Get("entry_names_sha256")))
            throw new InvalidDataException($"{path}: the entry names do not match their checksum (file damaged?).");
        if (imported) return Imported(mean, std, names, Get("data"));
        var accumulator = new StatisticsAccumulator(mean, m2, count);
        var recomputed = accumulator.SampleStd();
        int bad = Enumerable.Range(0, entries).FirstOrDefault(i => Math.Abs(recomputed[i] - std[i]) > 1e-9 * Math.Max(1e-30, std[i]) + 1e-300, -1);
        if (bad >= 0) throw new InvalidDataException($"{path}: std[{bad}] = {std[bad]:R} disagrees with m2 and count ({recomputed[bad]:R}): file damaged.");
        return new SaliencyStatistics(accumulator, names, aggregation, Get("model_fingerprint"), DataFingerprint.Parse(Get("data_fingerprint")), Get("data"))
        {
            Guard = content.Metadata.TryGetValue("guard", out var guard) && guard == nameof(KinkGuard.Flag) ? KinkGuard.Flag : KinkGuard.Exact,
        };
    }

    static string NamesHash(IEnumerable<string> names) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", names))));

    /// <inheritdoc/>
    public override string ToString() => $"μ, σ of {EntryNames.Count} {Aggregation} entries over {(CountKnown ? $"{Count:N0}" : "an unknown number of")} images of {DataName}";
}
