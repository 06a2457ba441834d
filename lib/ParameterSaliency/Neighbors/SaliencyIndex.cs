using TorchSharp;
using System.Globalization;
using System.Security.Cryptography;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Neighbors;

/// <summary>
/// An index of one vector per image for cosine nearest-neighbour queries (paper §3.2, SPEC §4): the
/// standardized filter-wise profiles ŝ of every image of a data set (<see cref="Build"/>), or raw
/// pixels (<see cref="Pixels"/>) for comparison. Rows are stored L2-normalised, so a query is one
/// matrix product; the query image itself comes back as neighbour 0.
/// <code>
/// var index = SaliencyIndex.LoadOrBuild(path, profiler, statistics, test);   // 10,000 x 1,200
/// var neighbours = index.Neighbors(query, n: 10);                            // itself first
/// </code>
/// </summary>
public sealed class SaliencyIndex : IDisposable
{
    /// <summary>The smallest norm a vector is divided by: a zero vector stays zero.</summary>
    static readonly Scalar NormFloor = 1e-30;

    /// <summary>Bumped whenever what an index file holds changes meaning; older caches are rebuilt.</summary>
    public const int FormatVersion = 1;
    const string Kind = "parameter-saliency-index";

    SaliencyIndex(string space, string dataName, Tensor vectors, IReadOnlyList<int> labels, IReadOnlyDictionary<string, string> fingerprints)
    {
        if (vectors.dim() != 2 || vectors.shape[0] != labels.Count) throw new ArgumentException($"An index needs one vector per image: got [{string.Join(", ", vectors.shape)}] for {labels.Count} labels.");
        if (labels.Count == 0) throw new ArgumentException("An index of no images answers no query.");
        if (!isfinite(vectors).all().item<bool>()) throw new ArgumentException("The index vectors contain NaN or infinite values.");
        Space = space;
        DataName = dataName;
        using (var scope = NewDisposeScope())
            Unit = (vectors.to(ScalarType.Float32) / vectors.to(ScalarType.Float32).norm(1, keepdim: true).clamp_min(NormFloor)).cpu().MoveToOuterDisposeScope().DetachFromDisposeScope();
        Labels = labels;
        Fingerprints = fingerprints;
    }

    /// <summary>"saliency" (standardized filter-wise profiles) or "pixel".</summary>
    public string Space { get; }
    /// <summary>The data set indexed.</summary>
    public string DataName { get; }
    /// <summary>The rows, L2-normalised, [N, D], float32.</summary>
    public Tensor Unit { get; }
    /// <summary>True label of every indexed image.</summary>
    public IReadOnlyList<int> Labels { get; }
    /// <summary>What the index was built from (model, statistics, data, format).</summary>
    public IReadOnlyDictionary<string, string> Fingerprints { get; }
    /// <summary>Number of indexed images N.</summary>
    public int Count => Labels.Count;

    /// <summary>Indexes ŝ of every image of <paramref name="data"/> (one profiling pass; the statistics must belong to the profiler's model).</summary>
    /// <param name="profiler">Filter-wise profiler of the model, giving the profiles s.</param>
    /// <param name="statistics">Per-filter μ and σ of the profiles, belonging to the profiler's model.</param>
    /// <param name="data">Data set whose images are indexed, one row ŝ per image.</param>
    /// <param name="progress">Receives progress after every 64 images; null for none.</param>
    /// <param name="absolute">True to standardize as |s − μ| / σ; false (default) for the signed (s − μ) / σ.</param>
    public static SaliencyIndex Build(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, IProgress<PassProgress>? progress = null, bool absolute = false)
    {
        if (!profiler.Layout.IsUnitWise) throw new ArgumentException($"The saliency index holds profiles of units (filters, neurons or heads), not {profiler.Layout.Aggregation} ones.");
        statistics.EnsureBelongsTo(profiler);
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to index.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rows = new List<Tensor>();
        try
        {
            const int chunk = 64;
            for (int start = 0; start < data.Count; start += chunk)
            {
                using var scope = NewDisposeScope();
                int size = Math.Min(chunk, data.Count - start);
                using var profiles = profiler.Profile(data.Images.narrow(0, start, size), data.Labels.narrow(0, start, size));
                using var z = StandardizedProfiles.Of(profiles, statistics, absolute);
                rows.Add(z.Values.clone().DetachFromDisposeScope());
                progress?.Report(new PassProgress("Saliency index", start + size, data.Count, clock.Elapsed));
            }
            using var all = cat(rows, 0);
            return new SaliencyIndex("saliency", data.Name, all, data.LabelArray, ExpectedFingerprints(profiler, statistics, data, absolute));
        }
        finally
        {
            foreach (var row in rows) row.Dispose();
        }
    }

    /// <summary>A pixel-space index of <paramref name="data"/>: cosine similarity of the images' pixels in [0, 1].</summary>
    /// <param name="data">Data set whose images are indexed, one row of pixels in [0, 1] per image.</param>
    public static SaliencyIndex Pixels(ImageDataset data)
    {
        using var scope = NewDisposeScope();
        var pixels = data.Normalization.Invert(data.Images).reshape(data.Count, -1);
        return new SaliencyIndex("pixel", data.Name, pixels, data.LabelArray, new Dictionary<string, string> { ["data_fingerprint"] = ParameterSaliency.Saliency.Fingerprints.Data(data.Images, data.Labels).ToString() });
    }

    /// <summary>
    /// The index cached at <paramref name="path"/> when it was built from this model, these statistics and
    /// these images; otherwise (missing, stale, damaged) builds it and rewrites the cache atomically.
    /// Processes that want the same index at once take turns (<see cref="CacheLock"/>): one builds, the others wait and read it.
    /// </summary>
    /// <param name="path">Cache file to read, or to write after building.</param>
    /// <param name="profiler">Filter-wise profiler of the model, giving the profiles s.</param>
    /// <param name="statistics">Per-filter μ and σ of the profiles, belonging to the profiler's model.</param>
    /// <param name="data">Data set whose images are indexed, one row ŝ per image.</param>
    /// <param name="progress">Receives progress while building; null for none.</param>
    /// <param name="log">Where notes on a rejected cache or a wait for another process go; null for the library's notice writer.</param>
    public static SaliencyIndex LoadOrBuild(string path, SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, IProgress<PassProgress>? progress = null, TextWriter? log = null)
    {
        log ??= Runtime.Notices.Writer;
        var expected = ExpectedFingerprints(profiler, statistics, data, absolute: false);
        using var turn = CacheLock.Acquire(path, log);
        if (File.Exists(path))
        {
            try
            {
                var cached = Load(path);
                var stale = expected.Where(e => !cached.Fingerprints.TryGetValue(e.Key, out var value) || value != e.Value).Select(e => e.Key).ToArray();
                if (stale.Length == 0) return cached;
                cached.Dispose();
                log.WriteLine($"Not using the cached saliency index in {path}: its {string.Join(", ", stale)} differ. Rebuilding.");
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or KeyNotFoundException)
            {
                log.WriteLine($"Not using the cached saliency index in {path}: {e.Message} Rebuilding.");
            }
        }
        var index = Build(profiler, statistics, data, progress);
        index.Save(path);
        return index;
    }

    /// <summary>Writes the normalised rows, labels and fingerprints atomically.</summary>
    /// <param name="path">File to write; its folder is created when missing.</param>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var labels = tensor(Labels.Select(l => (long)l).ToArray());
        var metadata = new Dictionary<string, string>(Fingerprints) { ["kind"] = Kind, ["space"] = Space, ["data"] = DataName };
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["vectors"] = Unit, ["labels"] = labels }, metadata);
    }

    /// <summary>Reads an index written by <see cref="Save"/>; a damaged or foreign file is refused with a message.</summary>
    /// <param name="path">Index file written by <see cref="Save"/>.</param>
    public static SaliencyIndex Load(string path)
    {
        using var content = SafeTensors.Read(path);
        if (!content.Metadata.TryGetValue("kind", out var kind) || kind != Kind) throw new InvalidDataException($"{path} is not a saliency index.");
        var labels = content["labels"].data<long>().Select(l => (int)l).ToArray();
        return new SaliencyIndex(content.Metadata["space"], content.Metadata["data"], content["vectors"], labels,
            content.Metadata.Where(m => m.Key is not ("kind" or "space" or "data")).ToDictionary());
    }

    /// <summary>The n images most similar to indexed image <paramref name="query"/>, itself first (similarity 1).</summary>
    /// <param name="query">Index of the query image in the index.</param>
    /// <param name="n">Images returned, the query included, in [1, Count] (default 10).</param>
    public NeighborList Neighbors(int query, int n = 10) => Neighbors([query], n)[0];

    /// <summary>Neighbour lists of many indexed images at once (chunked matrix products).</summary>
    /// <param name="queries">Indices of the query images in the index.</param>
    /// <param name="n">Images per list, the query included, in [1, Count] (default 10).</param>
    public IReadOnlyList<NeighborList> Neighbors(IReadOnlyList<int> queries, int n = 10)
    {
        if (n < 1 || n > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must lie in [1, {Count}].");
        int bad = queries.ToList().FindIndex(q => q < 0 || q >= Count);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(queries), queries[bad], $"The index holds images [0, {Count}).");
        var results = new List<NeighborList>(queries.Count);
        const int chunk = 256;
        for (int start = 0; start < queries.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            int size = Math.Min(chunk, queries.Count - start);
            var rows = queries.Skip(start).Take(size).ToArray();
            var similarity = Unit.index_select(0, tensor(rows.Select(r => (long)r).ToArray())).matmul(Unit.t());
            // The query itself is neighbour 0 even where another image has the same vector.
            for (int r = 0; r < size; r++) similarity[r, rows[r]] = tensor(float.PositiveInfinity);
            var (values, indices) = similarity.topk(n, dim: 1);
            for (int r = 0; r < size; r++)
            {
                long[] found = indices[r].data<long>().ToArray();
                float[] cosines = values[r].data<float>().ToArray();
                cosines[0] = 1;
                results.Add(new NeighborList(Space, rows[r], found.Select((f, k) => new Neighbor((int)f, cosines[k], Labels[(int)f])).ToArray()));
            }
        }
        return results;
    }

    /// <summary>The n indexed images most similar to an outside vector (e.g. a profile of a new image).</summary>
    /// <param name="vector">Query vector with one finite entry per indexed dimension (e.g. a profile ŝ of a new image); need not be normalised.</param>
    /// <param name="n">Images returned, in [1, Count] (default 10).</param>
    public NeighborList Nearest(IReadOnlyList<float> vector, int n = 10)
    {
        if (vector.Count != Unit.shape[1]) throw new ArgumentException($"The vector has {vector.Count} entries; the index holds {Unit.shape[1]}.");
        if (vector.Any(v => !float.IsFinite(v))) throw new ArgumentException("The query vector contains NaN or infinite values.");
        if (n < 1 || n > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must lie in [1, {Count}].");
        using var scope = NewDisposeScope();
        var query = tensor(vector.ToArray());
        var (values, indices) = Unit.matmul(query / query.norm().clamp_min(NormFloor)).topk(n);
        long[] found = indices.data<long>().ToArray();
        float[] cosines = values.data<float>().ToArray();
        return new NeighborList(Space, null, found.Select((f, k) => new Neighbor((int)f, cosines[k], Labels[(int)f])).ToArray());
    }

    static Dictionary<string, string> ExpectedFingerprints(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, bool absolute) => new()
    {
        ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        ["model_fingerprint"] = profiler.ModelFingerprint,
        ["statistics_fingerprint"] = StatisticsFingerprint(statistics),
        ["data_fingerprint"] = ParameterSaliency.Saliency.Fingerprints.Data(data.Images, data.Labels).ToString(),
        ["standardization"] = absolute ? "absolute" : "signed",
    };

    static string StatisticsFingerprint(SaliencyStatistics statistics)
    {
        var bytes = new byte[statistics.Mean.Count * 16];
        for (int i = 0; i < statistics.Mean.Count; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 16), statistics.Mean[i]);
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 16 + 8), statistics.Std[i]);
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <inheritdoc/>
    public void Dispose() => Unit.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{Space} index of {Count:N0} images of {DataName}, {Unit.shape[1]} dimensions";
}
