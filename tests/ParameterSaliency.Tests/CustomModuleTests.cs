using ParameterSaliency.Saliency;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Any module a user writes in C# is profiled: the example of the docs' article on the library, with a 4-D weight that no Conv2d owns, so Auto takes the loop.</summary>
public class CustomModuleTests
{
    /// <summary>The README's example: a hand-made first convolution (a bare 4-D parameter), a Conv2d, a linear head.</summary>
    sealed class TinyNet : nn.Module<Tensor, Tensor>
    {
        static readonly Scalar InitialScale = 0.1;
        private readonly Parameter kernel = new(randn(8, 1, 5, 5) * InitialScale);
        private readonly Conv2d conv = nn.Conv2d(8, 16, 3, padding: 1);
        private readonly Linear head = nn.Linear(16, 10);

        public TinyNet() : base(nameof(TinyNet)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            x = nn.functional.relu(nn.functional.conv2d(x, kernel, padding: [2, 2]));
            x = nn.functional.relu(conv.call(x));
            return head.call(x.mean([2, 3])).MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void A_custom_module_is_profiled_by_the_loop_with_its_own_filter_names_and_the_definitions_numbers()
    {
        using var model = Runtime.GlobalRandom.Seeded(5, () => new TinyNet());
        model.eval();
        var (images, labels) = TinyModels.Inputs(3, 1, 12, 10, seed: 6);
        var profiler = new SaliencyProfiler(model);
        Assert.Equal(ProfileEngine.Loop, profiler.Engine);
        Assert.Contains("'kernel' does not belong to a Conv2d", profiler.EngineReason);
        Assert.Equal(24, profiler.Layout.Length);
        Assert.Equal("kernel[3]", profiler.Layout.EntryName(3));
        Assert.Equal("conv.weight[0]", profiler.Layout.EntryName(8));
        using var profiles = profiler.Profile(images, labels);

        // The definition, written out: per image, CE against the true label, |∂L/∂W| averaged over (in, kh, kw).
        var parameters = model.named_parameters().Where(p => p.parameter.dim() == 4).Select(p => p.parameter).ToArray();
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(model.call(images.narrow(0, i, 1)).to(ScalarType.Float64), labels.narrow(0, i, 1));
            var gradients = autograd.grad([loss], parameters);
            var expected = cat(gradients.Select(g => g.abs().mean([1, 2, 3])).ToArray()).to(ScalarType.Float64);
            TinyModels.AssertClose(expected.unsqueeze(0), profiles.Values.narrow(0, i, 1), $"image {i}");
        }
    }

    /// <summary>Convolutions with biases, each followed by an in-place ReLU that overwrites its output (as torchvision's VGG does).</summary>
    static nn.Module<Tensor, Tensor> InPlaceNet() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 6, 3, padding: 1)), ("relu1", nn.ReLU(inplace: true)),
        ("conv2", nn.Conv2d(6, 8, 3, stride: 2, padding: 1)), ("relu2", nn.ReLU(inplace: true)),
        ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(8, 10)));

    [Theory]
    [InlineData(Aggregation.FilterWise)]
    [InlineData(Aggregation.ParameterWise)]
    public void A_custom_model_that_overwrites_layer_outputs_in_place_is_profiled_right_by_the_batched_engine(Aggregation aggregation)
    {
        using var model = Runtime.GlobalRandom.Seeded(8, InPlaceNet);
        model.to(ScalarType.Float64).eval();
        var (images, labels) = TinyModels.Inputs(6, 1, 10, 10, seed: 4);
        images = images.to(ScalarType.Float64);
        var options = new ProfilerOptions { Aggregation = aggregation, BatchSize = 6 };
        using var loop = new SaliencyProfiler(model, options with { Engine = ProfileEngine.Loop }).Profile(images, labels);
        var batched = new SaliencyProfiler(model, options with { Engine = ProfileEngine.Batched });
        using var profiles = batched.Profile(images, labels);
        double error = ((profiles.Values - loop.Values).abs().max() / loop.Values.abs().max()).item<double>();
        Assert.True(error < 1e-12, $"batched against the loop, {aggregation}: relative error {error:E2}");
    }
}
