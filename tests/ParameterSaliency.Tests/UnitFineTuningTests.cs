using ParameterSaliency.Data;
using ParameterSaliency.FineTuning;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Fine-tuning a unit (SPEC §8) changes exactly the weights it owns, by −η·∂L/∂θ computed here with plain autograd on
/// the whole model: a neuron its row, a head its q, k, v rows of in_proj_weight and its columns of out_proj.weight;
/// every other parameter stays bit-identical, and all of them are restored after the step.
/// </summary>
public class UnitFineTuningTests
{
    const int Width = 16, Heads = 2, PerHead = Width / Heads;

    [Theory]
    [InlineData(Aggregation.HeadWise, "encoder.layers.encoder_layer_1.self_attention.head[1]")]
    [InlineData(Aggregation.NeuronWise, "encoder.layers.encoder_layer_0.mlp.0.weight[5]")]
    [InlineData(Aggregation.NeuronWise, "encoder.layers.encoder_layer_1.self_attention.in_proj_weight[20]")]
    public void A_step_changes_exactly_the_units_weights_by_the_gradient(Aggregation aggregation, string unitName)
    {
        using var scope = NewDisposeScope();
        using var model = Runtime.GlobalRandom.Seeded(4, () => new VisionTransformer(new VitConfig(16, 8, 2, Heads, Width, 24, Classes: 3, InChannels: 1)));
        model.eval();
        model.to(ScalarType.Float64);
        var images = randn([2, 1, 16, 16], generator: new Generator(9)); // float32 data, a float64 model: the step is exact to 1e-15
        using var data = new ImageDataset("test", images, tensor(new long[] { 2, 0 }), ["a", "b", "c"], Normalization.FashionMnist);
        var tuner = new FilterFineTuner(model, aggregation);
        var layout = ProfileLayout.For(model, aggregation);
        int unit = layout.EntryNames.ToList().IndexOf(unitName);
        Assert.True(unit >= 0, $"{unitName} is not among the {aggregation} units");

        var names = model.named_parameters().Select(p => p.name).ToArray();
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        var loss = nn.functional.cross_entropy(model.call(images.narrow(0, 1, 1).to(ScalarType.Float64)), tensor(new long[] { 0 }));
        var gradients = autograd.grad([loss], model.parameters().ToArray());
        const double step = 0.5;
        var after = tuner.WithStep(data, 1, [unit], step, () => model.parameters().Select(p => p.detach().clone()).ToArray());

        var owned = Owned(unitName, names);
        using Scalar on = true, stepSize = step;
        for (int p = 0; p < names.Length; p++)
        {
            var changed = after[p].ne(before[p]);
            var expected = zeros_like(changed, dtype: ScalarType.Bool);
            foreach (var (parameter, dimension, index) in owned.Where(o => o.Parameter == names[p])) expected.select(dimension, index).fill_(on);
            Assert.True(changed.eq(expected).all().item<bool>(),
                $"{names[p]}: {changed.sum().item<long>()} entries changed, {expected.sum().item<long>()} owned by {unitName}");
            var stepped = before[p] - gradients[p] * stepSize;
            double stepError = (after[p] - stepped).abs().where(expected, zeros_like(stepped)).max().item<double>();
            Assert.True(stepError <= 1e-15, $"{names[p]}: the step differs from −η·∂L/∂θ by {stepError:E1}");
            Assert.True(model.parameters().ElementAt(p).eq(before[p]).all().item<bool>(), $"{names[p]} was not restored");
        }
        Assert.Equal(unitName.Contains(".head[") ? 4 * PerHead : 1, owned.Count);
    }

    /// <summary>The definition of SPEC §8, written out: (parameter, dimension, index) slices a unit owns.</summary>
    static List<(string Parameter, int Dimension, long Index)> Owned(string unitName, string[] names)
    {
        int open = unitName.LastIndexOf('['), index = int.Parse(unitName[(open + 1)..^1]);
        if (!unitName.Contains(".head["))
            return [(unitName[..open], 0, index)];
        string module = unitName[..unitName.LastIndexOf(".head[", StringComparison.Ordinal)];
        var slices = new List<(string, int, long)>();
        foreach (int part in new[] { 0, 1, 2 })
            for (int j = 0; j < PerHead; j++) slices.Add(($"{module}.in_proj_weight", 0, part * Width + index * PerHead + j));
        for (int j = 0; j < PerHead; j++) slices.Add(($"{module}.out_proj.weight", 1, index * PerHead + j));
        Assert.Contains($"{module}.in_proj_weight", names);
        return slices;
    }
}
