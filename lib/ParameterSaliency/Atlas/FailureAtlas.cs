using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Hypotheses;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Atlas;

/// <summary>
/// A failure-mode atlas (the paper's promise to "query the data set for images that malfunction the same way", taken to
/// every mistake at once): the misclassified images clustered by their standardized filter-wise profiles ŝ (cosine
/// k-means, k by silhouette), each cluster with its (true → predicted) composition, the filters whose ŝ is higher in it
/// than over all mistakes (permutation p-values, Benjamini-Hochberg across filters) and its most typical images. The same
/// clustering in pixel space and in the classifier's penultimate features says how much ŝ adds: the purity of the
/// clusters in (true, predicted) pairs, beside the purity of random clusters of the same sizes.
/// <example>
/// <code>
/// var atlas = FailureAtlas.Build(profiler, statistics, test, Evaluator.Evaluate(model, test));
/// atlas.Clusters[0].Composition; atlas.Purity["saliency"]; atlas.Purity["pixel"];
/// </code>
/// </example>
/// </summary>
public sealed class FailureAtlas
{
    FailureAtlas(string dataName, IReadOnlyList<string> classNames, int mistakes, IReadOnlyDictionary<int, double> silhouettes, bool chosen,
        IReadOnlyList<FailureCluster> clusters, IReadOnlyDictionary<string, double> purity, double chancePurity, AtlasOptions options)
    {
        DataName = dataName;
        ClassNames = classNames;
        Mistakes = mistakes;
        Silhouettes = silhouettes;
        KChosenBySilhouette = chosen;
        Clusters = clusters;
        Purity = purity;
        ChancePurity = chancePurity;
        Options = options;
    }

    /// <summary>The data set's name.</summary>
    public string DataName { get; }
    /// <summary>Class names, for the compositions.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Misclassified images clustered.</summary>
    public int Mistakes { get; }
    /// <summary>Mean cosine silhouette of the ŝ clustering per k tried.</summary>
    public IReadOnlyDictionary<int, double> Silhouettes { get; }
    /// <summary>True when k was chosen by the silhouette, false when given.</summary>
    public bool KChosenBySilhouette { get; }
    /// <summary>The clusters, largest first.</summary>
    public IReadOnlyList<FailureCluster> Clusters { get; }
    /// <summary>Purity in (true, predicted) pairs of the same k-means in each space: "saliency" (ŝ), "pixel", "embedding" (penultimate features).</summary>
    public IReadOnlyDictionary<string, double> Purity { get; }
    /// <summary>Mean purity of 200 random partitions with the ŝ clusters' sizes: what purity means by chance.</summary>
    public double ChancePurity { get; }
    /// <summary>The options used.</summary>
    public AtlasOptions Options { get; }
    /// <summary>The number of clusters k.</summary>
    public int K => Clusters.Count;

    /// <summary>Builds the atlas of the mistakes in <paramref name="report"/> (an evaluation of the profiler's model on <paramref name="data"/>).</summary>
    /// <param name="profiler">Profiler of the classifier: gives the saliency profiles s of the mistakes, its model the penultimate features, its layout the filter names.</param>
    /// <param name="statistics">μ and σ that standardise s into ŝ; must belong to <paramref name="profiler"/>.</param>
    /// <param name="data">Data set that <paramref name="report"/> evaluates; its misclassified images are profiled and clustered.</param>
    /// <param name="report">Evaluation of the profiler's model on <paramref name="data"/> (same images, same order); its misclassified images are the mistakes.</param>
    /// <param name="options">Number of clusters, restarts, permutations, FDR and listing sizes; null uses the defaults of <see cref="AtlasOptions"/>.</param>
    /// <param name="progress">Receives a short text per stage (profiling, each k, each cluster); may be null.</param>
    public static FailureAtlas Build(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, EvaluationReport report,
        AtlasOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= new AtlasOptions();
        if (report.Labels.Count != data.Count) throw new ArgumentException($"The evaluation covers {report.Labels.Count} images, the data set {data.Count}.");
        int[] mistakes = report.Misclassified.ToArray();
        options.Validate(mistakes.Length);
        statistics.EnsureBelongsTo(profiler);
        using var scope = NewDisposeScope();
        progress?.Report($"profiling {mistakes.Length} mistakes");
        using var standardized = StandardizedProfiles.Of(profiler.Profile(data, mistakes), statistics);
        var z = standardized.Values.to(ScalarType.Float64);
        var pairs = mistakes.Select(i => (report.Labels[i], report.Predictions[i])).ToArray();

        var silhouettes = new Dictionary<int, double>();
        Clustering clustering;
        if (options.Clusters is int given) clustering = CosineKMeans.Fit(z, given, options.Seed, options.Restarts);
        else
        {
            var candidates = new Dictionary<int, Clustering>();
            for (int k = options.MinClusters; k <= Math.Min(options.MaxClusters, mistakes.Length - 1); k++)
            {
                progress?.Report($"k-means, k = {k}");
                candidates[k] = CosineKMeans.Fit(z, k, options.Seed, options.Restarts);
                silhouettes[k] = CosineKMeans.Silhouette(z, candidates[k].Assignment);
            }
            clustering = candidates[silhouettes.MaxBy(s => s.Value).Key];
        }

        progress?.Report("pixel and embedding spaces");
        var pixels = data.Images.index_select(0, tensor(mistakes.Select(i => (long)i).ToArray())).flatten(1).to(ScalarType.Float64);
        var embedding = PenultimateFeatures.Of(profiler.Model, data, mistakes);
        var purity = new Dictionary<string, double>
        {
            ["saliency"] = clustering.Purity(pairs),
            ["pixel"] = CosineKMeans.Fit(pixels, clustering.K, options.Seed, options.Restarts).Purity(pairs),
            ["embedding"] = CosineKMeans.Fit(embedding, clustering.K, options.Seed, options.Restarts).Purity(pairs),
        };
        var random = new Random(options.Seed);
        double chance = Enumerable.Range(0, 200).Average(_ =>
        {
            var shuffled = clustering.Assignment.ToArray();
            random.Shuffle(shuffled);
            return new Clustering(clustering.K, shuffled, 0).Purity(pairs);
        });

        var unit = CosineKMeans.Normalise(z);
        var clusters = new List<FailureCluster>();
        for (int c = 0; c < clustering.K; c++)
        {
            progress?.Report($"cluster {c + 1} of {clustering.K}: filters");
            int[] rows = clustering.Members(c);
            if (rows.Length == 0) continue;
            var composition = rows.GroupBy(r => pairs[r]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
                .Select(g => new PairCount(g.Key.Item1, g.Key.Item2, g.Count())).ToArray();
            // A cluster and the other mistakes need two images each for a t; a smaller one is listed without filters.
            FilterExcess[] filters = [];
            int discoveries = 0;
            if (rows.Length >= 2 && rows.Length <= mistakes.Length - 2)
            {
                var (difference, p) = PermutationTest.SubsetOfPool(z, rows, options.Permutations, options.Seed + c);
                double[] q = FalseDiscovery.Adjust(p);
                filters = Enumerable.Range(0, difference.Length).OrderByDescending(j => difference[j]).Take(options.TopFilters)
                    .Select(j => new FilterExcess(j, profiler.Layout.EntryName(j), difference[j], p[j], q[j], q[j] <= options.Alpha)).ToArray();
                discoveries = q.Count(v => v <= options.Alpha);
            }
            var members = unit.index_select(0, tensor(rows.Select(r => (long)r).ToArray()));
            var centroid = CosineKMeans.Normalise(members.mean([0], keepdim: true));
            double[] closeness = matmul(members, centroid.t()).squeeze(1).data<double>().ToArray();
            int[] typical = rows.Select((r, i) => (r, closeness[i])).OrderByDescending(t => t.Item2).Take(options.TypicalImages).Select(t => mistakes[t.r]).ToArray();
            clusters.Add(new FailureCluster(0, rows.Select(r => mistakes[r]).ToArray(), composition, filters, discoveries, typical));
        }
        var ordered = clusters.OrderByDescending(c => c.Images.Count).Select((c, i) => c with { Number = i + 1 }).ToArray();
        return new FailureAtlas(data.Name, data.ClassNames, mistakes.Length, silhouettes, options.Clusters is null, ordered, purity, chance, options);
    }

    /// <summary>The <paramref name="pairs"/> largest (true → predicted) pairs of <paramref name="cluster"/> with their counts, by class name.</summary>
    /// <param name="cluster">Cluster of this atlas to describe.</param>
    /// <param name="pairs">How many of its most frequent (true, predicted) pairs to list (default 4).</param>
    public string Composition(FailureCluster cluster, int pairs = 4) =>
        string.Join("; ", cluster.Composition.Take(pairs).Select(p => $"{ClassNames[p.TrueClass]} → {ClassNames[p.PredictedClass]}: {p.Count}"));

    /// <summary>One line: k, how it was chosen, and the purities.</summary>
    public override string ToString() =>
        $"{K} failure modes among {Mistakes} mistakes of {DataName} (k {(KChosenBySilhouette ? "by silhouette" : "given")}); purity in (true, predicted): " +
        $"saliency {Purity["saliency"]:P1}, pixel {Purity["pixel"]:P1}, embedding {Purity["embedding"]:P1}, random clusters {ChancePurity:P1}";
}

/// <summary>How many mistakes of a cluster have this (true, predicted) pair.</summary>
/// <param name="TrueClass">True class y, by index.</param>
/// <param name="PredictedClass">Class the model predicted, by index.</param>
/// <param name="Count">Mistakes of the cluster with this (true, predicted) pair.</param>
public sealed record PairCount(int TrueClass, int PredictedClass, int Count);

/// <summary>A filter whose ŝ is higher in a cluster than over all mistakes: the excess of the mean, its permutation p and BH q-value.</summary>
/// <param name="Index">The filter's entry in the filter-wise profile.</param>
/// <param name="Name">The filter's name in the profile layout.</param>
/// <param name="Excess">The cluster's mean ŝ of the filter minus its mean ŝ over all mistakes.</param>
/// <param name="P">One-sided permutation p-value of the filter's ŝ being higher in the cluster than in the other mistakes.</param>
/// <param name="Q">Benjamini-Hochberg q-value of <paramref name="P"/> over all filters.</param>
/// <param name="Discovered">True when <paramref name="Q"/> ≤ <see cref="AtlasOptions.Alpha"/>.</param>
public sealed record FilterExcess(int Index, string Name, double Excess, double P, double Q, bool Discovered);

/// <summary>
/// One failure mode: its mistakes (data-set indices), their (true → predicted) composition, the filters most
/// over-represented (largest excess of mean ŝ over all mistakes), how many filters pass the FDR, and its most typical images.
/// </summary>
/// <param name="Number">1-based number of the cluster, largest cluster first.</param>
/// <param name="Images">Data-set indices of its mistakes.</param>
/// <param name="Composition">Its (true, predicted) pairs with their counts, most frequent first.</param>
/// <param name="Filters">Up to <see cref="AtlasOptions.TopFilters"/> filters of largest ŝ excess, largest first; empty when the cluster or the other mistakes number fewer than two.</param>
/// <param name="Discoveries">How many filters (of all) have q ≤ <see cref="AtlasOptions.Alpha"/>.</param>
/// <param name="Typical">Data-set indices of up to <see cref="AtlasOptions.TypicalImages"/> of its mistakes closest in cosine to its centroid, closest first.</param>
public sealed record FailureCluster(int Number, IReadOnlyList<int> Images, IReadOnlyList<PairCount> Composition, IReadOnlyList<FilterExcess> Filters,
    int Discoveries, IReadOnlyList<int> Typical);
