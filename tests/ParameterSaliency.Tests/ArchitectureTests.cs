using TorchSharp;
using System.Text.Json;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>The named architectures against torchvision 0.14 (tests/reference/torchvision_layouts.py): names, order and shapes of the parameters, state-dict keys, filter counts.</summary>
public class ArchitectureTests
{
    public static TheoryData<string> TorchVisionNames()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Workbook.Fixtures, "torchvision-layouts.json")));
        var data = new TheoryData<string>();
        foreach (var entry in document.RootElement.EnumerateObject()) data.Add(entry.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(TorchVisionNames))]
    public void Parameter_names_order_shapes_and_state_dict_match_torchvision(string name)
    {
        var expected = ReferenceFixtures.PyTorchLayout(name, "torchvision-layouts.json");
        using var model = Runtime.GlobalRandom.Preserving(() => Architectures.Named(name).Build(1000, 3));
        var actual = model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();
        Assert.Equal(expected.Parameters.Select(p => p.Name), actual.Select(p => p.name));
        for (int i = 0; i < actual.Length; i++) Assert.True(expected.Parameters[i].Shape.SequenceEqual(actual[i].shape), $"{actual[i].name}: [{string.Join(", ", actual[i].shape)}], torchvision [{string.Join(", ", expected.Parameters[i].Shape)}]");
        Assert.Equal(expected.StateDict.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("resnet50", 26_560)]
    [InlineData("densenet121", 10_240)]
    [InlineData("vgg19", 5_504)]
    [InlineData("inception_v3", 18_112)]
    public void The_papers_four_models_have_the_filter_counts_of_the_authors_statistics(string name, long filters)
    {
        Assert.Equal(filters, Architectures.Named(name).FilterCount());
        using var model = Runtime.GlobalRandom.Preserving(() => Architectures.Named(name).Build(1000, 3));
        Assert.Equal(filters, ProfileLayout.For(model, Aggregation.FilterWise).Length);
    }

    /// <summary>The unit counts <c>saliency models</c> prints without building a model (SPEC §8's formulas) against the layouts of built ones.</summary>
    [Theory]
    [InlineData("vit_b_32")]
    [InlineData("vit")]
    [InlineData("mlp")]
    public void Known_unit_counts_are_those_of_the_built_model(string name)
    {
        var architecture = Architectures.Named(name);
        var (filters, neurons, heads) = architecture.UnitCounts();
        using var model = Runtime.GlobalRandom.Preserving(() => architecture.Build(architecture.DefaultClasses, architecture.DefaultInChannels));
        long Count(Aggregation aggregation)
        {
            try { return ProfileLayout.For(model, aggregation).Length; }
            catch (ArgumentException) { return 0; }
        }
        Assert.Equal((Count(Aggregation.FilterWise), Count(Aggregation.NeuronWise), Count(Aggregation.HeadWise)), (filters, neurons, heads));
    }

    [Theory]
    [InlineData("vgg11_bn", 64)]
    [InlineData("densenet121", 64)]
    [InlineData("inception_v3", 107)]
    public void Small_inputs_give_logits_and_the_engines_agree(string name, int size)
    {
        // float64: the engines' algorithms compared, free of float32 rounding (a random model's ReLU inputs within
        // float32 rounding of zero made the float32 comparison fail once in a clean run, 3.9e-4 on vgg11_bn).
        using var model = Runtime.GlobalRandom.Seeded(4, () => Architectures.Named(name).Build(10, 3));
        model.to(ScalarType.Float64);
        model.eval();
        var (inputs, labels) = TinyModels.Inputs(2, 3, size, 10, seed: 3);
        var images = inputs.to(ScalarType.Float64);
        using var logits = model.call(images);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        using var loop = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop }).Profile(images, labels);
        using var batched = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched }).Profile(images, labels);
        TinyModels.AssertClose(loop.Values, batched.Values, name);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => Architectures.Named("vgg13"));
        Assert.Contains("inception_v3", error.Message);
    }
}
