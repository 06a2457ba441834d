using System.Text.Json;
using ParameterSaliency.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Checkpoints PyTorch wrote from models that are not ours (tests/reference/checkpoints.py: torchvision's DenseNet
/// class, the PyTorch CIFAR ResNet), loaded and run against the logits PyTorch computed in float64.
/// </summary>
public class PyTorchCheckpointTests
{
    static string Fixture(string name) => Path.Combine(Workbook.Fixtures, "checkpoints", name);

    static DenseNet SmallDenseNet() => new(numClasses: 10, inChannels: 3, growth: 8, blocks: [2, 2, 2, 2], initialFeatures: 16, bottleneck: 2);

    /// <summary>Runs <paramref name="model"/> in float64 on the fixture's inputs and compares with PyTorch's float64 logits.</summary>
    static void AssertLogitsMatchPyTorch(nn.Module<Tensor, Tensor> model, string key)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("checkpoints.json")));
        var entry = document.RootElement.GetProperty(key);
        long[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        using var inputs = tensor(entry.GetProperty("inputs").EnumerateArray().Select(v => v.GetDouble()).ToArray(), ScalarType.Float64).reshape(shape);
        using var expected = tensor(entry.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray(), ScalarType.Float64).reshape(shape[0], -1);
        model.eval();
        model.to(ScalarType.Float64);
        using var logits = model.call(inputs);
        double error = ((logits - expected).abs().max() / expected.abs().max()).item<double>();
        Assert.True(error < 1e-9, $"{key}: logits differ from PyTorch's by {error:E2} of the largest");
    }

    [Theory]
    [InlineData("densenet-small.pth")]
    [InlineData("densenet-small-wrapped.pth")]
    public void A_torchvision_densenet_checkpoint_plain_or_wrapped_gives_PyTorchs_logits(string file)
    {
        using var model = SmallDenseNet();
        PyTorchCheckpoint.LoadInto(model, Fixture(file));
        AssertLogitsMatchPyTorch(model, "densenet-small");
    }

    [Fact]
    public void A_state_dict_under_model_without_num_batches_tracked_loads()
    {
        using var model = Runtime.GlobalRandom.Preserving(() => new ResNet(ResNetConfig.CifarResNet18(inChannels: 1, width: 8, numClasses: 10)));
        PyTorchCheckpoint.LoadInto(model, Fixture("resnet18-cifar-w8.pth"));
        AssertLogitsMatchPyTorch(model, "resnet18-cifar-w8");
    }

    [Fact]
    public void A_named_architecture_takes_classes_channels_and_width_from_the_weights()
    {
        using var model = PyTorchCheckpoint.Load(Fixture("resnet18-cifar-w8.pth"), "resnet18-cifar");
        Assert.Equal(8, ((ResNet)model).Config.Width);
        AssertLogitsMatchPyTorch(model, "resnet18-cifar-w8");
    }

    [Fact]
    public void Weights_that_do_not_fit_name_their_keys_and_counts()
    {
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Load(Fixture("densenet-small.pth"), "densenet121"));
        Assert.Contains("with another shape: features.conv0.weight [16, 3, 7, 7], the model's [64, 3, 7, 7]", error.Message);
        Assert.Matches(@"\d+ with another shape: ([^;]+; ){4}[^;]+; …", error.Message); // five named, then an ellipsis
        Assert.Matches(@"\d+ missing: features\.denseblock1\.denselayer3", error.Message);
        error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.LoadInto(SmallDenseNet(), Fixture("resnet18-cifar-w8.pth")));
        Assert.Matches(@"\d+ missing: features\.conv0\.weight", error.Message);
        Assert.Matches(@"\d+ unexpected: ", error.Message);
    }

    [Theory]
    [InlineData("densenet-small-whole.pth", "pickled whole model")]
    [InlineData("densenet-small-legacy.pth", "PyTorch's legacy (pre-1.6) format")]
    public void Whole_models_and_legacy_files_are_refused_with_their_own_message(string file, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.ReadStateDict(Fixture(file)));
        Assert.True(error.Message.Contains(message), error.Message);
    }

    [Fact]
    public void Saved_checkpoints_read_back_bit_for_bit()
    {
        using var model = SmallDenseNet();
        PyTorchCheckpoint.LoadInto(model, Fixture("densenet-small.pth"));
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "saved.pth");
        PyTorchCheckpoint.Save(model, path);
        var read = PyTorchCheckpoint.ReadStateDict(path);
        var original = model.state_dict();
        Assert.Equal(original.Keys.Order(), read.Keys.Order());
        foreach (var (name, value) in original) Assert.True(value.equal(read[name]).all().item<bool>(), name);
    }
}
