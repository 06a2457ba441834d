using System.Security.Cryptography;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Profiles, μ, σ, z and top-10 of the committed model against tests/reference/pytorch_reference.py
/// (PyTorch, float64, one image at a time, from the definitions). Our engines run the model in
/// float64 too, so the comparison measures the implementation, not float32 rounding; float32 runs
/// are compared separately with the tolerance float32 allows (a ReLU whose input is within rounding
/// of zero can switch a gradient path on or off: profiles then differ by up to ~1e-3).
/// </summary>
public class PyTorchReferenceTests
{
    static SafeTensorsContent Reference() => ReferenceFixtures.ForDefaultModel("reference-saliency.safetensors");

    [Theory]
    [InlineData(ProfileEngine.Loop)]
    [InlineData(ProfileEngine.Batched)]
    public void Profiles_statistics_z_and_top10_match_PyTorch(ProfileEngine engine)
    {
        using var reference = Reference();
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        saved.Model.to(ScalarType.Float64);
        var test = SharedData.TestSplit;
        var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Engine = engine, BatchSize = 32 });
        Assert.Equal(reference.Metadata["filter_names"].Split(','), profiler.Layout.EntryNames);

        int[] chosen = reference["indices"].data<long>().Select(i => (int)i).ToArray();
        using var profiles = profiler.Profile(test, chosen);
        TinyModels.AssertClose(reference["profiles"], profiles.Values, "profiles");

        var statistics = SaliencyStatistics.Compute(profiler, test, Enumerable.Range(0, 64).ToArray());
        TinyModels.AssertClose(reference["mean"].unsqueeze(0), tensor(statistics.Mean.ToArray()).unsqueeze(0), "μ");
        TinyModels.AssertClose(reference["std"].unsqueeze(0), tensor(statistics.Std.ToArray()).unsqueeze(0), "σ");

        using var z = StandardizedProfiles.Of(profiles, statistics);
        var expectedZ = reference["z"];
        Assert.True((expectedZ - z.Values.to(ScalarType.Float64)).abs().max().item<double>() <= 1e-3 * expectedZ.abs().max().item<double>(), "z differs");
        var top10 = reference["top10"];
        for (int i = 0; i < chosen.Length; i++)
            Assert.Equal(top10[i].data<long>().Select(v => (int)v).ToArray(), z.Top(i, 10).Indices);
    }

    [Fact]
    public void Float32_profiles_agree_with_the_float64_reference_within_float32_limits()
    {
        using var reference = Reference();
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var test = SharedData.TestSplit;
        int[] chosen = reference["indices"].data<long>().Select(i => (int)i).ToArray();
        using var profiles = new SaliencyProfiler(saved.Model).Profile(test, chosen);
        var expected = reference["profiles"];
        var rowError = ((profiles.Values.to(ScalarType.Float64) - expected).abs().sum(1) / expected.abs().sum(1)).data<double>().ToArray();
        Assert.All(rowError, e => Assert.True(e < 1e-2, $"relative L1 error {e:E2}"));
        Assert.True(rowError.Order().ElementAt(rowError.Length / 2) < 1e-5, $"median relative L1 error {rowError.Order().ElementAt(rowError.Length / 2):E2}");
    }
}
