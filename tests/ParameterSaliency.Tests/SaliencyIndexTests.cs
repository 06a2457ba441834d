using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>The cosine index against brute-force loops in float64; caching; the §3.2 agreement against a naive count.</summary>
public class SaliencyIndexTests
{
    static ImageDataset Random(int count, int seed) => TinyModels.Dataset(count, 12, seed);

    static double[][] Rows(Tensor matrix) =>
        Enumerable.Range(0, (int)matrix.shape[0]).Select(i => matrix[i].to(ScalarType.Float64).data<double>().ToArray()).ToArray();

    static int[] BruteForce(double[][] rows, int query, int n)
    {
        double Cosine(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(y => y * y));
        return Enumerable.Range(0, rows.Length).Where(i => i != query).OrderByDescending(i => Cosine(rows[query], rows[i])).Take(n - 1).Prepend(query).ToArray();
    }

    [Fact]
    public void Saliency_index_neighbours_equal_a_brute_force_cosine_search_over_standardized_profiles()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 41);
        using var data = Random(60, 42);
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop });
        var statistics = SaliencyStatistics.Compute(profiler, data);
        using var index = SaliencyIndex.Build(profiler, statistics, data);
        // Independent: ŝ by hand from the loop engine's profiles and μ, σ.
        using var profiles = profiler.Profile(data);
        double[][] z = Rows(profiles.Values).Select(row => row.Select((s, f) => (s - statistics.Mean[f]) / (statistics.Std[f] <= 1e-14 ? 1 : statistics.Std[f])).ToArray()).ToArray();
        foreach (int query in new[] { 0, 17, 59 })
        {
            var found = index.Neighbors(query, 8);
            Assert.Equal(BruteForce(z, query, 8), found.Entries.Select(e => e.Index));
            Assert.Equal(1f, found.Entries[0].Similarity);
            for (int k = 1; k < 8; k++)
            {
                var a = z[query]; var b = z[found.Entries[k].Index];
                double cosine = a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(y => y * y));
                Assert.Equal(cosine, found.Entries[k].Similarity, 5);
            }
        }
        var many = index.Neighbors([3, 4, 5], 4);
        Assert.Equal(index.Neighbors(4, 4).Entries.Select(e => e.Index), many[1].Entries.Select(e => e.Index));
        Assert.Equal(index.Neighbors(9, 1).Entries.Select(e => e.Index), index.Nearest(index.Unit[9].data<float>().ToArray(), 1).Entries.Select(e => e.Index));
    }

    [Fact]
    public void Pixel_index_neighbours_equal_a_brute_force_search_over_pixels()
    {
        using var data = Random(40, 43);
        using var index = SaliencyIndex.Pixels(data);
        double[][] pixels = Rows(data.Normalization.Invert(data.Images).reshape(40, -1));
        foreach (int query in new[] { 1, 30 }) Assert.Equal(BruteForce(pixels, query, 6), index.Neighbors(query, 6).Entries.Select(e => e.Index));
    }

    [Fact]
    public void Cache_is_used_when_it_matches_and_rebuilt_when_stale_or_corrupt()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 44);
        using var data = Random(20, 45);
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Compute(profiler, data);
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "index.safetensors");
        var log = new StringWriter();
        using (var built = SaliencyIndex.LoadOrBuild(path, profiler, statistics, data, log: log)) Assert.True(File.Exists(path));
        using (var cached = SaliencyIndex.LoadOrBuild(path, profiler, statistics, data, log: log)) Assert.Equal(20, cached.Count);
        Assert.Equal("", log.ToString());
        var other = SaliencyStatistics.Compute(profiler, data, Enumerable.Range(0, 10).ToArray());
        using (SaliencyIndex.LoadOrBuild(path, profiler, other, data, log: log)) { }
        Assert.Contains("statistics_fingerprint", log.ToString());
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        using (SaliencyIndex.LoadOrBuild(path, profiler, other, data, log: log)) { }
        Assert.Contains("Rebuilding", log.ToString().Split('\n').Last(l => l.Length > 0));
    }

    [Fact]
    public void Agreement_counts_what_a_naive_loop_counts()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 46);
        using var data = Random(80, 47);
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Compute(profiler, data);
        using var saliency = SaliencyIndex.Build(profiler, statistics, data);
        using var pixel = SaliencyIndex.Pixels(data);
        var report = Evaluator.Evaluate(model, data);
        Assert.True(report.Misclassified.Count > 10, "a random model should make many mistakes");
        var agreement = NeighborAgreement.Measure(saliency, pixel, report, n: 5);
        double[][] vectors = Rows(saliency.Unit);
        double[][] pixels = Rows(pixel.Unit);
        double shareSum = 0, pixelSum = 0;
        foreach (int q in report.Misclassified)
        {
            int t = report.Labels[q], p = report.Predictions[q];
            int Count(double[][] rows) => BruteForce(rows, q, 6).Skip(1).Count(i =>
                (report.Labels[i] == t && report.Predictions[i] == p) || (report.Labels[i] == p && report.Predictions[i] == t));
            shareSum += Count(vectors) / 5.0;
            pixelSum += Count(pixels) / 5.0;
        }
        Assert.Equal(shareSum / report.Misclassified.Count, agreement.MeanSaliencyShare, 12);
        Assert.Equal(pixelSum / report.Misclassified.Count, agreement.MeanPixelShare, 12);
        var ranked = NeighborAgreement.RankSamples(agreement);
        Assert.True(ranked.Zip(ranked.Skip(1)).All(pair => pair.First.SaliencySame >= pair.Second.SaliencySame));
        // Appendix D's choice with K over 6 neighbours (the sample included) ranks by the 5 others, best first.
        int[] bruteForceTop = report.Misclassified
            .Select(q => (Index: q, Same: BruteForce(vectors, q, 6).Skip(1).Count(i => report.Labels[i] == report.Labels[q] && report.Predictions[i] == report.Predictions[q]),
                          SameOrReverse: BruteForce(vectors, q, 6).Skip(1).Count(i => (report.Labels[i] == report.Labels[q] && report.Predictions[i] == report.Predictions[q]) ||
                                                                                   (report.Labels[i] == report.Predictions[q] && report.Predictions[i] == report.Labels[q]))))
            .OrderByDescending(r => r.Same).ThenByDescending(r => r.SameOrReverse).ThenBy(r => r.Index).Take(3).Select(r => r.Index).ToArray();
        Assert.Equal(bruteForceTop, NeighborAgreement.AppendixDRanking(saliency, pixel, report, neighbors: 6).Top(3));
    }
}
