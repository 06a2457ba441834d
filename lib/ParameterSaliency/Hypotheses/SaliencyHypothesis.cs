using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using ParameterSaliency.Trust;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Hypotheses;

/// <summary>
/// Hypothesis tests in saliency space, on standardized filter-wise profiles ŝ(x, y) (true labels): which filters differ
/// between two groups of images (<see cref="Compare(ImageDataset, ImageDataset, bool)"/>), and whether a set of filters is
/// more salient on some images than on random images of the same classes (<see cref="Test"/>). p-values by permutation,
/// false discovery rate by Benjamini-Hochberg over the filters.
/// <example>
/// <code>
/// var hypothesis = new SaliencyHypothesis(profiler, statistics);
/// var comparison = hypothesis.Compare(test, groupA: shirtsAsTShirts, groupB: shirtsCorrect);   // comparison.Discoveries
/// var check = hypothesis.Test(comparison.Top(5).Select(r => r.Index).ToArray(), test, shirtsAsTShirts);
/// </code>
/// </example>
/// </summary>
public sealed class SaliencyHypothesis
{
    readonly SaliencyProfiler profiler;
    readonly SaliencyStatistics statistics;

    /// <summary>Tests with the profiler's model and its μ, σ (which must belong to it).</summary>
    /// <param name="profiler">Filter-wise profiler of the model; gives the saliency profiles s of the images.</param>
    /// <param name="statistics">μ and σ that standardise s into ŝ; must belong to <paramref name="profiler"/>.</param>
    /// <param name="options">Permutations, α, minimum effect, seed and pool size; null uses the defaults of <see cref="HypothesisOptions"/>.</param>
    public SaliencyHypothesis(SaliencyProfiler profiler, SaliencyStatistics statistics, HypothesisOptions? options = null)
    {
        statistics.EnsureBelongsTo(profiler);
        if (!profiler.Layout.IsUnitWise) throw new ArgumentException($"Hypothesis tests compare units (filters, neurons or heads), not {profiler.Layout.Aggregation} entries.");
        this.profiler = profiler;
        this.statistics = statistics;
        Options = options ?? new HypothesisOptions();
        Options.Validate();
    }

    /// <summary>The options in force.</summary>
    public HypothesisOptions Options { get; }

    /// <summary>Images <paramref name="groupA"/> against images <paramref name="groupB"/> of the same data set (disjoint).</summary>
    /// <param name="data">Data set holding both groups.</param>
    /// <param name="groupA">Indices in <paramref name="data"/> of the images of group A.</param>
    /// <param name="groupB">Indices in <paramref name="data"/> of the images of group B, disjoint from <paramref name="groupA"/>.</param>
    public FilterComparison Compare(ImageDataset data, IReadOnlyList<int> groupA, IReadOnlyList<int> groupB)
    {
        if (groupA.Intersect(groupB).Any()) throw new ArgumentException("The two groups share images; compare disjoint groups.");
        return Compare(data.Subset(groupA, $"{data.Name}: group A"), data.Subset(groupB, $"{data.Name}: group B"), paired: false);
    }

    /// <summary>
    /// Which filters differ in ŝ between the images of <paramref name="groupA"/> and of <paramref name="groupB"/>: per filter
    /// the difference of means, Cohen's d, a two-sided permutation p-value (Welch's t) and its BH q-value; a filter is
    /// discovered when q ≤ α and |d| ≥ <see cref="HypothesisOptions.MinimumEffect"/>. <paramref name="paired"/>:
    /// image i of A and image i of B belong together (the same image with and without a marker), the test flips the sign
    /// of each pair's difference and d is the mean difference over its standard deviation.
    /// </summary>
    /// <param name="groupA">Images of group A.</param>
    /// <param name="groupB">Images of group B.</param>
    /// <param name="paired">True when image i of <paramref name="groupA"/> and image i of <paramref name="groupB"/> form a pair (default false).</param>
    public FilterComparison Compare(ImageDataset groupA, ImageDataset groupB, bool paired = false)
    {
        if (groupA.Count < 1 || groupB.Count < 1) throw new ArgumentException($"Each group needs at least one image; got {groupA.Count} and {groupB.Count}.");
        if (paired && groupA.Count != groupB.Count) throw new ArgumentException($"Paired groups need as many images each; got {groupA.Count} and {groupB.Count}.");
        if (!paired && groupA.Count + groupB.Count < 3) throw new ArgumentException("Two groups of one image each cannot be compared.");
        using var scope = NewDisposeScope();
        using var a = StandardizedProfiles.Of(profiler.Profile(groupA), statistics);
        using var b = StandardizedProfiles.Of(profiler.Profile(groupB), statistics);
        var values = cat([a.Values, b.Values], 0).to(ScalarType.Float64);
        int[] rowsA = Enumerable.Range(0, groupA.Count).ToArray(), rowsB = Enumerable.Range(groupA.Count, groupB.Count).ToArray();
        var (difference, p) = paired
            ? PermutationTest.Paired(values, rowsA, rowsB, Options.Permutations, Options.Seed)
            : PermutationTest.TwoGroups(values, rowsA, rowsB, Options.Permutations, Options.Seed);
        double[] q = FalseDiscovery.Adjust(p);
        double[] meanA = a.Values.to(ScalarType.Float64).mean([0]).data<double>().ToArray(), meanB = b.Values.to(ScalarType.Float64).mean([0]).data<double>().ToArray();
        double[] effect = paired ? PairedEffect(a.Values, b.Values) : CohensD(a.Values, b.Values);
        var rows = Enumerable.Range(0, difference.Length)
            .Select(j => new FilterDifference(j, profiler.Layout.EntryName(j), meanA[j], meanB[j], difference[j], effect[j], p[j], q[j], q[j] <= Options.Alpha && Math.Abs(effect[j]) >= Options.MinimumEffect))
            .ToArray();
        return new FilterComparison(groupA.Name, groupB.Name, groupA.Count, groupB.Count, paired, Options.Alpha, Options.MinimumEffect, rows);
    }

    /// <summary>
    /// Whether the filters <paramref name="comparison"/> found (its discoveries, or its 10 strongest when it discovered none)
    /// are the model's and not the images': their difference in ŝ between the groups, again with every layer of the model
    /// randomised and μ, σ estimated for that model on the first <paramref name="referenceImages"/> images of <paramref name="data"/>
    /// (SPEC §9, <see cref="RandomisationSurvival"/>).
    /// </summary>
    /// <param name="comparison">A comparison made by <see cref="Compare(ImageDataset, IReadOnlyList{int}, IReadOnlyList{int})"/> on these groups.</param>
    /// <param name="data">Data set holding both groups.</param>
    /// <param name="groupA">Indices of group A.</param>
    /// <param name="groupB">Indices of group B.</param>
    /// <param name="referenceImages">Images of <paramref name="data"/> estimating μ and σ of the randomised model (default 1,000).</param>
    /// <param name="seed">Seed of the randomised layers.</param>
    public RandomisationSurvival CheckRandomisation(FilterComparison comparison, ImageDataset data, IReadOnlyList<int> groupA, IReadOnlyList<int> groupB, int referenceImages = 1000, int seed = 0)
    {
        var units = comparison.Discoveries > 0 ? comparison.Rows.Where(r => r.Discovered).Select(r => r.Index).ToArray() : comparison.Top(10).Select(r => r.Index).ToArray();
        var muSigma = new ModelStatistics(profiler.Model, statistics, data, Enumerable.Range(0, Math.Min(referenceImages, data.Count)).ToArray());
        return RandomisationSurvival.Check(profiler.Model, muSigma, data, groupA, groupB, units, seed);
    }

    /// <summary>
    /// Are <paramref name="filters"/> more salient on <paramref name="images"/> of <paramref name="data"/> than on random images
    /// of the same classes? The statistic is the mean over the images of the mean ŝ over the filters; the null draws, as often
    /// as <see cref="HypothesisOptions.Permutations"/>, as many images of each class from a pool of other images of that class
    /// (up to <see cref="HypothesisOptions.PoolPerClass"/> each); one-sided p = (1 + draws at least as large) / (1 + draws).
    /// </summary>
    /// <param name="filters">Filters of the set, as profile entries in [0, F).</param>
    /// <param name="data">Data set holding the images and the pool of random images.</param>
    /// <param name="images">Indices in <paramref name="data"/> of the images tested.</param>
    public FilterSetTest Test(IReadOnlyList<int> filters, ImageDataset data, IReadOnlyList<int> images)
    {
        if (filters.Count == 0) throw new ArgumentException("No filters to test.", nameof(filters));
        if (filters.Any(f => f < 0 || f >= profiler.Layout.Length)) throw new ArgumentOutOfRangeException(nameof(filters), $"Filters lie in [0, {profiler.Layout.Length}).");
        if (images.Count == 0) throw new ArgumentException("No images to test.", nameof(images));
        if (images.Any(i => i < 0 || i >= data.Count)) throw new ArgumentOutOfRangeException(nameof(images), $"{data.Name} has images [0, {data.Count}).");
        var inSet = images.ToHashSet();
        var random = new Random(Options.Seed);
        var pool = new Dictionary<int, int[]>();
        foreach (var group in images.GroupBy(i => data.LabelArray[i]))
        {
            int[] others = Enumerable.Range(0, data.Count).Where(i => data.LabelArray[i] == group.Key && !inSet.Contains(i)).ToArray();
            random.Shuffle(others);
            others = others.Take(Math.Max(Options.PoolPerClass, group.Count())).ToArray();
            if (others.Length < group.Count())
                throw new ArgumentException($"Class {data.ClassNames[group.Key]} has {others.Length} other images, fewer than the {group.Count()} tested: no random images of the same classes to compare with.");
            pool[group.Key] = others;
        }
        using var scope = NewDisposeScope();
        var filterIndex = tensor(filters.Select(f => (long)f).ToArray());
        double Score(IReadOnlyList<int> indices)
        {
            using var z = StandardizedProfiles.Of(profiler.Profile(data, indices), statistics);
            return z.Values.index_select(1, filterIndex).to(ScalarType.Float64).mean().item<double>();
        }
        double observed = Score(images);
        int[] poolImages = pool.Values.SelectMany(p => p).ToArray();
        using var poolZ = StandardizedProfiles.Of(profiler.Profile(data, poolImages), statistics);
        double[] perImage = poolZ.Values.index_select(1, filterIndex).to(ScalarType.Float64).mean([1]).data<double>().ToArray();
        var scoreOf = poolImages.Select((image, row) => (image, row)).ToDictionary(t => t.image, t => perImage[t.row]);
        var counts = images.GroupBy(i => data.LabelArray[i]).ToDictionary(g => g.Key, g => g.Count());
        var draws = new double[Options.Permutations];
        for (int d = 0; d < draws.Length; d++)
        {
            double sum = 0;
            foreach (var (label, count) in counts)
            {
                int[] candidates = pool[label];
                for (int i = 0; i < count; i++)
                {
                    int j = random.Next(i, candidates.Length);
                    (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
                    sum += scoreOf[candidates[i]];
                }
            }
            draws[d] = sum / images.Count;
        }
        double p = (1.0 + draws.Count(v => v >= observed - 1e-12 * Math.Abs(observed))) / (1.0 + draws.Length);
        double nullMean = draws.Average();
        double nullStd = Math.Sqrt(draws.Sum(v => (v - nullMean) * (v - nullMean)) / Math.Max(1, draws.Length - 1));
        return new FilterSetTest(filters.Select(f => profiler.Layout.EntryName(f)).ToArray(), images.Count, observed, nullMean, nullStd, p, draws);
    }

    static double[] CohensD(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.to(ScalarType.Float64);
        var y = b.to(ScalarType.Float64);
        long na = x.shape[0], nb = y.shape[0];
        using Scalar degreesA = na - 1, degreesB = nb - 1, degrees = Math.Max(1, na + nb - 2);
        var pooled = ((na > 1 ? x.var([0]) * degreesA : zeros(x.shape[1], ScalarType.Float64)) + (nb > 1 ? y.var([0]) * degreesB : zeros(y.shape[1], ScalarType.Float64))) / degrees;
        var sd = pooled.sqrt();
        return ((x.mean([0]) - y.mean([0])) / sd.where(sd.gt(Zero), ones_like(sd)) * sd.gt(Zero)).data<double>().ToArray();
    }

    static double[] PairedEffect(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var d = (a - b).to(ScalarType.Float64);
        if (d.shape[0] < 2) return new double[d.shape[1]];
        var sd = d.std([0]);
        return (d.mean([0]) / sd.where(sd.gt(Zero), ones_like(sd)) * sd.gt(Zero)).data<double>().ToArray();
    }
}
