using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

[Trait("Category", CpuIsaMatrixTests.Category)]
public class StatisticsTests
{
    [Fact]
    public void Accumulator_matches_a_naive_two_pass_float64_computation()
    {
        using Scalar offset = 7f;
        using var values = Runtime.GlobalRandom.Seeded(3, () => (randn(37, 5) * tensor(new float[] { 1f, 1e-3f, 10f, 0f, 1e4f }) + offset).to(ScalarType.Float32));
        var accumulator = new StatisticsAccumulator(5);
        foreach (var (start, length) in new[] { (0, 1), (1, 16), (17, 19), (36, 1) }) accumulator.Add(values.narrow(0, start, length));
        float[] data = values.data<float>().ToArray();
        for (int f = 0; f < 5; f++)
        {
            double mean = 0;
            for (int n = 0; n < 37; n++) mean += data[n * 5 + f];
            mean /= 37;
            double squares = 0;
            for (int n = 0; n < 37; n++) squares += (data[n * 5 + f] - mean) * (data[n * 5 + f] - mean);
            double std = Math.Sqrt(squares / 36);
            Assert.Equal(mean, accumulator.Mean[f], 1e-12 * Math.Max(1, Math.Abs(mean)));
            Assert.Equal(std, accumulator.SampleStd()[f], 1e-9 * Math.Max(1e-12, std));
        }
        Assert.Equal(0.0, accumulator.SampleStd()[3]);
    }

    [Fact]
    public void Two_shards_merged_equal_one_pass_over_the_same_profiles()
    {
        // The merge itself is exact: shards of the same float32 profiles merge to the one-pass statistics to float64 rounding.
        using var profiles = Runtime.GlobalRandom.Seeded(4, () => (randn(40, 7).abs() * tensor(new float[] { 1e-4f, 1e-2f, 1f, 3f, 1e2f, 1e-6f, 10f })).to(ScalarType.Float32));
        var whole = new StatisticsAccumulator(7);
        whole.Add(profiles);
        var first = new StatisticsAccumulator(7);
        var second = new StatisticsAccumulator(7);
        first.Add(profiles.narrow(0, 0, 23));
        second.Add(profiles.narrow(0, 23, 17));
        first.Merge(second);
        Assert.Equal(whole.Count, first.Count);
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(whole.Mean[i], first.Mean[i], 1e-13 * Math.Abs(whole.Mean[i]));
            Assert.Equal(whole.SampleStd()[i], first.SampleStd()[i], 1e-11 * whole.SampleStd()[i]);
        }
    }

    [Fact]
    public void Statistics_of_two_merged_shards_match_a_float64_one_pass_reference()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 8);
        using var exactModel = Runtime.GlobalRandom.Preserving(() => new ResNet(model.Config)); // the same weights, copied: not rebuilt from a seed, which other threads' draws could disturb
        exactModel.load_state_dict(model.state_dict());
        exactModel.eval();
        exactModel.to(ScalarType.Float64);
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { BatchSize = 16 });
        var all = Enumerable.Range(100, 40).ToArray();
        var exact = SaliencyStatistics.Compute(new SaliencyProfiler(exactModel, new ProfilerOptions { Engine = ProfileEngine.Loop }), test, all);
        var merged = SaliencyStatistics.Merge([
            SaliencyStatistics.Compute(profiler, test, all[..23]),
            SaliencyStatistics.Compute(profiler, test, all[23..])]);
        Assert.Equal(exact.Count, merged.Count);
        Assert.Equal(exact.Data, merged.Data);
        TinyModels.AssertFloat32Entries(merged.Mean, exact.Mean, "μ of merged float32 shards vs one float64 pass");
        TinyModels.AssertFloat32Entries(merged.Std, exact.Std, "σ of merged float32 shards vs one float64 pass");
    }

    [Fact]
    public void Saved_statistics_round_trip_and_refuse_damage_and_other_models()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 8);
        using var other = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 9);
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model);
        var statistics = SaliencyStatistics.Compute(profiler, test, Enumerable.Range(0, 10).ToArray());
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "stats.safetensors");
        statistics.Save(path);
        var loaded = SaliencyStatistics.Load(path);
        Assert.Equal(statistics.Mean, loaded.Mean);
        Assert.Equal(statistics.Std, loaded.Std);
        Assert.Equal(statistics.EntryNames, loaded.EntryNames);
        loaded.EnsureBelongsTo(profiler);
        var error = Assert.Throws<InvalidOperationException>(() => loaded.EnsureBelongsTo(new SaliencyProfiler(other)));
        Assert.Contains("another model", error.Message);

        byte[] bytes = File.ReadAllBytes(path);
        bytes[^20] ^= 0x40; // a bit in the data section: the last std/m2/count bytes
        File.WriteAllBytes(path, bytes);
        Assert.Throws<InvalidDataException>(() => SaliencyStatistics.Load(path));
    }

    /// <summary>A small model, the test split, a profiler and μ, σ over 12 images.</summary>
    static (ResNet Model, ImageDataset Test, SaliencyProfiler Profiler, SaliencyStatistics Statistics) SmallSetup()
    {
        var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 8);
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(model);
        return (model, test, profiler, SaliencyStatistics.Compute(profiler, test, Enumerable.Range(0, 12).ToArray()));
    }

    /// <summary>The same statistics with σ (and M2) of entry <paramref name="entry"/> set to zero, through a saved file.</summary>
    static SaliencyStatistics WithZeroSigma(SaliencyStatistics statistics, int entry)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "stats.safetensors");
        statistics.Save(path);
        using (var content = SafeTensors.Read(path))
        {
            content["std"][entry] = tensor(0.0);
            content["m2"][entry] = tensor(0.0);
            SafeTensors.Write(path, content.Tensors, content.Metadata);
        }
        return SaliencyStatistics.Load(path);
    }

    [Fact]
    public void Standardization_is_signed_by_default_treats_tiny_sigma_as_one_and_leaves_sigma_alone()
    {
        var (model, test, profiler, computed) = SmallSetup();
        using var _ = model;
        Assert.True(computed.Std[5] > 1e-14);
        var statistics = WithZeroSigma(computed, entry: 5);
        var stdBefore = statistics.Std.ToArray();
        using var profiles = profiler.Profile(test, [20, 21]);
        using var signed = StandardizedProfiles.Of(profiles, statistics);
        using var absolute = StandardizedProfiles.Of(profiles, statistics, absolute: true);
        float[] s = profiles.Row(1), z = signed.Values[1].data<float>().ToArray(), za = absolute.Values[1].data<float>().ToArray();
        for (int i = 0; i < s.Length; i++)
        {
            double sigma = statistics.Std[i] <= 1e-14 ? 1 : statistics.Std[i];
            double expected = (s[i] - statistics.Mean[i]) / sigma;
            Assert.Equal(expected, z[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
            Assert.Equal(Math.Abs(expected), za[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
        Assert.Equal(0.0, statistics.Std[5]);
        Assert.Equal(stdBefore, statistics.Std);
        Assert.Contains(z, v => v < 0);
    }

    [Fact]
    public void Top_least_and_random_filters_are_what_their_names_say()
    {
        var (model, test, profiler, statistics) = SmallSetup();
        using var _ = model;
        using var profiles = profiler.Profile(test, [30]);
        using var z = StandardizedProfiles.Of(profiles, statistics);
        float[] row = z.Values[0].data<float>().ToArray();
        var sorted = Enumerable.Range(0, row.Length).OrderByDescending(i => row[i]).ToArray();
        Assert.Equal(sorted.Take(10), z.Top(0, 10).Indices);
        Assert.Equal(sorted.Reverse().Take(5), z.Least(0, 5).Indices);
        var top = z.Top(0, 3).Filters[0];
        Assert.Equal(profiler.Layout.Filters[top.Index].Name, top.Name);
        Assert.Matches(@"^(conv1|layer\d\.\d\.(conv\d|downsample\.0))\.weight\[\d+\]$", top.Name);
        Assert.Equal(z.Random(0, 7, seed: 4).Indices, z.Random(0, 7, seed: 4).Indices);
        Assert.NotEqual(z.Random(0, 7, seed: 4).Indices, z.Random(0, 7, seed: 5).Indices);
        Assert.Equal(7, z.Random(0, 7, seed: 4).Indices.Distinct().Count());
    }
}
