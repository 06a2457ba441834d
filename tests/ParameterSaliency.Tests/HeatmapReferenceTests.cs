using TorchSharp;
using System.Security.Cryptography;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Heatmaps of the committed model against tests/reference/pytorch_reference.py, which follows SPEC §3
/// from the definitions in float64 with numpy's percentiles (images 12, 23, 42 of the test split).
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class HeatmapReferenceTests(DefaultModelFixture defaultModel) : IClassFixture<DefaultModelFixture>
{
    static SafeTensorsContent Reference() => ReferenceFixtures.ForDefaultModel("reference-heatmaps.safetensors");

    [Fact]
    public void Float64_heatmaps_match_PyTorch()
    {
        using var reference = Reference();
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var test = SharedData.TestSplit;
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        saved.Model.to(ScalarType.Float64);
        // The statistics are tied to the float32 weights; the float64 copy holds the same values.
        var retied = Retie(statistics, saved.Model);
        var explainer = new InputSpaceSaliency(saved.Model, retied);
        long[] indices = reference["indices"].data<long>().ToArray();
        for (int n = 0; n < indices.Length; n++)
        {
            var heatmap = explainer.Explain(test.Images[indices[n]].to(ScalarType.Float64), test.Normalization, test.LabelArray[(int)indices[n]]);
            Assert.Equal(reference["top10"][n].data<long>().Select(v => (int)v), heatmap.BoostedFilters);
            double gradientError = RelativeL2(reference["gradients"][n], heatmap.Gradient);
            Assert.True(gradientError < 1e-5, $"image {indices[n]}: gradient relative L2 error {gradientError:E2}");
            double heatmapError = MaxAbs(reference["heatmaps"][n], heatmap.Heatmap);
            Assert.True(heatmapError < 1e-4, $"image {indices[n]}: heatmap max abs error {heatmapError:E2}");
        }
    }

    [Fact]
    public void Heatmap_command_writes_input_gradient_and_heatmap_that_follow_the_reference()
    {
        using var reference = Reference();
        var test = SharedData.TestSplit;
        string folder = Directory.CreateTempSubdirectory().FullName;
        long[] indices = reference["indices"].data<long>().ToArray();
        for (int n = 0; n < indices.Length; n++)
        {
            string output = Path.Combine(folder, $"h{indices[n]}.safetensors"), png = Path.Combine(folder, $"h{indices[n]}.png");
            var (exitCode, stdout, stderr) = Workbook.Run(Workbook.Output("ParameterSaliency.Cli", "saliency.dll"),
                $"heatmap --stats \"{WorkbookPaths.DefaultStatistics}\" --index {indices[n]} --out \"{output}\" --png \"{png}\"");
            Assert.True(exitCode == 0, stderr);
            Assert.Contains("peak at row", stdout);
            using var written = SafeTensors.Read(output);
            Assert.Equal(new long[] { 1, 28, 28 }, written["input"].shape);
            Assert.Equal(new long[] { 1, 28, 28 }, written["gradient"].shape);
            Assert.Equal(new long[] { 28, 28 }, written["heatmap"].shape);
            Assert.True(written["input"].eq(test.Images[indices[n]]).all().item<bool>(), "input is not the model-ready image");
            // float32 model: the gradient carries float32 rounding through two backward passes.
            double gradientError = RelativeL2(reference["gradients"][n], written["gradient"].reshape(-1).data<float>().ToArray());
            Assert.True(gradientError < 1e-3, $"image {indices[n]}: gradient relative L2 error {gradientError:E2}");
            double heatmapError = MaxAbs(reference["heatmaps"][n], written["heatmap"].reshape(-1).data<float>().ToArray());
            Assert.True(heatmapError < 1e-2, $"image {indices[n]}: heatmap max abs error {heatmapError:E2}");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        }
    }

    [Fact]
    public void Random_control_is_reproducible_from_its_seed()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        InputHeatmap Run(int seed) => new InputSpaceSaliency(model, statistics, new HeatmapOptions { Filters = BoostedFilters.Random, RandomSeed = seed }).Explain(test, 7);
        var first = Run(11);
        var again = Run(11);
        var other = Run(12);
        Assert.Equal(first.BoostedFilters, again.BoostedFilters);
        Assert.Equal(first.Heatmap, again.Heatmap);
        Assert.Equal(first.Gradient, again.Gradient);
        Assert.NotEqual(first.BoostedFilters, other.BoostedFilters);
        Assert.Equal(FilterRanking.Random(1200, 10, 11), first.BoostedFilters);
        var top = new InputSpaceSaliency(model, statistics).Explain(test, 7);
        Assert.NotEqual(top.BoostedFilters, first.BoostedFilters);
    }

    [Fact]
    public void SmoothGrad_without_noise_is_the_plain_gradient_and_with_noise_follows_its_seed()
    {
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        InputHeatmap Run(HeatmapOptions options) => new InputSpaceSaliency(model, statistics, options).Explain(test, 23);
        var plain = Run(new HeatmapOptions());
        var noiseless = Run(new HeatmapOptions { SmoothGradCopies = 3, SmoothGradNoise = 0 });
        Assert.True(RelativeL2(tensor(plain.Gradient), noiseless.Gradient) < 1e-6);
        var noisy = Run(new HeatmapOptions { SmoothGradCopies = 3, SmoothGradNoise = 0.2, SmoothGradSeed = 4 });
        Assert.Equal(noisy.Gradient, Run(new HeatmapOptions { SmoothGradCopies = 3, SmoothGradNoise = 0.2, SmoothGradSeed = 4 }).Gradient);
        Assert.True(RelativeL2(tensor(plain.Gradient), noisy.Gradient) > 1e-3, "noise of 20% of the range should change the gradient");
    }

    [Fact]
    public void Statistics_of_another_model_are_refused()
    {
        using var other = TinyModels.Build(ResNetConfig.CifarResNet18(width: 16), seed: 3);
        var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
        var error = Assert.Throws<InvalidOperationException>(() => new InputSpaceSaliency(other, statistics));
        Assert.Contains("another model", error.Message);
    }

    static SaliencyStatistics Retie(SaliencyStatistics statistics, nn.Module<Tensor, Tensor> model)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "retied.safetensors");
        statistics.Save(path);
        using var content = SafeTensors.Read(path);
        var metadata = content.Metadata.ToDictionary();
        metadata["model_fingerprint"] = Fingerprints.Model(model);
        SafeTensors.Write(path, content.Tensors, metadata);
        return SaliencyStatistics.Load(path);
    }

    internal static double RelativeL2(Tensor expected, float[] actual)
    {
        double[] e = expected.reshape(-1).to(ScalarType.Float64).data<double>().ToArray();
        return Math.Sqrt(e.Zip(actual, (a, b) => (a - b) * (a - b)).Sum() / e.Sum(v => v * v));
    }

    internal static double MaxAbs(Tensor expected, float[] actual) =>
        expected.reshape(-1).to(ScalarType.Float64).data<double>().ToArray().Zip(actual, (a, b) => Math.Abs(a - b)).Max();
}
