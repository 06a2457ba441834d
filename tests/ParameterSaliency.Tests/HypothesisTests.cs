using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Atlas;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Hypotheses;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Permutation p-values, Benjamini-Hochberg, cosine k-means and the saliency-space hypothesis tests.</summary>
[ExpectedSeconds(69)]
public class HypothesisTests(DefaultModelFixture defaultModel) : IClassFixture<DefaultModelFixture>
{
    static Tensor Values(int rows, int columns, int seed) => Runtime.GlobalRandom.Seeded(seed, () => randn(rows, columns, dtype: ScalarType.Float64));

    static double[,] Array2(Tensor values)
    {
        var result = new double[values.shape[0], values.shape[1]];
        for (int i = 0; i < values.shape[0]; i++)
            for (int j = 0; j < values.shape[1]; j++) result[i, j] = values[i, j].item<double>();
        return result;
    }

    /// <summary>Welch's t of the rows in <paramref name="inA"/> against the others, computed plainly.</summary>
    static double Welch(double[,] x, int j, Func<int, bool> inA)
    {
        var a = Enumerable.Range(0, x.GetLength(0)).Where(inA).Select(i => x[i, j]).ToArray();
        var b = Enumerable.Range(0, x.GetLength(0)).Where(i => !inA(i)).Select(i => x[i, j]).ToArray();
        double Variance(double[] v) => v.Sum(e => (e - v.Average()) * (e - v.Average())) / (v.Length - 1);
        return (a.Average() - b.Average()) / Math.Sqrt(Variance(a) / a.Length + Variance(b) / b.Length);
    }

    [Fact]
    public void Two_group_p_values_equal_an_exact_enumeration_and_random_draws_come_close()
    {
        var values = Values(12, 4, 61);
        int[] a = [0, 1, 2, 3, 4, 5], b = [6, 7, 8, 9, 10, 11];
        var x = Array2(values);
        // Naive: every 6-subset of 12 rows as group A (924 of them), two-sided on Welch's t.
        var masks = Enumerable.Range(0, 1 << 12).Where(m => System.Numerics.BitOperations.PopCount((uint)m) == 6).ToArray();
        var (difference, exact) = PermutationTest.TwoGroups(values, a, b, permutations: 1000, seed: 1);
        var (_, drawn) = PermutationTest.TwoGroups(values, a, b, permutations: 500, seed: 2);
        for (int j = 0; j < 4; j++)
        {
            double observed = Welch(x, j, i => i < 6);
            double naive = masks.Count(m => Math.Abs(Welch(x, j, i => (m >> i & 1) == 1)) >= Math.Abs(observed) - PermutationTest.TieTolerance) / (double)masks.Length;
            Assert.Equal(Enumerable.Range(0, 6).Average(i => x[i, j]) - Enumerable.Range(6, 6).Average(i => x[i, j]), difference[j], 12);
            Assert.Equal(naive, exact[j], 12);
            double se = Math.Sqrt(naive * (1 - naive) / 500) + 1.0 / 500;
            Assert.True(Math.Abs(drawn[j] - naive) <= 4 * se, $"column {j}: drawn {drawn[j]}, exact {naive}");
        }
    }

    [Fact]
    public void Paired_and_subset_p_values_equal_exact_enumerations()
    {
        var values = Values(10, 3, 62);
        var x = Array2(values);
        int[] a = [0, 1, 2, 3, 4], b = [5, 6, 7, 8, 9];
        var (meanDifference, p) = PermutationTest.Paired(values, a, b, permutations: 100, seed: 0); // 2^5 = 32 sign flips: exact
        for (int j = 0; j < 3; j++)
        {
            double[] d = Enumerable.Range(0, 5).Select(i => x[a[i], j] - x[b[i], j]).ToArray();
            double T(double[] v) => v.Average() / Math.Sqrt(v.Sum(e => (e - v.Average()) * (e - v.Average())) / 4 / 5);
            double observed = T(d);
            int extreme = Enumerable.Range(0, 32).Count(mask => Math.Abs(T(Enumerable.Range(0, 5).Select(i => (mask >> i & 1) == 1 ? -d[i] : d[i]).ToArray())) >= Math.Abs(observed) - PermutationTest.TieTolerance);
            Assert.Equal(d.Average(), meanDifference[j], 12);
            Assert.Equal(extreme / 32.0, p[j], 12);
        }
        int[] subset = [1, 4, 6];
        var (excess, pSubset) = PermutationTest.SubsetOfPool(values, subset, permutations: 1000, seed: 0); // C(10, 3) = 120: exact
        for (int j = 0; j < 3; j++)
        {
            double observed = Welch(x, j, i => subset.Contains(i));
            var all = Enumerable.Range(0, 1 << 10).Where(m => System.Numerics.BitOperations.PopCount((uint)m) == 3).Select(m => Welch(x, j, i => (m >> i & 1) == 1)).ToArray();
            Assert.Equal(subset.Average(i => x[i, j]) - Enumerable.Range(0, 10).Average(i => x[i, j]), excess[j], 12);
            Assert.Equal(all.Count(v => v >= observed - PermutationTest.TieTolerance) / (double)all.Length, pSubset[j], 12);
        }
        // A column that is the same for every row (a dead filter) is never significant.
        using Scalar quarter = 0.25;
        var constant = cat([values, full(10, 1, quarter, ScalarType.Float64)], 1);
        Assert.Equal(1.0, PermutationTest.TwoGroups(constant, a, b, 1000, 0).P[3], 12);
    }

    [Fact]
    public void Benjamini_Hochberg_matches_hand_worked_numbers()
    {
        // Sorted: 0.005·5/1 = 0.025, 0.01·5/2 = 0.025, 0.03·5/3 = 0.05, 0.04·5/4 = 0.05, 0.5·5/5 = 0.5; running minimum from the top.
        Assert.Equal([0.025, 0.05, 0.05, 0.025, 0.5], FalseDiscovery.Adjust([0.01, 0.04, 0.03, 0.005, 0.5]).Select(q => Math.Round(q, 12)));
        // A large p early in the order is pulled down by a later one: 0.2·3/2 = 0.3 > 0.25·3/3 = 0.25.
        Assert.Equal([0.03, 0.25, 0.25], FalseDiscovery.Adjust([0.01, 0.2, 0.25]).Select(q => Math.Round(q, 12)));
        Assert.Throws<ArgumentException>(() => FalseDiscovery.Adjust([0.1, double.NaN]));
    }

    [Fact]
    public void Cosine_k_means_recovers_planted_clusters_and_the_silhouette_finds_their_number()
    {
        // Three random directions in 40-D, 30 noisy rows around each (noise 0.35 per coordinate of a unit direction... scaled).
        var (rows, truth) = Runtime.GlobalRandom.Seeded(63, () =>
        {
            var directions = randn(3, 40, dtype: ScalarType.Float64);
            var labels = Enumerable.Range(0, 90).Select(i => i % 3).ToArray();
            using Scalar separation = 3;
            var points = directions.index_select(0, tensor(labels.Select(l => (long)l).ToArray())) * separation + randn(90, 40, dtype: ScalarType.Float64);
            return (points, labels);
        });
        var silhouettes = Enumerable.Range(2, 5).ToDictionary(k => k, k => CosineKMeans.Silhouette(rows, CosineKMeans.Fit(rows, k, seed: 1).Assignment));
        Assert.Equal(3, silhouettes.MaxBy(s => s.Value).Key);
        var clustering = CosineKMeans.Fit(rows, 3, seed: 1);
        Assert.Equal(1.0, clustering.Purity(truth));
        // The purity of a random partition is far lower: the test could fail.
        Assert.True(new Clustering(3, Enumerable.Range(0, 90).Select(i => i / 30).ToArray(), 0).Purity(truth) < 0.5);
    }

    /// <summary>
    /// The null: 200 images of one class (sandals) split at random into halves 20 times. (With 60 images, one split of 20
    /// put all ~10 sandals on which a block of layer4 filters is slightly active into one half, and that block was
    /// discovered: each filter's p ≈ 0.0015 was right for that split, the filters are just not independent. With 200
    /// images such a block's active images number ~35 and rarely all land on one side; q alone still called a block of
    /// 1,158 filters in one of 60 splits of bags, which the |d| ≥ 0.5 of a discovery leaves out. Measured over 3 classes ×
    /// 3 seeds × 20 splits of 200: 0 discoveries.)
    /// </summary>
    [Fact]
    public void A_group_compared_with_itself_finds_nothing_over_twenty_random_splits()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        var hypothesis = new SaliencyHypothesis(profiler, statistics, new HypothesisOptions { Permutations = 500 });
        int[] group = Enumerable.Range(0, test.Count).Where(i => test.LabelArray[i] == 5).Take(200).ToArray();
        var random = new Random(64);
        var perSplit = new List<(int Discoveries, int AtFdrAlone)>();
        for (int split = 0; split < 20; split++)
        {
            int[] shuffled = group.ToArray();
            random.Shuffle(shuffled);
            var comparison = hypothesis.Compare(test, shuffled[..100], shuffled[100..]);
            perSplit.Add((comparison.Discoveries, comparison.Rows.Count(r => r.Q <= 0.05)));
        }
        Assert.True(perSplit.Sum(s => s.Discoveries) <= 1, $"{perSplit.Sum(s => s.Discoveries)} false discoveries over 20 splits: {string.Join(", ", perSplit)}");
    }

    /// <summary>Hypothesis tests on the default model and its statistics, with the first sandals and ankle boots of the test split.</summary>
    (SaliencyHypothesis Hypothesis, ImageDataset Test, int[] Sandals, int[] Boots) SandalsAndBoots(int permutations, int perClass)
    {
        var test = SharedData.TestSplit;
        var hypothesis = new SaliencyHypothesis(new SaliencyProfiler(defaultModel.Model), SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics),
            new HypothesisOptions { Permutations = permutations });
        int[] FirstOf(int label) => Enumerable.Range(0, test.Count).Where(i => test.LabelArray[i] == label).Take(perClass).ToArray();
        return (hypothesis, test, FirstOf(5), FirstOf(9));
    }

    [Fact]
    public void Two_classes_differ_in_many_filters_and_the_discoveries_need_a_small_q_and_a_real_effect()
    {
        var (hypothesis, test, sandals, boots) = SandalsAndBoots(permutations: 500, perClass: 30);
        var comparison = hypothesis.Compare(test, sandals, boots);
        Assert.True(comparison.Discoveries > 0, comparison.Summary);
        Assert.All(comparison.Rows.Where(r => r.Discovered), r => Assert.True(r.Q <= 0.05 && Math.Abs(r.EffectSize) >= 0.5));
        Assert.Throws<ArgumentException>(() => hypothesis.Compare(test, sandals, sandals[..5]));
    }

    [Fact]
    public void Discovered_filters_are_measured_again_with_every_layer_random()
    {
        var (hypothesis, test, sandals, boots) = SandalsAndBoots(permutations: 200, perClass: 20);
        var model = defaultModel.Model;
        var comparison = hypothesis.Compare(test, sandals, boots);
        var survival = hypothesis.CheckRandomisation(comparison, test, sandals, boots, referenceImages: 200);
        Assert.Equal(comparison.Discoveries > 0 ? comparison.Discoveries : 10, survival.Units.Count);

        // The randomised side by hand: every layer re-initialised, μ and σ of that model on the same 200 images.
        using var randomisation = new Trust.LayerRandomisation(model, seed: 0);
        using var random = randomisation.Cascading(randomisation.Layers.Count);
        var randomProfiler = new SaliencyProfiler(random);
        var randomStatistics = SaliencyStatistics.Compute(randomProfiler, test, Enumerable.Range(0, 200).ToArray());
        using var a = StandardizedProfiles.Of(randomProfiler.Profile(test, sandals), randomStatistics);
        using var b = StandardizedProfiles.Of(randomProfiler.Profile(test, boots), randomStatistics);
        double[] randomDifference = (a.Values.to(ScalarType.Float64).mean([0]) - b.Values.to(ScalarType.Float64).mean([0])).data<double>().ToArray();
        foreach (var unit in survival.Units)
        {
            var row = comparison.Rows[unit.Index];
            Assert.Equal(row.MeanA - row.MeanB, unit.Trained, 1e-4);         // the comparison's own means, another code path
            Assert.Equal(randomDifference[unit.Index], unit.Randomised, 1e-4);
            Assert.Equal(Math.Sign(unit.Randomised) != Math.Sign(unit.Trained) || Math.Abs(unit.Randomised) < Math.Abs(unit.Trained) / 2, unit.DependsOnWeights);
        }
        Assert.Contains($"{survival.Surviving} of {survival.Units.Count} units survive", survival.Summary);
    }

    [Fact]
    public void Filters_chosen_on_a_group_beat_random_images_of_its_classes_and_random_filters_do_not()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        var hypothesis = new SaliencyHypothesis(profiler, statistics, new HypothesisOptions { Permutations = 500, PoolPerClass = 100 });
        var report = Evaluator.Evaluate(model, test);
        int[] mistakes = report.Misclassified.Where(i => report.Labels[i] == 6 && report.Predictions[i] == 0).Take(20).ToArray(); // Shirt → T-shirt/top
        using var z = StandardizedProfiles.Of(profiler.Profile(test, mistakes), statistics);
        int[] top = z.Values.mean([0]).argsort(descending: true).narrow(0, 0, 5).data<long>().Select(v => (int)v).ToArray();
        var chosen = hypothesis.Test(top, test, mistakes);
        Assert.True(chosen.P <= 0.01 && chosen.Observed > chosen.NullMean, chosen.Summary);
        int[] correctShirts = Enumerable.Range(0, test.Count).Where(i => report.Labels[i] == 6 && report.Predictions[i] == 6).Take(20).ToArray();
        var arbitrary = hypothesis.Test([3, 300, 600, 900, 1100], test, correctShirts);
        Assert.True(arbitrary.P > 0.01, arbitrary.Summary);
        Assert.Throws<ArgumentOutOfRangeException>(() => hypothesis.Test([5000], test, mistakes));
    }

    [Fact]
    public void The_failure_atlas_partitions_the_mistakes_and_its_numbers_add_up()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        var report = Evaluator.Evaluate(model, test);
        var atlas = FailureAtlas.Build(profiler, statistics, test, report, new AtlasOptions { MaxClusters = 4, Permutations = 200 });
        Assert.Equal(report.Misclassified.OrderBy(i => i), atlas.Clusters.SelectMany(c => c.Images).OrderBy(i => i));
        Assert.InRange(atlas.K, 2, 4);
        Assert.Equal(atlas.Silhouettes.MaxBy(s => s.Value).Key, atlas.K);
        foreach (var cluster in atlas.Clusters)
        {
            var counted = cluster.Images.GroupBy(i => (report.Labels[i], report.Predictions[i])).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(cluster.Composition, pair => Assert.Equal(counted[(pair.TrueClass, pair.PredictedClass)], pair.Count));
            Assert.All(cluster.Typical, i => Assert.Contains(i, cluster.Images));
            Assert.True(cluster.Filters.Zip(cluster.Filters.Skip(1)).All(f => f.First.Excess >= f.Second.Excess));
        }
        double purity = atlas.Clusters.Sum(c => c.Composition[0].Count) / (double)report.Misclassified.Count;
        Assert.Equal(purity, atlas.Purity["saliency"], 12);
        Assert.True(atlas.ChancePurity < purity, atlas.ToString());
    }
}
