using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Bad inputs are refused in C#, with a message naming the problem, before libtorch sees them.</summary>
public class ProfilerValidationTests
{
    static readonly ResNet Model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 1);
    static readonly SaliencyProfiler Profiler = new(Model);

    [Fact]
    public void Profiling_inside_no_grad_is_refused_instead_of_aborting_the_process()
    {
        using var noGrad = no_grad();
        Assert.Contains("no_grad", Assert.Throws<InvalidOperationException>(() => Profiler.Profile(zeros(1, 1, 28, 28), tensor(new long[] { 0 }))).Message);
        Assert.Contains("no_grad", Assert.Throws<InvalidOperationException>(() =>
            new ParameterSaliency.InputSpace.InputGradient(Model).Explain(zeros(1, 28, 28), ParameterSaliency.Data.Normalization.FashionMnist)).Message);
    }

    [Fact]
    public void Wrong_rank_is_refused() =>
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Profiler.Profile(zeros(1, 28, 28), tensor(new long[] { 0 }))).Message);

    [Fact]
    public void Wrong_channel_count_is_refused() =>
        Assert.Contains("3 channels", Assert.Throws<ArgumentException>(() => Profiler.Profile(zeros(1, 3, 28, 28), tensor(new long[] { 0 }))).Message);

    [Fact]
    public void Labels_out_of_range_are_refused() =>
        Assert.Contains("[0, 10)", Assert.Throws<ArgumentException>(() => Profiler.Profile(zeros(2, 1, 28, 28), tensor(new long[] { 3, 10 }))).Message);

    [Fact]
    public void Nan_pixels_are_refused()
    {
        var images = zeros(2, 1, 28, 28);
        images[1, 0, 5, 5] = tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Profiler.Profile(images, tensor(new long[] { 0, 1 }))).Message);
    }

    [Fact]
    public void Empty_batch_is_refused() =>
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Profiler.Profile(zeros(0, 1, 28, 28), zeros(0, dtype: ScalarType.Int64))).Message);

    [Fact]
    public void Model_without_convolutions_is_refused()
    {
        using var mlp = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(784, 10)));
        Assert.Contains("Conv2d", Assert.Throws<ArgumentException>(() => new SaliencyProfiler(mlp)).Message);
    }

    [Fact]
    public void A_parameter_outside_the_loss_has_zero_saliency()
    {
        using var model = new ModelWithUnusedConv();
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop });
        using var profiles = profiler.Profile(Runtime.GlobalRandom.Preserving(() => randn(2, 1, 8, 8)), tensor(new long[] { 0, 1 }));
        var unused = profiler.Layout.Filters.Where(f => f.Parameter == "unused.weight").Select(f => f.Index).ToArray();
        Assert.Equal(3, unused.Length);
        Assert.All(unused, i => Assert.Equal(0f, profiles.Values[0, i].item<float>()));
        Assert.True(profiles.Values[0, 0].item<float>() > 0);
    }

    [Fact]
    public void Same_inputs_give_the_same_profiles()
    {
        var (images, labels) = TinyModels.Inputs(3, 1, 28, 10, seed: 4);
        using var first = Profiler.Profile(images, labels);
        using var second = Profiler.Profile(images, labels);
        Assert.True(first.Values.bytes.SequenceEqual(second.Values.bytes));
    }

    sealed class ModelWithUnusedConv : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d used = nn.Conv2d(1, 2, 3);
        private readonly TorchSharp.Modules.Conv2d unused = nn.Conv2d(1, 3, 3);
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(2, 2);

        public ModelWithUnusedConv() : base("unused-test")
        {
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(used.call(input).mean([2, 3]));
    }
}
