using ParameterSaliency.Models;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

public class ResNetTests
{
    public static TheoryData<string> Architectures => new() { "resnet18-cifar", "resnet18", "resnet50" };

    static ResNetConfig ConfigFor(string arch) => arch switch
    {
        "resnet18-cifar" => ResNetConfig.CifarResNet18(),
        "resnet18" => ResNetConfig.TorchVisionResNet18(),
        "resnet50" => ResNetConfig.TorchVisionResNet50(),
        _ => throw new ArgumentException(arch),
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Parameter_names_order_and_shapes_match_PyTorch(string arch)
    {
        var expected = ReferenceFixtures.PyTorchLayout(arch);
        using var model = Runtime.GlobalRandom.Preserving(() => new ResNet(ConfigFor(arch)));
        var actual = model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();
        Assert.Equal(expected.Parameters.Select(p => p.Name), actual.Select(p => p.name));
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected.Parameters[i].Shape, actual[i].shape);
        Assert.Equal(expected.StateDict.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Default_model_has_1200_conv_filters_and_about_0_7M_parameters()
    {
        using var model = Runtime.GlobalRandom.Preserving(() => new ResNet(ResNetConfig.CifarResNet18()));
        long filters = model.named_parameters().Where(p => p.parameter.dim() == 4).Sum(p => p.parameter.shape[0]);
        Assert.Equal(1200, filters);
        Assert.InRange(model.parameters().Sum(p => p.numel()), 650_000, 750_000);
        using var logits = model.call(zeros(2, 1, 28, 28));
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
    }
}
