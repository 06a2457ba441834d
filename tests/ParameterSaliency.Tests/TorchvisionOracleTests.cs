using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The checkpoints and float64 references of tests/reference/torchvision_oracle.py (torchvision resnet18 and
/// densenet121 saved by PyTorch, plain and from DataParallel), made once per script version by Debian's
/// python3-torch: the checkpoints weigh 28-45 MB each, too much to commit.
/// </summary>
public sealed class TorchvisionOracle
{
    readonly PythonReference reference = PythonReference.Make("torchvision_oracle.py");

    /// <summary>Why the oracle is missing (no python3 with torch and torchvision), or null.</summary>
    public string? Missing => reference.Missing;
    public string Folder => reference.Folder;

    public SafeTensorsContent Reference(string arch) => SafeTensors.Read(Path.Combine(Folder, arch + ".safetensors"));
}

/// <summary>
/// A checkpoint that is not ours: torchvision's resnet18 and densenet121 as PyTorch saved them, loaded by
/// <c>--arch</c>, against a float64 PyTorch recomputation from the definitions, with the tolerances of the
/// default-model tests.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class TorchvisionOracleTests(TorchvisionOracle oracle) : IClassFixture<TorchvisionOracle>
{
    static readonly Normalization Identity = new([0f, 0f, 0f], [1f, 1f, 1f]); // the inputs are model-ready already

    public static TheoryData<string, bool> Checkpoints() => new()
    {
        { "resnet18", false }, { "resnet18", true }, { "densenet121", false }, { "densenet121", true },
    };

    SavedModel Load(string arch, bool wrapped)
    {
        Skip.If(oracle.Missing is not null, oracle.Missing);
        return ModelFile.Load(Path.Combine(oracle.Folder, arch + (wrapped ? "-wrapped.pth" : ".pth")), CPU, arch, Identity);
    }

    [SkippableTheory]
    [MemberData(nameof(Checkpoints))]
    public void Float32_profiles_and_statistics_match_PyTorch_in_float64(string arch, bool wrapped)
    {
        using var saved = Load(arch, wrapped);
        using var reference = oracle.Reference(arch);
        using var scope = NewDisposeScope();
        var logits = saved.Model.call(reference["inputs"]);
        var logitErrors = TinyModels.RowErrors(logits, reference["logits"]);
        Assert.True(logitErrors.Max() < 1e-4, $"{arch}: logits differ from PyTorch's: {TinyModels.Describe(logitErrors)}");

        var profiler = new SaliencyProfiler(saved.Model);
        var profiles = profiler.Profile(reference["inputs"], reference["labels"]);
        Assert.Equal(reference["profiles"].shape, profiles.Values.shape);
        AssertProfiles(profiles.Values, reference, $"{arch} ({profiler.Engine} engine)");

        using var data = new ImageDataset("oracle", reference["inputs"], reference["labels"], Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(), Identity);
        var statistics = SaliencyStatistics.Compute(profiler, data);
        TinyModels.AssertFloat32Entries(statistics.Mean, reference["mean"].data<double>().ToArray(), $"{arch} μ");
        TinyModels.AssertFloat32Entries(statistics.Std, reference["std"].data<double>().ToArray(), $"{arch} σ");
    }

    /// <summary>The issue's command: a PyTorch-saved torchvision model on an image folder, through the CLI.</summary>
    [SkippableFact]
    public void Cli_profiles_of_an_image_folder_through_a_PyTorch_checkpoint_match_PyTorch_in_float64()
    {
        Skip.If(oracle.Missing is not null, oracle.Missing);
        using var reference = SafeTensors.Read(Path.Combine(oracle.Folder, "folder.safetensors"));
        string output = Path.Combine(Directory.CreateTempSubdirectory().FullName, "p.safetensors");
        var (exitCode, stdout, stderr) = Workbook.Run(Workbook.Output("ParameterSaliency.Cli", "saliency.dll"),
            $"profile --model \"{Path.Combine(oracle.Folder, "resnet18.pth")}\" --arch resnet18 --dataset \"folder:{Path.Combine(oracle.Folder, "folder")}\" " +
            $"--normalize imagenet --indices 0-15 --out \"{output}\"");
        Assert.True(exitCode == 0, stdout + stderr);
        using var written = SafeTensors.Read(output);
        Assert.Equal(reference["labels"].data<long>().ToArray(), written["labels"].data<long>().ToArray());
        double inputError = (written["inputs"] - reference["inputs"]).abs().max().item<float>();
        Assert.True(inputError <= 1e-6, $"the folder's model inputs differ from torchvision's by {inputError:E2}");
        AssertProfiles(written["profiles"], reference, "resnet18 on an image folder, via the CLI");
    }

    /// <summary>
    /// Images whose float64 profile jumps under float32-sized noise (ReLU inputs within rounding of zero: the reference's
    /// 'sensitivity') are held to the worst bound only; the rest to the default-model tolerances.
    /// </summary>
    static void AssertProfiles(Tensor actual, SafeTensorsContent reference, string what)
    {
        Assert.Equal(reference["profiles"].shape, actual.shape);
        double[] errors = TinyModels.RowErrors(actual, reference["profiles"]);
        double[] sensitivity = reference["sensitivity"].data<double>().ToArray();
        double[] steady = errors.Where((_, i) => sensitivity[i] < TinyModels.Float32Outlier).ToArray();
        Assert.True(steady.Length >= errors.Length / 3, $"{what}: only {steady.Length} of {errors.Length} images are well-conditioned");
        TinyModels.AssertFloat32Rows(steady, $"{what}, well-conditioned images");
        Assert.True(errors.Max() <= TinyModels.Float32Worst, $"{what}: {TinyModels.Describe(errors)}");
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("densenet121")]
    public void Heatmaps_match_PyTorch_in_float32_and_float64(string arch)
    {
        using var saved = Load(arch, wrapped: false);
        using var reference = oracle.Reference(arch);
        var names = new SaliencyProfiler(saved.Model).Layout.EntryNames;
        var statistics = SaliencyStatistics.Imported(reference["mean"].data<double>().ToArray(), reference["std"].data<double>().ToArray(), names, "torchvision_oracle.py");
        long[] labels = reference["labels"].data<long>().ToArray(), chosen = reference["heatmap_indices"].data<long>().ToArray();
        foreach (bool float64 in new[] { true, false })
        {
            saved.Model.to(float64 ? ScalarType.Float64 : ScalarType.Float32);
            var explainer = new InputSpaceSaliency(saved.Model, statistics);
            for (int n = 0; n < chosen.Length; n++)
            {
                var input = reference["inputs"][chosen[n]].to(float64 ? ScalarType.Float64 : ScalarType.Float32);
                var heatmap = explainer.Explain(input, Identity, (int)labels[chosen[n]]);
                double gradientError = HeatmapReferenceTests.RelativeL2(reference["gradients"][n], heatmap.Gradient);
                double heatmapError = HeatmapReferenceTests.MaxAbs(reference["heatmaps"][n], heatmap.Heatmap);
                string what = $"{arch}, image {chosen[n]}, {(float64 ? "float64" : "float32")}";
                // The boosted set (the oracle picks images whose 10th and 11th z are apart); its order is that of equal z too.
                Assert.Equal(reference["top10"][n].data<long>().Select(v => (int)v).Order(), heatmap.BoostedFilters.Order());
                if (float64)
                {
                    Assert.True(gradientError < 1e-5, $"{what}: gradient relative L2 error {gradientError:E2}");
                    Assert.True(heatmapError < 1e-4, $"{what}: heatmap max abs error {heatmapError:E2}");
                }
                else
                {
                    // The default-model tolerances for a float32 model: rounding through two backward passes.
                    Assert.True(gradientError < 1e-3, $"{what}: gradient relative L2 error {gradientError:E2}");
                    Assert.True(heatmapError < 1e-2, $"{what}: heatmap max abs error {heatmapError:E2}");
                }
            }
        }
    }
}
