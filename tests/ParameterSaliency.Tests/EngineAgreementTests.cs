using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Both engines' float32 profiles against the float64 loop (the definition), on the committed model and
/// real test images, and the batched engine against the loop on two architectures and every aggregation.
/// Run under every oneDNN ISA cap by <see cref="CpuIsaMatrixTests"/>.
/// </summary>
[Trait("Category", CpuIsaMatrixTests.Category)]
public class EngineAgreementTests(ITestOutputHelper output)
{
    public static TheoryData<string, Aggregation> Cases()
    {
        var data = new TheoryData<string, Aggregation>();
        foreach (string arch in new[] { "default", "torchvision-resnet18" })
            foreach (var aggregation in Enum.GetValues<Aggregation>().Where(a => a != Aggregation.HeadWise)) // no attention
                data.Add(arch, aggregation);
        // A small ViT: every aggregation but the parameter-wise one (the class token and LayerNorms are the loop's alone).
        foreach (var aggregation in new[] { Aggregation.FilterWise, Aggregation.NeuronWise, Aggregation.HeadWise, Aggregation.LayerWise })
            data.Add("vit", aggregation);
        data.Add("mlp", Aggregation.NeuronWise);
        data.Add("mlp", Aggregation.ParameterWise);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Batched_engine_equals_the_loop(string arch, Aggregation aggregation)
    {
        var (channels, size, count) = arch switch { "default" or "mlp" => (1, 28, 6), "vit" => (3, 32, 5), _ => (3, 32, 3) };
        using nn.Module<Tensor, Tensor> model = arch switch
        {
            "default" => TinyModels.Build(ResNetConfig.CifarResNet18(), seed: 11),
            "vit" => Runtime.GlobalRandom.Seeded<nn.Module<Tensor, Tensor>>(11, () => new VisionTransformer(new VitConfig(32, 8, 2, 2, 16, 32, Classes: 10))),
            "mlp" => Runtime.GlobalRandom.Seeded<nn.Module<Tensor, Tensor>>(11, () => new Mlp(1, 28, [32, 16], 10)),
            _ => TinyModels.Build(ResNetConfig.TorchVisionResNet18(numClasses: 10), seed: 11),
        };
        model.eval();
        var (images, labels) = TinyModels.Inputs(count, channels, size, 10, seed: 5);
        var options = new ProfilerOptions { Aggregation = aggregation, BatchSize = count };
        using var loop = new SaliencyProfiler(model, options with { Engine = ProfileEngine.Loop }).Profile(images, labels);
        using var batched = new SaliencyProfiler(model, options with { Engine = ProfileEngine.Batched }).Profile(images, labels);
        TinyModels.AssertClose(loop.Values, batched.Values, $"{arch} {aggregation}");
    }

    [Theory]
    [InlineData(ProfileEngine.Loop)]
    [InlineData(ProfileEngine.Batched)]
    public void Float32_profiles_of_the_committed_model_match_float64(ProfileEngine engine)
    {
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        using var exactModel = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        exactModel.Model.to(ScalarType.Float64);
        var test = SharedData.TestSplit;
        int[] chosen = Enumerable.Range(0, 64).Select(i => i * 151).ToArray();
        using var profiles = new SaliencyProfiler(saved.Model, new ProfilerOptions { Engine = engine }).Profile(test, chosen);
        using var exact = new SaliencyProfiler(exactModel.Model, new ProfilerOptions { Engine = ProfileEngine.Loop }).Profile(test, chosen);
        var errors = TinyModels.RowErrors(profiles.Values, exact.Values);
        output.WriteLine($"{engine} on {Runtime.CpuKernels.Policy.Kernels}: {TinyModels.Describe(errors)}");
        TinyModels.AssertFloat32Rows(errors, $"{engine} engine, float32 vs float64");
    }

    [Fact]
    public void A_profile_does_not_depend_on_the_rest_of_its_batch()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 2);
        var (images, labels) = TinyModels.Inputs(5, 1, 28, 10, seed: 9);
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched, BatchSize = 5 });
        using var together = profiler.Profile(images, labels);
        using var alone = profiler.Profile(images.narrow(0, 3, 1), labels.narrow(0, 3, 1));
        TinyModels.AssertClose(alone.Values, together.Values.narrow(0, 3, 1), "sample 3");
    }
}
