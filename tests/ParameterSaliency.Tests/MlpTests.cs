using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Tests;

/// <summary>
/// The smallest model without convolutions (<see cref="Mlp"/>), profiled neuron-wise (SPEC §8), against backpropagation
/// written out by hand in float64: for y = W₃·relu(W₂·relu(W₁x)) and L = CE(y, label), δ₃ = softmax(y) − onehot,
/// δ₂ = (W₃ᵀδ₃) ⊙ 1[z₂ &gt; 0], δ₁ = (W₂ᵀδ₂) ⊙ 1[z₁ &gt; 0], and ∂L/∂W_l = δ_l · a_{l−1}ᵀ, so neuron r of layer l has
/// s = |δ_l[r]| · mean|a_{l−1}| (biases contribute nothing: they are not units).
/// </summary>
public class MlpTests(ITestOutputHelper output)
{
    static Mlp Model()
    {
        var model = Runtime.GlobalRandom.Seeded(5, () => new Mlp(1, 8, [12, 6], 4));
        model.eval();
        return model;
    }

    [Theory]
    [InlineData(ProfileEngine.Loop)]
    [InlineData(ProfileEngine.Batched)]
    [InlineData(ProfileEngine.Auto)]
    public void Neuron_profiles_match_backpropagation_by_hand_in_float64(ProfileEngine engine)
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var generator = new Generator(11);
        var images = randn([6, 1, 8, 8], generator: generator);
        var labels = tensor(new long[] { 0, 3, 1, 2, 2, 0 });
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = engine });
        Assert.Equal(Aggregation.NeuronWise, profiler.Layout.Aggregation);
        Assert.Equal([.. Enumerable.Range(0, 12).Select(r => $"layers.0.weight[{r}]"), .. Enumerable.Range(0, 6).Select(r => $"layers.2.weight[{r}]")], profiler.Layout.EntryNames);
        using var profiles = profiler.Profile(images, labels);

        var weights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(ScalarType.Float64));
        var x = images.flatten(1).to(ScalarType.Float64);
        var z1 = x.matmul(weights["layers.0.weight"].t()) + weights["layers.0.bias"];
        var a1 = z1.clamp_min(Zero);
        var z2 = a1.matmul(weights["layers.2.weight"].t()) + weights["layers.2.bias"];
        var a2 = z2.clamp_min(Zero);
        var y = a2.matmul(weights["fc.weight"].t()) + weights["fc.bias"];
        var delta3 = y.softmax(1) - nn.functional.one_hot(labels, 4).to(ScalarType.Float64);
        var delta2 = delta3.matmul(weights["fc.weight"]) * z2.gt(Zero).to(ScalarType.Float64);
        var delta1 = delta2.matmul(weights["layers.2.weight"]) * z1.gt(Zero).to(ScalarType.Float64);
        var expected = cat([delta1.abs() * x.abs().mean([1], keepdim: true), delta2.abs() * a1.abs().mean([1], keepdim: true)], 1);

        var errors = TinyModels.RowErrors(profiles.Values, expected);
        double nearestKink = Math.Min(z1.abs().min().item<double>(), z2.abs().min().item<double>());
        output.WriteLine($"{engine}: rows against hand backpropagation {TinyModels.Describe(errors)}; nearest ReLU input to 0: {nearestKink:E1}");
        Assert.True(nearestKink > 1e-4, "a ReLU input is near 0: the float32 masks could differ; choose other data");
        Assert.All(errors, e => Assert.InRange(e, 0, TinyModels.Relative));
    }

    [Fact]
    public void Inputs_of_the_wrong_size_and_missing_units_are_refused_with_their_reason()
    {
        using var model = Model();
        var profiler = new SaliencyProfiler(model);
        var error = Assert.Throws<ArgumentException>(() => profiler.Profile(zeros(2, 1, 9, 9), tensor(new long[] { 0, 1 })));
        Assert.Contains("takes 64 input features", error.Message);
        Assert.Contains("have 81", error.Message);
        error = Assert.Throws<ArgumentException>(() => new SaliencyProfiler(model, new ProfilerOptions { Aggregation = Aggregation.FilterWise }));
        Assert.Contains("NeuronWise", error.Message);
        error = Assert.Throws<ArgumentException>(() => new SaliencyProfiler(model, new ProfilerOptions { Aggregation = Aggregation.HeadWise }));
        Assert.Contains("no attention layers", error.Message);
    }

    [Fact]
    public void Weights_give_back_the_widths_and_the_image_shape()
    {
        using var model = new Mlp(3, 5, [7, 4, 9], 2);
        var weights = model.state_dict();
        using var rebuilt = Mlp.FromWeights(weights, "test");
        Assert.Equal((3, 5), (rebuilt.InChannels, rebuilt.ImageSize));
        Assert.Equal([7, 4, 9], rebuilt.Hidden);
        Assert.Equal(model.named_parameters().Select(p => p.name), rebuilt.named_parameters().Select(p => p.name));
        var error = Assert.Throws<InvalidDataException>(() => Mlp.FromWeights(new Dictionary<string, Tensor> { ["fc.weight"] = zeros(2, 3) }, "weights.pth"));
        Assert.Contains("not weights of an mlp", error.Message);
    }
}
